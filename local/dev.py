"""`make dev`: the local stack. For now: dynalite with the template's tables and a seeded demo tenant."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from pathlib import Path

from local import dynalite, tables
from spendrail.errors import TenantNotFoundError
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.policy import BudgetPolicy
from spendrail.settings import Settings

DATA_DIR = Path(__file__).resolve().parent.parent / ".local-data" / "dynalite"


def main() -> None:
    settings = Settings.from_env()
    port = int(os.environ.get("DYNAMODB_PORT", "8000"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with dynalite.running(port=port, data_dir=DATA_DIR) as endpoint:
        client = dynalite.client(endpoint)
        existing = set(client.list_tables()["TableNames"])
        if settings.budget_table_name not in existing:
            tables.create_tables(client, {"BudgetTable": settings.budget_table_name})
        ledger = DynamoDBLedger(client, settings.budget_table_name)
        tenant = os.environ.get("DEV_TENANT_ID", "demo-store")
        try:
            snapshot = ledger.snapshot(tenant)
        except TenantNotFoundError:
            snapshot = ledger.put_policy(tenant, BudgetPolicy.defaults(settings))
        print(f"dynalite (DynamoDB) on {endpoint}, data kept in {DATA_DIR}")
        print(f"budget table {settings.budget_table_name!r}; tenant {tenant!r} is {snapshot.state.value}, ")
        print(f"  daily {snapshot.daily.spent}/{snapshot.daily.cap} nano-USD spent")
        print(f"  export AWS_ENDPOINT_URL_DYNAMODB={endpoint} BUDGET_TABLE_NAME={settings.budget_table_name}")
        print("Ctrl-C stops it.")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


if __name__ == "__main__":
    main()
