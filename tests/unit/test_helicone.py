from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import httpx

from spendrail.llm.helicone import HeliconeLogger, LoggedCall

CALL = LoggedCall(
    url="http://openrouter.test/api/v1/chat/completions",
    request={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
    response={"id": "gen-1", "usage": {"cost": 0.0001}},
    status=200,
    started=datetime(2026, 11, 28, 12, 0, 0, 250_000, tzinfo=UTC),
    ended=datetime(2026, 11, 28, 12, 0, 1, 500_000, tzinfo=UTC),
    meta={"Helicone-Request-Id": "req-1"},
)


def test_a_call_is_logged_in_helicones_custom_log_format() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    logger = HeliconeLogger(lambda: "hk-secret", url="https://helicone.test/log", transport=httpx.MockTransport(record))
    logger.wait(logger.log(CALL))
    assert (logger.sent, logger.failed) == (1, 0)
    request = seen[0]
    assert request.headers["authorization"] == "Bearer hk-secret"
    body = json.loads(request.content)
    assert body["providerRequest"] == {"url": CALL.url, "json": CALL.request, "meta": CALL.meta}
    assert body["providerResponse"]["json"] == CALL.response
    assert body["providerResponse"]["status"] == 200
    assert body["timing"] == {
        "startTime": {"seconds": 1795867200, "milliseconds": 250},
        "endTime": {"seconds": 1795867201, "milliseconds": 500},
    }


def test_a_helicone_failure_is_counted_never_raised() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500)

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    for transport in (httpx.MockTransport(fail), httpx.MockTransport(unreachable)):
        logger = HeliconeLogger(lambda: "k", transport=transport)
        logger.wait(logger.log(CALL))
        assert (logger.sent, logger.failed) == (0, 1)


def test_waiting_is_bounded_by_the_timeout_even_if_helicone_hangs() -> None:
    release = threading.Event()

    def hang(request: httpx.Request) -> httpx.Response:
        release.wait(5)  # a Helicone that never answers within the test
        return httpx.Response(200)

    logger = HeliconeLogger(lambda: "k", timeout_seconds=0.05, transport=httpx.MockTransport(hang))
    thread = logger.log(CALL)
    started = datetime.now(UTC)
    logger.wait(thread)
    waited = (datetime.now(UTC) - started).total_seconds()
    release.set()
    thread.join()
    assert waited < 0.5


def test_the_llm_decorator_logs_each_answer_and_the_request_waits_for_it_at_drain() -> None:
    from spendrail.deadline import Deadline
    from spendrail.llm.helicone import LoggedLLM
    from spendrail.llm.port import CompletionRequest, Message
    from tests.fakes.llm import ScriptedLLM

    seen: list[dict[str, object]] = []
    arrived = threading.Event()

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        arrived.set()
        return httpx.Response(200)

    helicone = HeliconeLogger(lambda: "k", transport=httpx.MockTransport(record))
    llm = LoggedLLM(ScriptedLLM(), None, helicone, url="http://openrouter.test/api/v1")
    request = CompletionRequest("m/a", ("m/b",), (Message("user", "hi"),), 64, "cust-1", "req-7")
    completion = llm.complete(request, Deadline.after(5))
    llm.drain(Deadline.after(5))
    assert arrived.is_set()  # drained: the send finished before the request ended
    assert completion.model == "m/a"
    logged = seen[0]["providerRequest"]
    assert logged == {
        "url": "http://openrouter.test/api/v1/chat/completions",
        "json": {
            "model": "m/a",
            "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 64,
            "user": "cust-1",
            "models": ["m/a", "m/b"],
        },
        "meta": {"Helicone-Request-Id": "req-7"},
    }
    assert helicone.sent == 1
