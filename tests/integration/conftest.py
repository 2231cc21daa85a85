from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from local.apigw import LambdaContext, api_gateway_event
from local.openrouter_sim import OpenRouterSimulator
from spendrail.compose import Components
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.policy import BudgetPolicy
from spendrail.settings import Settings
from spendrail.tenants.model import Tenant
from spendrail.tenants.provision import provision_tenant
from tests.handlers import load_function
from tests.integration.ledgers import ledger, make_ledger  # noqa: F401 - the ledger contract's fixtures

FALLBACK = "Our assistant is resting. Email help@shop.example and we will answer today."


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def error(self) -> dict[str, Any]:
        return dict(self.body["error"])


@dataclass
class ChatHarness:
    """The chat function as API Gateway calls it, on moto, talking HTTP to the OpenRouter simulator."""

    module: Any
    client: Any
    sim: OpenRouterSimulator
    key: str

    @property
    def components(self) -> Components:
        """The adapters as the function builds them (same settings), on the test's DynamoDB client."""
        return Components(Settings.from_env(), dynamodb=self.client)

    @property
    def ledger(self) -> DynamoDBLedger:
        return self.components.ledger

    def post(
        self,
        body: Any = None,
        *,
        key: str | None = "default",
        headers: dict[str, str] | None = None,
        timeout_s: float = 30.0,
    ) -> Reply:
        all_headers = {"content-type": "application/json", **(headers or {})}
        if key is not None:
            all_headers["authorization"] = f"Bearer {self.key if key == 'default' else key}"
        event = api_gateway_event("POST", "/v1/chat", headers=all_headers, body=body)
        result = self.module.lambda_handler(event, LambdaContext(function_name="chat", timeout_s=timeout_s))
        return Reply(result["statusCode"], result.get("headers", {}), json.loads(result["body"]))

    def ask(self, prompt: str = "How do I track my order?", **fields: Any) -> Reply:
        return self.post({"prompt": prompt, "customerId": "cust-42", **fields})

    def provision(self, tenant_id: str, policy: BudgetPolicy, fallback: str = FALLBACK) -> str:
        components = self.components
        return provision_tenant(components.directory, components.ledger, Tenant(tenant_id, fallback), policy)


@pytest.fixture
def simulator() -> Iterator[OpenRouterSimulator]:
    with OpenRouterSimulator() as sim:
        yield sim


@pytest.fixture
def chat(moto_dynamodb: Any, simulator: OpenRouterSimulator, monkeypatch: pytest.MonkeyPatch) -> ChatHarness:
    env = {
        "BUDGET_TABLE_NAME": "budget",
        "TENANT_TABLE_NAME": "tenants",
        "IDEMPOTENCY_TABLE_NAME": "idempotency",
        "CACHE_TABLE_NAME": "cache",
        # The request path's own tests run without the cache (its embedding call would take injected faults);
        # tests/integration/test_answer_cache.py turns it on.
        "CACHE_ENABLED": "false",
        "CACHE_REFRESH_SECONDS": "0",
        # The simulator's embeddings, over HTTP, where the cache is on: their faults and costs are what is tested
        # (tests/integration/test_local_embedder.py runs EMBEDDER=local).
        "EMBEDDER": "openrouter",
        "OPENROUTER_BASE_URL": simulator.base_url,
        "OPENROUTER_API_KEY": "sk-or-test",
        "LLM_TIMEOUT_SECONDS": "2",
        "BUSY_WAIT_SECONDS": "0.2",
        "POWERTOOLS_SERVICE_NAME": "spendrail",
        "POWERTOOLS_METRICS_NAMESPACE": "Spendrail",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    harness = ChatHarness(load_function("chat"), moto_dynamodb, simulator, key="")
    harness.key = harness.provision("shop", BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10"))
    return harness
