"""EMBEDDER=local: the cache's embeddings computed in-process are free, budgeted at $0, loaded once per process,
and every failure means "answer without the cache" (an UpstreamError, as from OpenRouter), never a failed request."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from spendrail.cache.memory import InMemoryCacheStore
from spendrail.cache.semantic import SemanticCache
from spendrail.cache.service import AnswerCache
from spendrail.compose import Components
from spendrail.deadline import Deadline
from spendrail.embed import local
from spendrail.embed.local import MODEL, LocalEmbedder, shared_model
from spendrail.embed.minilm import MiniLM, ModelNotFoundError
from spendrail.errors import UpstreamError
from spendrail.llm.openrouter import OpenRouterClient
from spendrail.pricing import PricingCatalog
from spendrail.settings import Settings

QUESTION = "How do I track my order?"


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    embedder = LocalEmbedder()
    embedder.warm()
    return embedder


def semantic(embedder: LocalEmbedder, catalog: PricingCatalog) -> SemanticCache:
    answers = AnswerCache(
        InMemoryCacheStore(), dimensions=384, embedder=MODEL, ttl_seconds=60, refresh_seconds=0, max_entries=10
    )
    return SemanticCache(answers, embedder, catalog, MODEL)


def test_an_embedding_is_the_models_unit_vector_and_costs_nothing(embedder: LocalEmbedder) -> None:
    embedding = embedder.embed(QUESTION, "req-1", Deadline.after(5))
    model = shared_model()
    assert (embedding.model, embedding.cost_usd, embedder.dimensions) == (MODEL, Decimal(0), 384)
    assert embedding.input_tokens == len(model.token_ids(QUESTION)) == 9  # [CLS] how do i track my order ? [SEP]
    assert embedding.vector.dtype == np.float32
    assert np.allclose(embedding.vector, model.encode([QUESTION])[0])


def test_the_cache_holds_and_charges_nothing_for_a_local_embedding(
    embedder: LocalEmbedder, catalog: PricingCatalog
) -> None:
    cache = semantic(embedder, catalog)
    assert cache.embedding_hold(QUESTION * 100) == 0
    embedded = cache.embed(QUESTION, "req-1", Deadline.after(5))
    assert embedded.vector is not None
    assert (embedded.cost, embedded.in_doubt) == (0, 0)


def test_past_its_deadline_the_request_goes_on_without_the_cache_and_is_not_charged(
    embedder: LocalEmbedder, catalog: PricingCatalog
) -> None:
    with pytest.raises(UpstreamError) as raised:
        embedder.embed(QUESTION, "req-1", Deadline.after(0))
    assert (raised.value.kind, raised.value.in_doubt) == ("timeout", False)
    embedded = semantic(embedder, catalog).embed(QUESTION, "req-1", Deadline.after(0))
    assert (embedded.vector, embedded.cost, embedded.in_doubt) == (None, 0, 0)


def test_a_model_that_cannot_load_fails_warm_loudly_and_a_request_quietly(tmp_path: Path) -> None:
    broken = LocalEmbedder(tmp_path)  # an empty directory
    with pytest.raises(ModelNotFoundError):
        broken.warm()  # at init: the cold start fails, so a broken deployment is seen at once
    with pytest.raises(UpstreamError) as raised:
        broken.embed(QUESTION, "req-1", Deadline.after(5))
    assert (raised.value.kind, raised.value.status) == ("unavailable", 503)


def test_threads_asking_at_once_load_the_model_once(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[object] = []
    model = shared_model()

    def load(path: object = None) -> MiniLM:
        loads.append(path)
        return model

    monkeypatch.setattr(MiniLM, "load", staticmethod(load))
    monkeypatch.setattr(local, "_loaded", {})
    start = threading.Barrier(8)
    got: list[MiniLM] = []

    def first_use() -> None:
        start.wait()
        got.append(shared_model("/somewhere/else"))

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loads) == 1
    assert len(got) == 8
    assert len({id(m) for m in got}) == 1


def test_the_composition_root_follows_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "_loaded", {"": shared_model()})  # loaded already: warm() must find it, not reload
    chosen = Components(Settings.from_env({"EMBEDDER": "local", "EMBEDDING_DIMENSIONS": "1024"})).cache_embedder
    assert isinstance(chosen.embedder, LocalEmbedder)
    assert (chosen.model, chosen.dimensions) == (MODEL, 384)  # EMBEDDING_DIMENSIONS is OpenRouter's only
    remote = Components(Settings.from_env({"EMBEDDER": "openrouter"})).cache_embedder
    assert isinstance(remote.embedder, OpenRouterClient)
    assert (remote.model, remote.dimensions) == ("openai/text-embedding-3-small", 512)
    assert Settings.from_env({}).embedder == "local"
