from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.openrouter_sim import OpenRouterSimulator
from spendrail.ledger.memory import InMemoryLedger
from spendrail.policy import BudgetPolicy
from spendrail.pricing import PricingCatalog
from tests.conftest import Clock
from tests.fakes.llm import ScriptedLLM


@pytest.fixture
def ledger(clock: Clock) -> InMemoryLedger:
    """Tenant "shop" with $1 a day and $10 a month."""
    ledger = InMemoryLedger(clock=clock)
    ledger.put_policy("shop", BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10"))
    return ledger


@pytest.fixture
def llm() -> ScriptedLLM:
    return ScriptedLLM()


@pytest.fixture
def sim() -> Iterator[OpenRouterSimulator]:
    with OpenRouterSimulator() as running:
        yield running


@pytest.fixture(scope="module")
def catalog() -> PricingCatalog:
    return PricingCatalog.load()
