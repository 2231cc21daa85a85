"""OpenRouter's account endpoint (GET /api/v1/key), as the simulator serves it and the adapter reads it."""

from __future__ import annotations

import socket
from decimal import Decimal

import httpx
import pytest

from local.openrouter_sim import Fault, OpenRouterSimulator
from spendrail.errors import ProviderAccountError
from spendrail.llm.openrouter_account import OpenRouterAccount
from spendrail.money import usd_to_nanos

MODEL = "mistralai/mistral-small-latest"


def chat(sim: OpenRouterSimulator, prompt: str) -> Decimal:
    answer = httpx.post(
        f"{sim.base_url}/chat/completions",
        headers={"Authorization": "Bearer sk-or-test"},
        json={"model": MODEL, "messages": [{"role": "user", "content": prompt}]},
    )
    return Decimal(repr(answer.json()["usage"].get("cost", 0))) if answer.status_code == 200 else Decimal(0)


def test_the_keys_usage_is_what_the_simulator_billed_in_openrouters_shape(simulator: OpenRouterSimulator) -> None:
    costs = [chat(simulator, f"Where is order {n}?") for n in range(3)]
    simulator.inject(Fault.no_cost())  # billed, but the answer did not say what: the key's usage still counts it
    chat(simulator, "Where is order 3?")
    simulator.inject(Fault.status(503))  # not billed
    chat(simulator, "Where is order 4?")
    answer = httpx.get(f"{simulator.base_url}/key", headers={"Authorization": "Bearer sk-or-test"})
    data = answer.json()["data"]
    assert {"usage", "limit", "limit_remaining", "is_free_tier", "label"} <= set(data)
    assert data["limit"] is None
    billed = simulator.billed_nanos
    assert billed > usd_to_nanos(sum(costs))  # the fourth call's cost too
    assert usd_to_nanos(Decimal(repr(data["usage"]))) == billed
    assert httpx.get(f"{simulator.base_url}/key").status_code == 401


def test_the_adapter_reads_the_usage_in_nano_usd(simulator: OpenRouterSimulator) -> None:
    account = OpenRouterAccount(lambda: "sk-or-test", simulator.base_url)
    assert account.usage_nanos() == 0
    cost = chat(simulator, "Do you ship to Canada?")
    simulator.bill(usd_to_nanos("0.5"))  # another application on the same key
    assert account.usage_nanos() == usd_to_nanos(cost) + usd_to_nanos("0.5")


def test_a_refused_key_is_an_account_error(simulator: OpenRouterSimulator) -> None:
    with pytest.raises(ProviderAccountError, match="401"):
        OpenRouterAccount(lambda: "", simulator.base_url).usage_nanos()


def test_an_unreachable_or_stalled_endpoint_fails_fast(stalled_endpoint: str) -> None:
    with pytest.raises(ProviderAccountError):
        OpenRouterAccount(lambda: "k", stalled_endpoint, timeout_seconds=0.2).usage_nanos()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1"
    with pytest.raises(ProviderAccountError):
        OpenRouterAccount(lambda: "k", closed).usage_nanos()


@pytest.mark.parametrize("body", [b"<html>502</html>", b'{"data": {}}', b'{"data": {"usage": "lots"}}'])
def test_an_answer_without_a_usage_is_an_account_error(body: bytes) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    with pytest.raises(ProviderAccountError):
        OpenRouterAccount(lambda: "k", "https://openrouter.test/api/v1", transport=transport).usage_nanos()
