"""`make dev`: the whole stack on one machine, no AWS account: dynalite, the functions behind a local API Gateway,
and OpenRouter (the real one when OPENROUTER_API_KEY is set, else the offline simulator)."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from local import dynalite, tables
from local.apigw import LocalApiGateway, Route
from local.openrouter_sim import OpenRouterSimulator
from spendrail.errors import TenantNotFoundError
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.money import nanos_to_usd
from spendrail.policy import BudgetPolicy
from spendrail.settings import Settings
from spendrail.tenants.dynamodb import DynamoDBTenantDirectory
from spendrail.tenants.model import Tenant
from spendrail.tenants.provision import provision_tenant

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / ".local-data" / "dynalite"
ROUTES = [Route("POST", "/v1/chat", "functions/chat:app.lambda_handler")]
# Handed to the functions as is (the rest of the environment is not, as in Lambda).
_PASSED_THROUGH = (
    "DEFAULT_DAILY_BUDGET",
    "DEFAULT_MONTHLY_BUDGET",
    "HOLD_TTL_SECONDS",
    "BUSY_WAIT_SECONDS",
    "AUTH_CACHE_SECONDS",
    "LLM_TIMEOUT_SECONDS",
    "HELICONE_API_KEY",
    "HELICONE_URL",
    "POWERTOOLS_LOG_LEVEL",
    "POWERTOOLS_METRICS_DISABLED",
    "CACHE_ENABLED",
    "CACHE_REFRESH_SECONDS",
    "CACHE_TTL_SECONDS",
    "EMBEDDING_MODEL",
    "EMBEDDING_DIMENSIONS",
)


def function_env(dynamodb_endpoint: str, settings: Settings, llm_base_url: str, llm_api_key: str) -> dict[str, str]:
    """What the functions find in their environment locally: dynalite, the tables, the LLM, fake credentials."""
    return {
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "BUDGET_TABLE_NAME": settings.budget_table_name,
        "TENANT_TABLE_NAME": settings.tenant_table_name,
        "IDEMPOTENCY_TABLE_NAME": settings.idempotency_table_name,
        "CACHE_TABLE_NAME": settings.cache_table_name,
        "OPENROUTER_API_KEY": llm_api_key,
        "POWERTOOLS_SERVICE_NAME": "spendrail",
        "POWERTOOLS_METRICS_NAMESPACE": "Spendrail",
        "POWERTOOLS_TRACE_DISABLED": "true",
        **({"OPENROUTER_BASE_URL": llm_base_url} if llm_base_url else {}),
    }


@dataclass
class StackConfig:
    port: int = 3000
    dynamodb_port: int = 0
    data_dir: Path | None = None  # None keeps DynamoDB in memory (tests)
    tenant_id: str = "demo-store"
    tenant_key: str | None = None
    policy: BudgetPolicy | None = None
    instances: int = 4
    openrouter_api_key: str = ""
    openrouter_base_url: str = ""
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> StackConfig:
        return cls(
            port=int(environ.get("PORT", "3000")),
            dynamodb_port=int(environ.get("DYNAMODB_PORT", "8000")),
            data_dir=DATA_DIR,
            tenant_id=environ.get("DEV_TENANT_ID", "demo-store"),
            tenant_key=environ.get("DEV_TENANT_KEY") or None,
            instances=int(environ.get("LOCAL_INSTANCES", "4")),
            openrouter_api_key=environ.get("OPENROUTER_API_KEY", ""),
            openrouter_base_url=environ.get("OPENROUTER_BASE_URL", ""),
            env={name: environ[name] for name in _PASSED_THROUGH if name in environ},
        )


class LocalStack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.settings = Settings.from_env(config.env)
        self._exit = contextlib.ExitStack()
        self.dynamodb_endpoint = ""
        self.simulator: OpenRouterSimulator | None = None
        self.gateway: LocalApiGateway | None = None
        self.tenant_key = ""
        self.client: Any = None

    @property
    def url(self) -> str:
        assert self.gateway is not None
        return self.gateway.url

    def start(self) -> Self:
        try:
            self._start()
        except BaseException:
            self._exit.close()
            raise
        return self

    def _start(self) -> None:
        config, settings = self.config, self.settings
        self.dynamodb_endpoint = self._exit.enter_context(
            dynalite.running(port=config.dynamodb_port or None, data_dir=config.data_dir)
        )
        self.client = dynalite.client(self.dynamodb_endpoint)
        self._create_tables()
        self.tenant_key = self._seed()
        base_url, api_key = config.openrouter_base_url, config.openrouter_api_key
        if not api_key and not base_url:  # neither a real OpenRouter nor another endpoint: work offline
            self.simulator = self._exit.enter_context(OpenRouterSimulator())
            base_url = self.simulator.base_url
        api_key = api_key or "sk-or-local-no-key"
        env = function_env(self.dynamodb_endpoint, settings, base_url, api_key) | config.env
        self.gateway = LocalApiGateway(ROUTES, port=config.port, instances=config.instances, env=env)
        self._exit.enter_context(self.gateway)

    def stop(self) -> None:
        self._exit.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def ledger(self) -> DynamoDBLedger:
        return DynamoDBLedger(self.client, self.settings.budget_table_name)

    def _create_tables(self) -> None:
        wanted = {
            "BudgetTable": self.settings.budget_table_name,
            "TenantTable": self.settings.tenant_table_name,
            "IdempotencyTable": self.settings.idempotency_table_name,
            "CacheTable": self.settings.cache_table_name,
        }
        existing = set(self.client.list_tables()["TableNames"])
        tables.create_tables(self.client, {k: v for k, v in wanted.items() if v not in existing})

    def _seed(self) -> str:
        """The dev tenant with the default budget (kept if it exists: budgets survive a restart) and a key."""
        config = self.config
        ledger = self.ledger()
        policy = config.policy or BudgetPolicy.defaults(self.settings)
        with contextlib.suppress(TenantNotFoundError):
            policy = config.policy or ledger.snapshot(config.tenant_id).policy
        directory = DynamoDBTenantDirectory(self.client, self.settings.tenant_table_name)
        return provision_tenant(directory, ledger, Tenant(config.tenant_id), policy, config.tenant_key)


def main() -> None:
    stack = LocalStack(StackConfig.from_env(os.environ))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with stack:
        snapshot = stack.ledger().snapshot(stack.config.tenant_id)
        llm = f"simulator at {stack.simulator.base_url}" if stack.simulator else stack.config.openrouter_base_url
        llm = llm or "OpenRouter (OPENROUTER_API_KEY)"
        print(
            f"""
spendrail local stack
  API        {stack.url}  (POST /v1/chat)
  DynamoDB   {stack.dynamodb_endpoint}  (dynalite, data in {stack.config.data_dir})
  LLM        {llm}
  tenant     {stack.config.tenant_id}: {snapshot.state.value}, daily ${nanos_to_usd(snapshot.daily.spent):f} of \
${nanos_to_usd(snapshot.daily.cap):f} spent
  key        {stack.tenant_key}

Try it:
  curl -s -X POST {stack.url}/v1/chat \\
    -H 'Authorization: Bearer {stack.tenant_key}' -H 'Content-Type: application/json' \\
    -d '{{"prompt":"How do I track my order?","customerId":"cust-1"}}'

Ctrl-C stops everything.""",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


if __name__ == "__main__":
    main()
