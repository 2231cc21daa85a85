"""The ledger contract's fixtures: every contract test runs on DynamoDB (moto, sequentially) and on the in-memory
fake. Shared through this directory's conftest, so each contract module asks for `ledger` or `make_ledger`."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.ledger.memory import InMemoryLedger
from spendrail.ledger.port import BudgetLedger
from tests.conftest import Clock

TTL = 45  # seconds a hold lives: beyond the chat function's 30 s timeout

MakeLedger = Callable[[], BudgetLedger]


@pytest.fixture(params=["dynamodb", "memory"])
def make_ledger(request: pytest.FixtureRequest, clock: Clock) -> MakeLedger:
    """A factory: each call is another process (another Lambda instance) on the same store."""
    if request.param == "memory":
        shared = InMemoryLedger(hold_ttl_seconds=TTL, clock=clock)
        return lambda: shared
    client = request.getfixturevalue("moto_dynamodb")
    return lambda: DynamoDBLedger(client, "budget", hold_ttl_seconds=TTL, clock=clock, sleep=lambda _: None)


@pytest.fixture
def ledger(make_ledger: MakeLedger) -> BudgetLedger:
    return make_ledger()
