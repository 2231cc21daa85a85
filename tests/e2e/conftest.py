from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from local.dev import LocalStack, StackConfig
from spendrail.policy import BudgetPolicy
from spendrail.tenants.model import Tenant
from spendrail.tenants.provision import provision_tenant


@dataclass
class HttpReply:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


def post(url: str, key: str, body: dict[str, Any], timeout: float = 30) -> HttpReply:
    request = urllib.request.Request(  # noqa: S310 - loopback http only
        f"{url}/v1/chat",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback only
            return HttpReply(response.status, dict(response.headers), json.loads(response.read()))
    except urllib.error.HTTPError as error:
        return HttpReply(error.code, dict(error.headers), json.loads(error.read()))


@dataclass
class Stack:
    stack: LocalStack

    @property
    def url(self) -> str:
        return self.stack.url

    def tenant(self, tenant_id: str, policy: BudgetPolicy, fallback: str = "Back soon!") -> str:
        components = self.stack.components
        return provision_tenant(components.directory, components.ledger, Tenant(tenant_id, fallback), policy)


@pytest.fixture(scope="module")
def local_stack() -> Iterator[Stack]:
    """The `make dev` stack on free loopback ports, DynamoDB in memory, the offline OpenRouter simulator (its
    embeddings too: the tests count what they cost)."""
    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING", "EMBEDDER": "openrouter"}
    config = StackConfig(port=0, dynamodb_port=0, data_dir=None, instances=4, env=quiet)
    with LocalStack(config) as stack:
        yield Stack(stack)
