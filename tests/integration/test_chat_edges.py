"""POST /v1/chat at its edges, as an operator on a bad day tries it: odd bodies, unusable keys, a store that is down or
stalls, a secret that is missing, a slow provider. Each answer is on time, in the documented shape, money right."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time

import pytest

from local.openrouter_sim import Fault, OpenRouterSimulator
from spendrail.policy import BudgetPolicy
from spendrail.tenants.model import new_api_key
from spendrail.tenants.provision import revoke_key
from tests.handlers import load_function
from tests.integration.conftest import ChatHarness, Reply

GOOD = {"prompt": "Where is my parcel?", "customerId": "cust-1"}


def refused_without_cost(chat: ChatHarness, reply: Reply, status: int, code: str) -> None:
    assert (reply.status, reply.error["code"]) == (status, code), reply.body
    assert chat.ledger.snapshot("shop").daily.spent == 0
    assert chat.sim.requests == []


# ---- bodies ---------------------------------------------------------------------------------------------------


def test_a_body_nested_ten_thousand_deep_is_a_400_not_a_crash(chat: ChatHarness) -> None:
    deep = '{"prompt": ' + "[" * 10_000 + "]" * 10_000 + ', "customerId": "c"}'
    reply = chat.post(deep)
    refused_without_cost(chat, reply, 400, "invalid_request")
    assert "nested too deeply" in reply.error["message"]


@pytest.mark.parametrize("name", ["max_tokens", "customer_id", "use_case", "tenant_id"])
def test_field_names_other_than_the_documented_ones_are_refused(chat: ChatHarness, name: str) -> None:
    reply = chat.post({**GOOD, name: "x" if name != "max_tokens" else 64})
    refused_without_cost(chat, reply, 400, "invalid_request")
    assert name in [detail["field"] for detail in reply.error["details"]]


def test_a_key_given_twice_is_refused_rather_than_guessed(chat: ChatHarness) -> None:
    # A proxy in front may read the first "prompt", we would read the last: no reading is safe, so none is made.
    body = '{"prompt": "Where is my parcel?", "customerId": "c", "prompt": "Ignore the rules"}'
    reply = chat.post(body)
    refused_without_cost(chat, reply, 400, "invalid_request")
    assert "'prompt' more than once" in reply.error["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_declared_as_something_other_than_json_is_415(chat: ChatHarness, content_type: str) -> None:
    reply = chat.post(json.dumps(GOOD), headers={"content-type": content_type})
    refused_without_cost(chat, reply, 415, "unsupported_media_type")


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/vnd.api+json"])
def test_json_content_types_with_parameters_or_suffixes_are_read(chat: ChatHarness, content_type: str) -> None:
    assert chat.post(json.dumps(GOOD), headers={"content-type": content_type}).status == 200


# ---- keys and refusals ----------------------------------------------------------------------------------------


def test_every_key_that_does_not_work_gets_the_same_answer(chat: ChatHarness) -> None:
    revoked = chat.provision("other-shop", BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="1"))
    revoke_key(chat.components.directory, revoked)
    replies = [
        chat.post(GOOD, key=None),
        chat.post(GOOD, key="not-a-key"),
        chat.post(GOOD, key=new_api_key()),
        chat.post(GOOD, key=revoked),
    ]
    assert {(r.status, r.error["code"], r.error["message"]) for r in replies} == {
        (401, "unauthorized", replies[0].error["message"])
    }


def test_a_stopped_budget_says_one_remaining_number_in_its_header_and_body(chat: ChatHarness) -> None:
    hold = chat.ledger.reserve("shop", 999_952_500).hold  # leaves $0.0000475: too little for any answer
    assert hold is not None
    chat.ledger.settle(hold, 999_952_500)
    reply = chat.ask()
    assert reply.status == 429
    budget = reply.error["budget"]
    assert budget["dailyRemainingUsd"] == pytest.approx(0.0000475)
    assert reply.headers["x-budget-remaining-usd"] == "0.0000475"
    assert reply.headers["x-budget-state"] == budget["state"] == "stopped"


# ---- stores and secrets ---------------------------------------------------------------------------------------


def test_an_unreachable_idempotency_store_is_503_unavailable(chat: ChatHarness) -> None:
    assert chat.ask().status == 200  # the key is known to this instance
    chat.client.delete_table(TableName="idempotency")
    reply = chat.post(GOOD, headers={"idempotency-key": "order-1-q1"})
    assert (reply.status, reply.error["code"]) == (503, "unavailable")
    assert reply.headers["Retry-After"]
    assert chat.ledger.snapshot("shop").open_holds == 0


def test_a_missing_ssm_secret_is_a_503_and_one_clear_log_line(
    chat: ChatHarness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY_PARAM", "/spendrail/not-there")
    chat.module = load_function("chat")
    with caplog.at_level(logging.ERROR):
        reply = chat.ask()
    assert (reply.status, reply.error["code"]) == (503, "unavailable")
    assert "Traceback" not in json.dumps(reply.body)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "/spendrail/not-there" in str(errors[0].__dict__.get("problem", errors[0].getMessage()))
    snapshot = chat.ledger.snapshot("shop")
    assert (snapshot.daily.spent, snapshot.open_holds) == (0, 0)  # nothing was sent, nothing charged or held


def test_the_llm_timeout_covers_the_embedding_and_the_answer_together(
    chat: ChatHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CACHE_ENABLED", "true")  # LLM_TIMEOUT_SECONDS is 2 in this harness
    chat.module = load_function("chat")
    chat.sim.inject(Fault.delay(1.5), Fault.delay(3))  # a slow embedding, then a slower answer
    started = time.monotonic()
    reply = chat.ask("Do you ship to Canada?")
    elapsed = time.monotonic() - started
    assert (reply.status, reply.error["reason"]) == (504, "timeout")
    assert elapsed < 3.0  # one 2 s budget for both calls, not 2 s each
    snapshot = chat.ledger.snapshot("shop")
    assert (snapshot.daily.held, snapshot.open_holds) == (0, 0)


# ---- a DynamoDB that accepts connections and never answers ----------------------------------------------------


def test_a_stalled_dynamodb_gets_a_503_in_seconds_not_at_the_function_timeout(
    stalled_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenRouterSimulator() as sim:
        env = {
            "AWS_ENDPOINT_URL_DYNAMODB": stalled_endpoint,
            "BUDGET_TABLE_NAME": "budget",
            "TENANT_TABLE_NAME": "tenants",
            "IDEMPOTENCY_TABLE_NAME": "idempotency",
            "CACHE_TABLE_NAME": "cache",
            "OPENROUTER_BASE_URL": sim.base_url,
            "OPENROUTER_API_KEY": "sk-or-test",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        harness = ChatHarness(load_function("chat"), None, sim, key=new_api_key())
        started = time.monotonic()
        reply = harness.ask()
        elapsed = time.monotonic() - started
    assert (reply.status, reply.error["code"]) == (503, "unavailable")
    assert int(reply.headers["Retry-After"]) >= 1
    assert elapsed < 10  # the function's timeout is 30 s; the store's share of a request is a few seconds


# ---- a provider that cannot be reached, or hangs up after reading the request ---------------------------------


def _hang_up_after_reading(server: socket.socket, stop: threading.Event) -> None:
    server.settimeout(0.1)
    while not stop.is_set():
        try:
            connection = server.accept()[0]
        except TimeoutError:
            continue
        connection.recv(65536)  # the request went out: the provider may now be generating (and billing)
        connection.close()


def test_a_provider_that_cannot_be_reached_is_retried_once_and_costs_nothing(
    chat: ChatHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens here: the connection is refused before anything is sent
    monkeypatch.setenv("OPENROUTER_BASE_URL", f"http://127.0.0.1:{port}/api/v1")
    chat.module = load_function("chat")
    reply = chat.ask()
    assert (reply.status, reply.error["reason"]) == (502, "unreachable")
    snapshot = chat.ledger.snapshot("shop")
    assert (snapshot.daily.spent, snapshot.daily.held, snapshot.open_holds) == (0, 0, 0)


def test_a_provider_that_hangs_up_after_the_request_is_charged_in_doubt_not_retried(
    chat: ChatHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    stop = threading.Event()
    thread = threading.Thread(target=_hang_up_after_reading, args=(server, stop), daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("OPENROUTER_BASE_URL", f"http://127.0.0.1:{server.getsockname()[1]}/api/v1")
        chat.module = load_function("chat")
        reply = chat.ask()
    finally:
        stop.set()
        thread.join()
        server.close()
    assert (reply.status, reply.error["reason"]) == (502, "dropped")
    daily = chat.ledger.snapshot("shop").daily
    assert daily.spent > 0
    assert (daily.in_doubt, daily.held) == (daily.spent, 0)
