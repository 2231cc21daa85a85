"""The semantic cache's labeled evaluation set is well formed, and `make eval-cache` computes its rates correctly.

No model is loaded here: the harness runs on fake encoders, so these tests take milliseconds.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import numpy as np
import pytest

from benchmarks import eval_cache
from benchmarks.eval_cache import (
    COSINE,
    Embedder,
    EmbedderUnavailableError,
    Pair,
    Vectors,
    cosine_auc,
    default_embedder,
    evaluate,
    guard_counts,
    judge,
    load_pairs,
    load_vocabulary,
    make_embedder,
    no_guard,
    project_guard,
    rates,
    render_errors,
    roc_auc,
)
from spendrail.cache import rules
from spendrail.cache.rules import guard_reason, normalize
from spendrail.settings import Settings

PAIRS = load_pairs()
DOC = Path(__file__).parents[2] / "docs" / "cache-eval.md"


def _same_vector(texts: Sequence[str]) -> Vectors:
    """Every text gets one vector: every pair scores cosine 1.0."""
    return np.ones((len(texts), 8), dtype=np.float32)


def _fake(encode: eval_cache.Encoder) -> Embedder:
    return Embedder("fake", "fake: a test encoder", encode)


def _slice() -> list[Pair]:
    """A few pairs of every class and label, dev and held out."""
    seen: Counter[tuple[str, str, str]] = Counter()
    chosen = []
    for pair in PAIRS:
        key = (pair.category, pair.label, pair.split)
        if seen[key] < 1:
            seen[key] += 1
            chosen.append(pair)
    return chosen


# The set


def test_the_set_is_large_enough_and_its_ids_unique() -> None:
    assert len(PAIRS) >= 400
    assert len({p.id for p in PAIRS}) == len(PAIRS)


def test_every_line_has_exactly_the_documented_fields() -> None:
    path = eval_cache.PAIRS
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        assert set(row) == {"id", "a", "b", "label", "class", "split"}, row
        assert row["label"] in {"paraphrase", "negative"}
        assert row["split"] in {"dev", "heldout"}


def test_about_half_are_paraphrases() -> None:
    share = sum(p.label == "paraphrase" for p in PAIRS) / len(PAIRS)
    assert 0.45 <= share <= 0.55


def test_about_30_percent_is_held_out_and_every_class_has_both_labels_in_both_splits() -> None:
    share = sum(p.split == "heldout" for p in PAIRS) / len(PAIRS)
    assert 0.25 <= share <= 0.35
    cells = Counter((p.category, p.label, p.split) for p in PAIRS)
    for category in {p.category for p in PAIRS}:
        for label in ("paraphrase", "negative"):
            for split in ("dev", "heldout"):
                assert cells[category, label, split] > 0, (category, label, split)


def test_no_pair_is_repeated_and_no_question_crosses_the_split() -> None:
    keys = Counter(frozenset((normalize(p.a), normalize(p.b))) for p in PAIRS)
    assert [k for k, n in keys.items() if n > 1] == []
    texts = {
        split: {normalize(t) for p in PAIRS if p.split == split for t in (p.a, p.b)} for split in ("dev", "heldout")
    }
    assert texts["dev"] & texts["heldout"] == set()


def test_no_pair_is_settled_by_the_exact_tier() -> None:
    assert [p.id for p in PAIRS if normalize(p.a) == normalize(p.b)] == []


def test_every_vocabulary_term_is_used_by_some_pair() -> None:
    vocabulary = load_vocabulary()
    assert len(vocabulary) >= 20
    text = " ".join(t.casefold() for p in PAIRS for t in (p.a, p.b))
    assert [term for term in vocabulary if term.casefold() not in text] == []


def test_the_doc_names_every_class() -> None:
    doc = DOC.read_text(encoding="utf-8")
    assert [c for c in sorted({p.category for p in PAIRS}) if f"`{c}`" not in doc] == []


# The harness


def test_when_every_pair_scores_one_plain_cosine_serves_everything_and_the_guards_decide_alone() -> None:
    pairs = _slice()
    judged = judge(pairs, _same_vector, {"guard_reason": guard_reason, COSINE: no_guard}, (0.7, 0.95))
    assert all(j.score == pytest.approx(1.0, abs=1e-3) for j in judged)
    for threshold in (0.7, 0.95):
        plain = rates(judged, COSINE, threshold)
        assert (plain.served, plain.wrong) == (1.0, 1.0)
        guarded = rates(judged, "guard_reason", threshold)
        passes = Counter(p.label for p in pairs if guard_reason(p.b, p.a) is None)
        assert guarded.paraphrases_served == passes["paraphrase"]
        assert guarded.negatives_served == passes["negative"]
    assert cosine_auc(judged) == 0.5  # all ties


def test_rates_follow_the_threshold_and_the_auc_the_ordering() -> None:
    pairs = [
        Pair("p", "Where is my parcel?", "Where's my package?", "paraphrase", "topic", "dev"),
        Pair("n", "How do I apply a promo code?", "How do I get a promo code?", "negative", "topic", "dev"),
    ]
    vectors = {
        "Where is my parcel?": [1.0, 0.0],
        "Where's my package?": [0.9, np.sqrt(1 - 0.81)],  # cosine 0.9
        "How do I apply a promo code?": [1.0, 0.0],
        "How do I get a promo code?": [0.8, 0.6],  # cosine 0.8
    }

    def encode(texts: Sequence[str]) -> Vectors:
        return np.asarray([vectors[t] for t in texts], dtype=np.float32)

    judged = judge(pairs, encode, {COSINE: no_guard}, (0.75, 0.85, 0.95))
    assert [round(j.score, 2) for j in judged] == [0.9, 0.8]
    assert (rates(judged, COSINE, 0.75).served, rates(judged, COSINE, 0.75).wrong) == (1.0, 1.0)
    assert (rates(judged, COSINE, 0.85).served, rates(judged, COSINE, 0.85).wrong) == (1.0, 0.0)
    assert (rates(judged, COSINE, 0.95).served, rates(judged, COSINE, 0.95).wrong) == (0.0, 0.0)
    assert cosine_auc(judged) == 1.0


def test_roc_auc_counts_ties_as_half() -> None:
    assert roc_auc([0.9, 0.8], [0.1, 0.8]) == pytest.approx(3.5 / 4)
    assert roc_auc([0.5], []) is None


def test_guard_reasons_count_blocked_paraphrases_and_caught_negatives_above_the_threshold() -> None:
    pairs = [
        Pair("p", "Is the return window 30 days?", "Is the return window 4 weeks?", "paraphrase", "x", "dev"),
        Pair("n", "Is shipping free over $50?", "Is shipping free over $100?", "negative", "x", "dev"),
        Pair("q", "Can I pay with PayPal?", "Can I checkout with PayPal?", "paraphrase", "x", "dev"),
    ]
    judged = judge(pairs, _same_vector, {"guard_reason": guard_reason}, (0.85,))
    counts = guard_counts(judged, "guard_reason", 0.85)
    assert counts == {"paraphrases_blocked": {"numbers_differ": 1}, "negatives_caught": {"numbers_differ": 1}}
    assert rates(judged, "guard_reason", 0.85).paraphrases_served == 1


def test_errors_list_dev_pairs_only() -> None:
    pairs = _slice()
    judged = judge(pairs, _same_vector, {"guard_reason": guard_reason}, (0.85,))
    text = "\n".join(render_errors(judged, "guard_reason", 0.85))
    held_out = [p for p in pairs if p.split == "heldout"]
    assert held_out
    assert [p.id for p in held_out if p.id in text or p.b in text] == []
    assert any(p.id in text for p in pairs if p.split == "dev")


def test_main_reports_both_splits_and_writes_the_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(eval_cache, "make_embedder", lambda name, settings: _fake(_same_vector))
    out = tmp_path / "figures.json"
    assert eval_cache.main(["--embedder", "simulator", "--json", str(out), "--show-errors"]) == 0
    printed = capsys.readouterr().out
    assert "== dev:" in printed
    assert "== heldout:" in printed
    assert [p.id for p in PAIRS if p.split == "heldout" and p.id in printed] == []
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["guard"] == "tenant_guard"
    assert figures["default_threshold"] == 0.85
    assert figures["thresholds"] == [0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
    for split in ("dev", "heldout"):
        cosine = figures["splits"][split]["by_threshold"]["0.85"][COSINE]
        assert cosine["overall"]["wrong_answers_served_rate"] == 1.0
        assert set(cosine["by_class"]) == {p.category for p in PAIRS}


def test_a_tenant_guard_factory_replaces_the_fixed_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    assert project_guard(()) == ("tenant_guard", guard_reason)  # without vocabulary: the fixed rules
    given: list[Sequence[str]] = []

    def tenant_guard(vocabulary: Sequence[str]) -> rules.Guard:
        given.append(vocabulary)
        return no_guard

    monkeypatch.setattr(rules, "tenant_guard", tenant_guard, raising=False)
    evaluation = evaluate(_slice(), _fake(_same_vector), load_vocabulary())
    assert evaluation.guard_name == "tenant_guard"
    assert given == [load_vocabulary()]
    assert rates(evaluation.judged, "tenant_guard", 0.85).wrong == 1.0  # the fake guard lets everything through


def test_the_default_embedder_is_the_settings_one_else_the_simulator() -> None:
    assert default_embedder(cast(Settings, SimpleNamespace())) == "simulator"  # before EMBEDDER existed
    assert default_embedder(cast(Settings, SimpleNamespace(embedder="openrouter"))) == "openrouter"
    assert default_embedder(cast(Settings, SimpleNamespace(embedder="local"))) == "local"
    assert default_embedder(cast(Settings, SimpleNamespace(embedder="minilm"))) == "local"
    with pytest.raises(EmbedderUnavailableError):
        default_embedder(cast(Settings, SimpleNamespace(embedder="word2vec")))


def test_the_simulator_encodes_in_one_batch_and_openrouter_needs_a_key() -> None:
    settings = Settings.from_env({})
    vectors = make_embedder("simulator", settings).encode(["Do you ship to Canada?", "can i order from canada"])
    assert vectors.shape == (2, settings.embedding_dimensions)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    with pytest.raises(EmbedderUnavailableError):
        make_embedder("openrouter", settings)
