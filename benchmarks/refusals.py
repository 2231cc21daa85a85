"""DynamoDB calls of refused requests: a flood against a tenant whose budget is spent, through the chat function.

    PYTHONPATH=. .venv/bin/python -m benchmarks.refusals [--requests N]

dynalite in memory with the template's tables, the OpenRouter simulator, and the chat module loaded as Lambda
loads it (one instance, one request at a time, the answer cache on). The tenant's daily budget is spent to the last
nano-dollar first; then N distinct questions (no exact cache hit) are sent, each must be answered 429. Every
DynamoDB call is counted by operation and table (botocore's `before-parameter-build` event, so a retry counts
again): the instance's first request, and the rest. Prints the table and writes `.bench/refusals.json`. The run
stops after 300 s (exit 1), and so does an answer other than 429.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.chat_overhead import patched_env
from local import dev
from local.apigw import LambdaContext, api_gateway_event
from local.dynalite import client as make_client
from local.dynalite import running
from local.openrouter_sim import OpenRouterSimulator
from local.tables import chat_tables, create_tables
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.policy import BudgetPolicy
from spendrail.settings import Settings
from spendrail.tenants.dynamodb import DynamoDBTenantDirectory
from spendrail.tenants.model import Tenant
from spendrail.tenants.provision import provision_tenant
from tests.handlers import load_function

RUN_LIMIT_SECONDS = 300.0
TENANT = "bench-stopped"
WRITES = frozenset({"UpdateItem", "PutItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
OUT = Path(".bench/refusals.json")


class TableCalls:
    """DynamoDB calls by (operation, table); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[tuple[str, str]] = Counter()

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[(model.name, str(params.get("TableName", "?")))] += 1

    def take(self) -> Counter[tuple[str, str]]:
        with self._lock:
            calls, self.calls = self.calls, Counter()
        return calls


def split(calls: Counter[tuple[str, str]]) -> dict[str, int]:
    writes = sum(n for (op, _), n in calls.items() if op in WRITES)
    return {"writes": writes, "reads": calls.total() - writes, "total": calls.total()}


def detail(calls: Counter[tuple[str, str]]) -> dict[str, int]:
    return {f"{op} {table}": n for (op, table), n in sorted(calls.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=1000, help="refused requests in the flood, the first included")
    args = parser.parse_args(argv)
    if args.requests < 2:
        parser.error("--requests must be at least 2")
    settings = Settings.from_env({})
    ends = time.monotonic() + RUN_LIMIT_SECONDS
    with running() as dynamodb, OpenRouterSimulator() as sim:
        db = make_client(dynamodb)
        create_tables(
            db,
            chat_tables(settings),
        )
        ledger = DynamoDBLedger(db, settings.budget_table_name)
        directory = DynamoDBTenantDirectory(db, settings.tenant_table_name)
        policy = BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10")
        key = provision_tenant(directory, ledger, Tenant(TENANT), policy)
        room = ledger.snapshot(TENANT).daily.settled_room
        hold = ledger.reserve(TENANT, room).hold
        assert hold is not None
        ledger.settle(hold, room)  # the hard stop: not a nano-dollar left today
        env = dev.function_env(dynamodb, settings, sim.base_url, "sk-or-local-simulator") | {
            "OPENROUTER_API_KEY_PARAM": "",
            "HELICONE_API_KEY": "",
            "HELICONE_API_KEY_PARAM": "",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "CACHE_REFRESH_SECONDS": "3600",  # periodic, not per request
        }
        with patched_env(env):
            module = load_function("chat")
            counter = TableCalls()
            for client in (module.components.dynamodb, module.components.idempotency_dynamodb):
                client.meta.events.register("before-parameter-build.dynamodb", counter)
            per_request: list[Counter[tuple[str, str]]] = []
            started = time.perf_counter()
            for index in range(args.requests):
                if time.monotonic() > ends:
                    print(f"aborted after {RUN_LIMIT_SECONDS:g} s", file=sys.stderr)
                    return 1
                event = api_gateway_event(
                    "POST",
                    "/v1/chat",
                    headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
                    body={"prompt": f"Question number {index}: where is my parcel?", "customerId": "cust-1"},
                )
                with contextlib.redirect_stdout(io.StringIO()):  # the function's metrics lines
                    result = module.lambda_handler(event, LambdaContext(function_name="chat"))
                if result["statusCode"] != 429:
                    print(f"request {index} answered {result['statusCode']}: {result['body'][:300]}", file=sys.stderr)
                    return 1
                per_request.append(counter.take())
            elapsed = time.perf_counter() - started
    first, rest = per_request[0], sum(per_request[1:], Counter())
    later = len(per_request) - 1
    budget = settings.budget_table_name
    rest_budget = Counter({k: n for k, n in rest.items() if k[1] == budget})
    figures = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "requests": len(per_request),
        "seconds": round(elapsed, 3),
        "first": split(first) | {"calls": detail(first)},
        "rest": split(rest) | {"calls": detail(rest), "per_request": round(rest.total() / later, 4)},
        "rest_budget_table": split(rest_budget),
        "rest_writes_per_request": round(split(rest)["writes"] / later, 4),
    }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"spendrail refusals: {len(per_request)} requests against a stopped tenant, one chat instance, dynalite")
    print(f"date     {figures['date']}   python {figures['python']}   {elapsed:.1f} s")
    print(f"first request   {split(first)}   {detail(first)}")
    print(f"the other {later}  {split(rest)}   {detail(rest)}")
    print(f"  budget table  {split(rest_budget)}")
    print(f"  per request   {rest.total() / later:.3f} calls, {split(rest)['writes'] / later:.3f} writes")
    print(f"written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
