import base64
import http.client
import json
import time
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import openai
import pytest

from local.openrouter_sim import Fault, OpenRouterSimulator, tokens_for
from local.sim_embeddings import EMBEDDING_FALLBACK_PRICES, embed, embedding_features
from spendrail.money import nanos_to_usd
from spendrail.pricing import PricingCatalog

EMBED = "openai/text-embedding-3-small"
MINI = "openai/gpt-5.2-mini"


def post(sim: OpenRouterSimulator, path: str, body: Any, *, auth: str | None = "Bearer sk-or-test") -> tuple[int, Any]:
    url = urlsplit(sim.base_url)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=5)
    headers = {"Content-Type": "application/json"}
    if auth is not None:
        headers["Authorization"] = auth
    try:
        conn.request("POST", url.path + path, json.dumps(body), headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def embed_body(text: str | list[str] = "Where is my package?", **extra: Any) -> dict[str, Any]:
    return {"model": EMBED, "input": text} | extra


def embeddings(sim: OpenRouterSimulator, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
    return post(sim, "/embeddings", embed_body() if body is None else body, **kwargs)


def client(sim: OpenRouterSimulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=sim.base_url, api_key="x", max_retries=0, timeout=5)


def cosine(a: str, b: str, dimensions: int = 1536) -> float:
    return float(np.dot(embed(a, dimensions), embed(b, dimensions)))


def embedding_price(catalog: PricingCatalog, tokens: int) -> Decimal:
    return nanos_to_usd(catalog.price(EMBED).cost_nanos(tokens, 0))


def without_embedding_models(catalog: PricingCatalog) -> PricingCatalog:
    return catalog.model_copy(update={"models": catalog.chat_models})


def test_the_openai_sdk_gets_a_unit_vector_priced_from_the_catalog(
    sim: OpenRouterSimulator, catalog: PricingCatalog
) -> None:
    text = "How do I track my order?"
    response = client(sim).embeddings.create(model=EMBED, input=text, dimensions=512)
    assert response.model == EMBED
    assert [d.index for d in response.data] == [0]
    vector = response.data[0].embedding
    assert len(vector) == 512
    assert all(isinstance(x, float) for x in vector)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-6)
    assert vector == OpenRouterSimulator.embed(text, 512)  # the SDK decoded the base64 it asked for, losslessly
    assert response.usage.prompt_tokens == response.usage.total_tokens == tokens_for(text)
    cost = getattr(response.usage, "cost", None)
    assert isinstance(cost, float)
    assert Decimal(str(cost)) == embedding_price(catalog, tokens_for(text)) > 0
    assert sim.requests[-1]["json"]["encoding_format"] == "base64"  # the SDK's default


def test_the_sdk_gets_float_encoding_when_it_asks_for_it(sim: OpenRouterSimulator) -> None:
    response = client(sim).embeddings.create(model=EMBED, input=["a", "b"], dimensions=64, encoding_format="float")
    assert [d.embedding for d in response.data] == [OpenRouterSimulator.embed(t, 64) for t in ("a", "b")]


def test_a_model_missing_from_the_catalog_falls_back_to_the_constant_price() -> None:
    catalog = without_embedding_models(PricingCatalog.load())
    with OpenRouterSimulator(catalog) as sim:
        status, data = embeddings(sim, embed_body("x" * 4000))
    assert status == 200
    assert data["model"] == EMBED
    assert data["usage"]["prompt_tokens"] == 1000
    expected = Decimal(1000) * EMBEDDING_FALLBACK_PRICES[EMBED] / 1_000_000
    assert Decimal(str(data["usage"]["cost"])) == expected == Decimal("0.00002")


def test_the_catalog_price_wins_over_the_fallback(catalog: PricingCatalog) -> None:
    models = [
        m.model_copy(update={"input_usd_per_million": Decimal("0.5")}) if m.id == EMBED else m for m in catalog.models
    ]
    with OpenRouterSimulator(catalog.model_copy(update={"models": tuple(models)})) as sim:
        status, data = embeddings(sim, embed_body("x" * 4000))
    assert status == 200
    assert Decimal(str(data["usage"]["cost"])) == Decimal("0.0005")


def test_a_list_input_gets_one_indexed_vector_per_text(sim: OpenRouterSimulator, catalog: PricingCatalog) -> None:
    texts = ["Where is my package?", "Can I return opened items?", "Où est mon colis ?"]
    status, data = embeddings(sim, embed_body(texts, dimensions=256))
    assert status == 200
    assert data["object"] == "list"
    assert [(d["object"], d["index"]) for d in data["data"]] == [("embedding", i) for i in range(3)]
    assert [d["embedding"] for d in data["data"]] == [OpenRouterSimulator.embed(t, 256) for t in texts]
    tokens = sum(tokens_for(t) for t in texts)
    assert data["usage"]["prompt_tokens"] == data["usage"]["total_tokens"] == tokens
    assert Decimal(str(data["usage"]["cost"])) == embedding_price(catalog, tokens)


def test_the_defaults_are_1536_floats(sim: OpenRouterSimulator) -> None:
    status, data = embeddings(sim)
    assert status == 200
    vector = data["data"][0]["embedding"]
    assert isinstance(vector, list)
    assert len(vector) == 1536
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-6)


def test_the_same_text_always_gets_the_same_vector(sim: OpenRouterSimulator) -> None:
    first, second = embeddings(sim)[1], embeddings(sim)[1]
    assert first["data"] == second["data"]
    assert first["data"] != embeddings(sim, embed_body("Where is my parcel?"))[1]["data"]
    # Stable across processes too: blake2b, not Python's salted hash(). Pinned values catch an accidental change.
    assert OpenRouterSimulator.embed("???", 8) == [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0]


def test_float_and_base64_encodings_agree(sim: OpenRouterSimulator) -> None:
    texts = ["How do I track my order?", "Wo ist mein Paket? 📦"]
    floats = embeddings(sim, embed_body(texts, dimensions=300, encoding_format="float"))[1]
    encoded = embeddings(sim, embed_body(texts, dimensions=300, encoding_format="base64"))[1]
    for as_float, as_base64 in zip(floats["data"], encoded["data"], strict=True):
        assert isinstance(as_base64["embedding"], str)
        decoded = np.frombuffer(base64.b64decode(as_base64["embedding"]), dtype="<f4").tolist()
        assert decoded == as_float["embedding"]
    assert floats["usage"] == encoded["usage"]


def test_paraphrases_score_higher_than_unrelated_text() -> None:
    question = "How do I track my order?"
    assert cosine(question, "How can I track my order") > cosine(question, "What is your return policy for shoes?")
    assert cosine(question, "how do i track my order") == pytest.approx(1.0)  # case and punctuation are ignored
    assert cosine("Where is my package?", "Where is my parcel?") > 0.5
    assert cosine("Where is my package?", "What is your return policy for shoes?") < 0.5
    assert cosine("How do I reset my password?", "Do you ship to Canada?") < 0.5
    assert cosine(question, "How do I reset my password?") < 0.5  # shared filler words count little


def test_features_are_words_word_pairs_and_character_trigrams() -> None:
    features = dict(embedding_features("The Box!"))
    assert features == {"w:the": 0.3, "w:box": 1.0, "b:the box": 0.65} | {
        f"c:{t}": 0.5 for t in (" th", "the", "he ", "e b", " bo", "box", "ox ")
    }


@pytest.mark.parametrize("auth", [None, "Bearer ", "Basic abc"])
def test_embeddings_need_a_bearer_token(sim: OpenRouterSimulator, auth: str | None) -> None:
    status, data = embeddings(sim, auth=auth)
    assert status == 401
    assert data["error"]["code"] == 401


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model": "openai/text-embedding-9-huge"}, "not in pricing catalog"),
        ({"model": MINI}, "not an embedding model"),
        ({"model": None}, "model"),
        ({"dimensions": 0}, "dimensions"),
        ({"dimensions": 3073}, "dimensions"),
        ({"dimensions": "512"}, "dimensions"),
        ({"dimensions": True}, "dimensions"),
        ({"dimensions": 512.0}, "dimensions"),
        ({"encoding_format": "int8"}, "encoding_format"),
        ({"input": ""}, "empty"),
        ({"input": []}, "input"),
        ({"input": ["ok", ""]}, "empty"),
        ({"input": [1, 2, 3]}, "input"),
        ({"input": None}, "input"),
        ({"input": ["x"] * 2049}, "at most 2048"),
        ({"input": "x" * (4 * 8191 + 1)}, "8191-token limit"),
    ],
)
def test_a_bad_embeddings_request_gets_a_400(sim: OpenRouterSimulator, change: dict[str, Any], message: str) -> None:
    status, data = embeddings(sim, embed_body() | change)
    assert status == 400
    assert data["error"]["code"] == 400
    assert message in data["error"]["message"]


def test_the_sdk_raises_bad_request_for_an_unknown_model(sim: OpenRouterSimulator) -> None:
    with pytest.raises(openai.BadRequestError, match="not in pricing catalog"):
        client(sim).embeddings.create(model="acme/embed-1", input="hi")


def test_the_dimensions_range_ends_are_accepted(sim: OpenRouterSimulator) -> None:
    for dimensions in (1, 3072):
        status, data = embeddings(sim, embed_body(dimensions=dimensions))
        assert status == 200
        assert len(data["data"][0]["embedding"]) == dimensions


def test_chat_refuses_an_embedding_model(sim: OpenRouterSimulator) -> None:
    body = {"model": EMBED, "messages": [{"role": "user", "content": "hi"}]}
    status, data = post(sim, "/chat/completions", body)
    assert status == 400
    assert "does not do chat completions" in data["error"]["message"]


def test_embeddings_requests_are_recorded(sim: OpenRouterSimulator) -> None:
    body = embed_body(dimensions=8)
    embeddings(sim, body)
    assert sim.requests[-1]["method"] == "POST"
    assert sim.requests[-1]["path"] == "/api/v1/embeddings"
    assert sim.requests[-1]["headers"]["authorization"] == "Bearer sk-or-test"
    assert sim.requests[-1]["json"] == body


def test_a_status_fault_applies_to_embeddings(sim: OpenRouterSimulator) -> None:
    sim.inject(Fault.status(429, retry_after=3))
    with pytest.raises(openai.RateLimitError) as raised:
        client(sim).embeddings.create(model=EMBED, input="hi")
    assert raised.value.response.headers["retry-after"] == "3"
    assert embeddings(sim)[0] == 200  # consumed


def test_faults_are_shared_by_chat_and_embeddings_in_order(sim: OpenRouterSimulator) -> None:
    sim.inject(Fault.status(503), Fault.status(502))
    assert embeddings(sim)[0] == 503
    chat = {"model": MINI, "messages": [{"role": "user", "content": "hi"}]}
    assert post(sim, "/chat/completions", chat)[0] == 502
    assert embeddings(sim)[0] == 200


def test_a_delay_fault_applies_to_embeddings(sim: OpenRouterSimulator) -> None:
    sim.inject(Fault.delay(0.2))
    started = time.monotonic()
    status, _ = embeddings(sim)
    assert status == 200
    assert time.monotonic() - started >= 0.2


def test_a_no_cost_fault_drops_the_embeddings_cost(sim: OpenRouterSimulator) -> None:
    sim.inject(Fault.no_cost())
    status, data = embeddings(sim)
    assert status == 200
    assert "cost" not in data["usage"]
    assert data["usage"]["prompt_tokens"] > 0


def test_a_model_fault_is_consumed_without_effect_on_embeddings(sim: OpenRouterSimulator) -> None:
    sim.inject(Fault.model(MINI), Fault.error_in_200())
    first, second = embeddings(sim)[1], embeddings(sim)[1]
    assert first["model"] == second["model"] == EMBED
    assert "error" not in second
    assert embeddings(sim)[1]["data"] == first["data"]


def test_the_embed_helper_gives_unit_vectors_for_any_text() -> None:
    for text in ("a", "!!!", "x" * 10_000, "naïve café — déjà vu"):
        for dimensions in (1, 2, 512):
            vector = OpenRouterSimulator.embed(text, dimensions)
            assert len(vector) == dimensions
            assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError, match="positive"):
        OpenRouterSimulator.embed("a", 0)
