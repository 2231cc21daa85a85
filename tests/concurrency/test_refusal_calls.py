"""A flood of requests against a stopped tenant through the chat function on dynalite: DynamoDB calls counted.

dynalite ignores ReturnValuesOnConditionCheckFailure, so the first refusal reads the item after its failed write (the
fallback); every later one is refused from the instance's memory of the stop, with no write to the budget table.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from local import dev
from local.apigw import LambdaContext, api_gateway_event
from local.openrouter_sim import OpenRouterSimulator
from spendrail.chat.stopped import STALE_SECONDS
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.policy import BudgetPolicy
from spendrail.tenants.dynamodb import DynamoDBTenantDirectory
from spendrail.tenants.model import Tenant
from spendrail.tenants.provision import provision_tenant
from tests.concurrency.chat_tables import chat_tables
from tests.handlers import load_function

FLOOD = 300


class Stopped:
    def __init__(self, module: Any, key: str, budget_table: str) -> None:
        self.module, self.key, self.budget_table = module, key, budget_table
        self.calls: Counter[tuple[str, str]] = Counter()
        client = module.endpoint._service._ledger._table._call.client
        client.meta.events.register("before-parameter-build.dynamodb", self._count)

    def _count(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        table = "budget" if params.get("TableName") == self.budget_table else "other"
        self.calls.update([(model.name, table)])

    def ask(self, index: int) -> tuple[dict[str, Any], Counter[tuple[str, str]]]:
        self.calls.clear()
        event = api_gateway_event(
            "POST",
            "/v1/chat",
            headers={"authorization": f"Bearer {self.key}"},
            body={"prompt": f"Question {index}: where is my parcel?", "customerId": "cust-1"},
        )
        result = self.module.lambda_handler(event, LambdaContext(function_name="chat"))
        return result, Counter(self.calls)


def _same_refusal(result: dict[str, Any]) -> tuple[object, ...]:
    """The 429 without its countdown (Retry-After and retryAfterSeconds move with the clock)."""
    error = json.loads(result["body"])["error"]
    headers = {k: v for k, v in result["headers"].items() if k != "Retry-After"}
    return tuple(sorted(headers.items())), {k: v for k, v in error.items() if k != "retryAfterSeconds"}


@pytest.fixture
def stopped(dynalite_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stopped]:
    client, settings = chat_tables(dynalite_endpoint)
    ledger = DynamoDBLedger(client, settings.budget_table_name)
    directory = DynamoDBTenantDirectory(client, settings.tenant_table_name)
    policy = BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="50")
    key = provision_tenant(directory, ledger, Tenant("flooded"), policy)
    hold = ledger.reserve("flooded", policy.daily_cap_nanos).hold
    assert hold is not None
    ledger.settle(hold, policy.daily_cap_nanos)  # the day is spent to the last nano-dollar
    with OpenRouterSimulator() as sim:
        env = dev.function_env(dynalite_endpoint, settings, sim.base_url, "sk-or-test") | {
            "POWERTOOLS_METRICS_DISABLED": "true",
            "CACHE_REFRESH_SECONDS": "3600",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield Stopped(load_function("chat"), key, settings.budget_table_name)


def test_a_flood_against_a_stopped_tenant_writes_to_the_budget_once(stopped: Stopped) -> None:
    first, calls = stopped.ask(0)
    assert first["statusCode"] == 429
    # The failed reserve with the cache judge's optional hold (it claims nothing), the same route without it (its
    # refusal claims the hard stop), each followed by dynalite's fallback read (DynamoDB sends the item with the
    # failure); no reserve on a cheaper route.
    assert (calls[("UpdateItem", "budget")], calls[("GetItem", "budget")]) == (2, 3)  # the policy's read, then them
    started = time.monotonic()
    later: Counter[tuple[str, str]] = Counter()
    for index in range(1, FLOOD):
        result, calls = stopped.ask(index)
        assert result["statusCode"] == 429
        assert _same_refusal(result) == _same_refusal(first)  # the budget numbers as last seen, the fallback
        waited = time.monotonic() - started
        retry_after = int(result["headers"]["Retry-After"])  # counted down to the tenant's midnight from now
        assert int(first["headers"]["Retry-After"]) - waited - 1 <= retry_after <= int(first["headers"]["Retry-After"])
        later += calls
    elapsed = time.monotonic() - started
    budget_writes = sum(n for (op, table), n in later.items() if table == "budget" and op != "GetItem")
    assert budget_writes == 0
    # At most one read per staleness bound (has the cap been raised?), however many requests.
    assert later[("GetItem", "budget")] <= 1 + elapsed / STALE_SECONDS
    assert later[("GetItem", "other")] == FLOOD - 1  # the exact-cache lookup: a hit would still be served
