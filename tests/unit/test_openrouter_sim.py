import http.client
import json
import socket
import time
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest

from local.openrouter_sim import Fault, OpenRouterSimulator, prompt_tokens
from spendrail.estimate import input_tokens_upper_bound
from spendrail.money import nanos_to_usd
from spendrail.pricing import PricingCatalog

MINI = "openai/gpt-5.2-mini"
LLAMA = "meta-llama/llama-3.3-70b-instruct"
MISTRAL = "mistralai/mistral-small-latest"


class Reply:
    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = {k.lower(): v for k, v in response.getheaders()}
        self.raw = response.read()

    def json(self) -> Any:
        return json.loads(self.raw)


def request(
    sim: OpenRouterSimulator, method: str, path: str, body: Any = None, *, auth: str | None = "Bearer sk-or-test"
) -> Reply:
    url = urlsplit(sim.base_url)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=5)
    headers = {"Content-Type": "application/json", "X-Title": "spendrail-tests"}
    if auth is not None:
        headers["Authorization"] = auth
    try:
        conn.request(method, url.path + path, None if body is None else json.dumps(body), headers)
        return Reply(conn.getresponse())
    finally:
        conn.close()


def chat_body(text: str = "Where is my order #1234? It has not arrived yet.", **extra: Any) -> dict[str, Any]:
    messages = [{"role": "system", "content": "You are a helpful support agent."}, {"role": "user", "content": text}]
    return {"model": MINI, "messages": messages, "max_tokens": 256, "user": "tenant-a:user-1"} | extra


def chat(sim: OpenRouterSimulator, body: Any = None, **kwargs: Any) -> Reply:
    return request(sim, "POST", "/chat/completions", chat_body() if body is None else body, **kwargs)


def assert_priced(catalog: PricingCatalog, data: dict[str, Any]) -> None:
    usage = data["usage"]
    expected = catalog.price(data["model"]).cost_nanos(usage["prompt_tokens"], usage["completion_tokens"])
    assert isinstance(usage["cost"], float)
    assert Decimal(str(usage["cost"])) == nanos_to_usd(expected)


def test_a_normal_completion_is_counted_and_priced_from_the_catalog(
    sim: OpenRouterSimulator, catalog: PricingCatalog
) -> None:
    body = chat_body()
    reply = chat(sim, body)
    assert reply.status == 200
    data = reply.json()
    assert data["id"].startswith("gen-sim-")
    assert (data["object"], data["model"]) == ("chat.completion", MINI)
    assert isinstance(data["created"], int)
    [choice] = data["choices"]
    assert choice["index"] == 0
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    content = choice["message"]["content"]
    assert "Where is my order" in content  # echoes the question
    text_bytes = sum(len(m["content"].encode()) for m in body["messages"])
    usage = data["usage"]
    assert usage["prompt_tokens"] == -(-text_bytes // 4) + 4 * 2
    assert usage["completion_tokens"] == -(-len(content.encode()) // 4)
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["completion_tokens_details"] == {"reasoning_tokens": 0}
    assert usage["prompt_tokens_details"] == {"cached_tokens": 0}
    assert_priced(catalog, data)


def test_every_request_is_recorded_with_lowercased_headers(sim: OpenRouterSimulator) -> None:
    body = chat_body()
    chat(sim, body)
    [seen] = sim.requests
    assert (seen["method"], seen["path"], seen["json"]) == ("POST", "/api/v1/chat/completions", body)
    assert seen["headers"]["authorization"] == "Bearer sk-or-test"
    assert seen["headers"]["x-title"] == "spendrail-tests"
    sim.clear()
    assert sim.requests == []


def test_the_same_request_gets_the_same_reply(sim: OpenRouterSimulator) -> None:
    first, second = chat(sim).json(), chat(sim).json()
    assert first["choices"] == second["choices"]
    assert first["usage"] == second["usage"]
    assert first["id"] != second["id"]
    replies = {
        chat(sim, chat_body(f"question {n} about billing")).json()["choices"][0]["message"]["content"] for n in range(8)
    }
    assert len(replies) > 1  # different questions, different answers


def test_a_fallback_list_is_served_by_its_first_model(sim: OpenRouterSimulator, catalog: PricingCatalog) -> None:
    data = chat(sim, chat_body(models=[LLAMA, MISTRAL])).json()
    assert data["model"] == LLAMA
    assert_priced(catalog, data)


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
@pytest.mark.parametrize(
    "text", ["Why was I charged twice?", "为什么我的订单被扣了两次款请帮我查一下", "refund 🙏🙏🙏 please"]
)
def test_a_reply_longer_than_max_tokens_is_cut_with_finish_reason_length(
    sim: OpenRouterSimulator, catalog: PricingCatalog, field: str, text: str
) -> None:
    body = chat_body(text)
    del body["max_tokens"]
    full = chat(sim, body).json()["choices"][0]["message"]["content"]
    for cap in (1, 3, 7):
        data = chat(sim, body | {field: cap}).json()
        [choice] = data["choices"]
        assert choice["finish_reason"] == "length"
        assert full.startswith(choice["message"]["content"])
        assert len(choice["message"]["content"].encode()) <= 4 * cap
        assert data["usage"]["completion_tokens"] <= cap
        assert_priced(catalog, data)


def test_a_cap_the_reply_fits_in_finishes_normally(sim: OpenRouterSimulator) -> None:
    data = chat(sim, chat_body(max_tokens=10_000)).json()
    assert data["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize("auth", [None, "Bearer ", "Bearer    ", "sk-or-no-scheme"])
def test_a_request_without_a_bearer_token_is_refused(sim: OpenRouterSimulator, auth: str | None) -> None:
    reply = chat(sim, auth=auth)
    assert reply.status == 401
    assert reply.json()["error"]["code"] == 401
    assert reply.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        chat_body(model="nobody/unknown-model"),
        chat_body(models=[LLAMA, "nobody/unknown-model"]),
        chat_body(stream=True),
        chat_body(max_tokens=0),
        chat_body(messages=[]),
        chat_body(messages=[{"role": "user"}]),
        {"messages": [{"role": "user", "content": "hi"}]},
        [1, 2, 3],
    ],
    ids=[
        "unknown-model",
        "unknown-fallback",
        "stream",
        "zero-max-tokens",
        "no-messages",
        "no-content",
        "no-model",
        "array",
    ],
)
def test_a_bad_request_gets_a_400_error_body(sim: OpenRouterSimulator, body: Any) -> None:
    reply = chat(sim, body)
    assert reply.status == 400
    assert reply.json()["error"]["code"] == 400


def test_an_unknown_path_is_404(sim: OpenRouterSimulator) -> None:
    assert request(sim, "GET", "/nothing").status == 404
    assert request(sim, "POST", "/completions", {}).status == 404


@pytest.mark.parametrize("code", [400, 401, 402, 403, 408, 429, 500, 502, 503])
def test_a_status_fault_answers_with_that_status_and_an_error_body(sim: OpenRouterSimulator, code: int) -> None:
    sim.inject(Fault.status(code))
    reply = chat(sim)
    assert reply.status == code
    assert reply.json()["error"]["code"] == code
    assert "retry-after" not in reply.headers
    assert chat(sim).status == 200  # consumed: the next request is normal


def test_a_rate_limit_fault_can_carry_retry_after(sim: OpenRouterSimulator) -> None:
    sim.inject(Fault.status(429, retry_after=7))
    reply = chat(sim)
    assert (reply.status, reply.headers["retry-after"]) == (429, "7")


def test_faults_are_consumed_in_order_and_can_repeat(sim: OpenRouterSimulator) -> None:
    sim.inject(Fault.status(503), Fault.status(429), repeat=2)
    sim.inject(Fault.status(402))
    assert [chat(sim).status for _ in range(6)] == [503, 429, 503, 429, 402, 200]


def test_a_short_delay_fault_still_answers_normally(sim: OpenRouterSimulator) -> None:
    sim.inject(Fault.delay(0.05))
    reply = chat(sim)
    assert reply.status == 200
    assert reply.json()["choices"][0]["finish_reason"] == "stop"


def test_a_long_delay_times_the_client_out_and_stop_interrupts_it() -> None:
    sim = OpenRouterSimulator().start()
    try:
        sim.inject(Fault.delay(60))
        url = urlsplit(sim.base_url)
        conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=0.2)
        conn.request("POST", url.path + "/chat/completions", json.dumps(chat_body()), {"Authorization": "Bearer k"})
        with pytest.raises(socket.timeout):
            conn.getresponse()
        conn.close()
    finally:
        started = time.monotonic()
        sim.stop()
    assert time.monotonic() - started < 5  # the 60 s sleep did not hold stop() up


def test_a_malformed_fault_sends_a_200_that_is_not_json(sim: OpenRouterSimulator) -> None:
    sim.inject(Fault.malformed())
    reply = chat(sim)
    assert reply.status == 200
    with pytest.raises(json.JSONDecodeError):
        reply.json()


def test_a_truncated_fault_sends_half_a_body_with_a_matching_content_length(sim: OpenRouterSimulator) -> None:
    whole = chat(sim).raw
    sim.inject(Fault.truncated())
    reply = chat(sim)
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert int(reply.headers["content-length"]) == len(reply.raw)
    assert abs(len(reply.raw) - len(whole) // 2) <= 2  # only the generation number differs
    assert reply.raw.startswith(b'{"id": "gen-sim-')
    with pytest.raises(json.JSONDecodeError):
        reply.json()


def test_an_error_in_a_200_still_reports_billed_usage(sim: OpenRouterSimulator, catalog: PricingCatalog) -> None:
    sim.inject(Fault.error_in_200())
    reply = chat(sim)
    assert reply.status == 200
    data = reply.json()
    assert data["error"] == {"code": 502, "message": "provider error mid-generation"}
    assert data["choices"][0]["finish_reason"] == "error"
    assert data["usage"]["completion_tokens"] > 0
    assert_priced(catalog, data)


def test_a_no_cost_fault_drops_only_the_cost(sim: OpenRouterSimulator) -> None:
    normal = chat(sim).json()
    sim.inject(Fault.no_cost())
    data = chat(sim).json()
    assert "cost" not in data["usage"]
    assert data["usage"] == {k: v for k, v in normal["usage"].items() if k != "cost"}


def test_a_model_fault_answers_and_prices_as_the_fallback(sim: OpenRouterSimulator, catalog: PricingCatalog) -> None:
    sim.inject(Fault.model(LLAMA))
    data = chat(sim, chat_body(models=[MINI, LLAMA])).json()
    assert data["model"] == LLAMA
    assert_priced(catalog, data)


def test_the_models_listing_has_per_token_prices(sim: OpenRouterSimulator, catalog: PricingCatalog) -> None:
    reply = request(sim, "GET", "/models", auth=None)
    assert reply.status == 200
    listed = {m["id"]: m for m in reply.json()["data"]}
    assert set(listed) == {m.id for m in catalog.models}
    for model in catalog.models:
        entry = listed[model.id]
        assert Decimal(entry["pricing"]["prompt"]) * 1_000_000 == model.input_usd_per_million
        assert Decimal(entry["pricing"]["completion"]) * 1_000_000 == model.output_usd_per_million
        assert entry["context_length"] == model.context_tokens
        assert entry["name"]
    assert listed[MINI]["pricing"]["prompt"] == "0.0000003"


TEXTS = {
    "ascii": "Hello, I need help resetting my password please.",
    "emoji": "🙂🙃😉😊😇🥰😍🤩😘😗☺️😚😙🥲",
    "cjk": "我的订单还没有到，请问什么时候发货？谢谢。",  # noqa: RUF001 - real CJK text uses fullwidth punctuation
    "mixed": "Ünïcödé 混合 text 🚀 with accents: café, naïve, façade",
    "empty": "",
}


@pytest.mark.parametrize("count", [1, 3, 20])
@pytest.mark.parametrize("kind", list(TEXTS))
def test_prompt_tokens_stay_under_the_projects_upper_bound(sim: OpenRouterSimulator, kind: str, count: int) -> None:
    texts = [TEXTS[kind] * (n + 1) for n in range(count)]
    messages = [{"role": "user", "content": t} for t in texts]
    bound = sum(len(t.encode()) for t in texts) + 16 * count + 32
    assert bound == input_tokens_upper_bound(texts)
    assert prompt_tokens(messages) <= bound
    assert chat(sim, chat_body(messages=messages)).json()["usage"]["prompt_tokens"] == prompt_tokens(messages)


def test_lifecycle(catalog: PricingCatalog) -> None:
    sim = OpenRouterSimulator(catalog)
    with pytest.raises(RuntimeError):
        _ = sim.base_url
    with sim:
        assert sim.base_url.startswith("http://127.0.0.1:")
        assert sim.base_url.endswith("/api/v1")
        with pytest.raises(RuntimeError):
            sim.start()
    sim.stop()  # stopping twice is harmless
    with sim:  # and it can start again
        assert chat(sim).status == 200


def test_concurrent_requests_are_all_recorded_with_distinct_ids(sim: OpenRouterSimulator) -> None:
    from concurrent.futures import ThreadPoolExecutor

    sim.inject(Fault.status(429), repeat=10)
    with ThreadPoolExecutor(max_workers=16) as pool:
        replies = list(pool.map(lambda n: chat(sim, chat_body(f"order {n}")), range(40)))
    assert sorted(r.status for r in replies) == [200] * 30 + [429] * 10
    ids = [r.json()["id"] for r in replies if r.status == 200]
    assert len(set(ids)) == 30
    assert len(sim.requests) == 40
