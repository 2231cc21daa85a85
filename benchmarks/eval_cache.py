"""The semantic cache against a hand-labeled set: how many paraphrases it serves, how many wrong answers it serves.

    PYTHONPATH=. .venv/bin/python -m benchmarks.eval_cache [--embedder local|simulator|openrouter] [--json PATH]
        [--show-errors] [--threshold T]

The set is evals/cache/pairs.jsonl (docs/cache-eval.md says how it was written): pairs of shopper questions, `a`
the question whose answer is cached, `b` a new one, labeled "paraphrase" (a's answer is right for b) or "negative"
(a's answer is wrong for b), each in a class and in the dev or the held-out split. Every text is embedded once, in
one batch; then each pair goes through the project's own lookup: an `AnswerCache` over the in-memory store, `a`
stored with its vector in a scope of its own, then `similar(scope, b, vector_of_b, threshold, guard=...)`. A hit is
an answer served. Two guards are compared at every threshold: the project's guard (the tenant guard factory once it
exists, `guard_reason` until then) and none at all (plain cosine, as GPTCache or LiteLLM do it).

Reported per split and threshold: paraphrases served (% of paraphrases) and wrong answers served (% of negatives
served), overall and by class, the guard reasons that blocked paraphrases (and caught negatives), and the ROC AUC
of cosine alone. `--show-errors` lists the misjudged pairs of the dev split only: held-out pairs are never printed,
so whoever tunes the guards cannot tune on them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from spendrail.cache import rules
from spendrail.cache.memory import InMemoryCacheStore
from spendrail.cache.model import SIMILARITY, CacheScope
from spendrail.cache.rules import Guard
from spendrail.cache.service import AnswerCache
from spendrail.settings import Settings
from spendrail.tenants.model import DEFAULT_CACHE_THRESHOLD

EVAL_DIR = Path(__file__).resolve().parents[1] / "evals" / "cache"
PAIRS = EVAL_DIR / "pairs.jsonl"
VOCABULARY = EVAL_DIR / "vocabulary.json"
THRESHOLDS = (0.70, 0.75, 0.80, 0.85, 0.90, 0.95)
LABELS = ("paraphrase", "negative")
SPLITS = ("dev", "heldout")
EMBEDDERS = ("local", "simulator", "openrouter")
# The goal, on the held-out pairs at the default settings.
GOAL_MAX_WRONG = 0.05
GOAL_MIN_SERVED = 0.40
COSINE = "cosine"  # the configuration without guards
_OPENROUTER_BATCH = 256

Vectors = npt.NDArray[np.float32]
Encoder = Callable[[Sequence[str]], Vectors]


class EmbedderUnavailableError(RuntimeError):
    """The chosen embedder cannot run here (its module or its key is missing)."""


@dataclass(frozen=True)
class Pair:
    id: str
    a: str  # the cached question
    b: str  # the new question
    label: str  # "paraphrase" or "negative"
    category: str  # the "class" field
    split: str  # "dev" or "heldout"


@dataclass(frozen=True)
class Judged:
    pair: Pair
    score: float  # cosine of b against the stored a, as the index computes it (a is stored as float16)
    reasons: Mapping[str, str | None]  # per guard configuration: why it rejects the pair whatever the score
    served: Mapping[tuple[str, float], bool]  # per (configuration, threshold): did `similar` return a's answer


@dataclass(frozen=True)
class Rates:
    paraphrases: int
    negatives: int
    paraphrases_served: int
    negatives_served: int

    @property
    def served(self) -> float | None:
        """Paraphrases served, as a share of the paraphrases."""
        return self.paraphrases_served / self.paraphrases if self.paraphrases else None

    @property
    def wrong(self) -> float | None:
        """Wrong answers served: negatives served, as a share of the negatives."""
        return self.negatives_served / self.negatives if self.negatives else None

    def as_json(self) -> dict[str, Any]:
        return {
            "paraphrases": self.paraphrases,
            "negatives": self.negatives,
            "paraphrases_served": self.paraphrases_served,
            "negatives_served": self.negatives_served,
            "paraphrases_served_rate": self.served,
            "wrong_answers_served_rate": self.wrong,
        }


# ---------------------------------------------------------------------------------------------------------------
# The set


def load_pairs(path: Path = PAIRS) -> list[Pair]:
    """The labeled pairs, in file order; a malformed line raises ValueError naming it."""
    pairs = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            pair = Pair(row["id"], row["a"], row["b"], row["label"], row["class"], row["split"])
            if pair.label not in LABELS or pair.split not in SPLITS or not (pair.a.strip() and pair.b.strip()):
                raise ValueError(f"{path}:{number}: bad label, split or empty question in {pair.id!r}")
            pairs.append(pair)
    return pairs


def load_vocabulary(path: Path = VOCABULARY) -> tuple[str, ...]:
    """The merchant's own terms (brands, products, programmes) that the set's pairs use."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(term for key in ("brands", "products", "programmes") for term in data.get(key, []))


# ---------------------------------------------------------------------------------------------------------------
# Guards


def project_guard(vocabulary: Sequence[str]) -> tuple[str, Guard]:
    """The guard the project applies: its per-tenant guard factory when there is one (called with the merchant's
    vocabulary), else the fixed rules. Plugging in another factory is this one line."""
    factory: Callable[[Sequence[str]], Guard] | None = getattr(rules, "tenant_guard", None)
    if factory is None:
        return "guard_reason", rules.guard_reason
    return "tenant_guard", factory(vocabulary)


def no_guard(new: str, cached: str) -> str | None:
    """Plain cosine: nothing but the score decides."""
    return None


# ---------------------------------------------------------------------------------------------------------------
# Embedders


@dataclass(frozen=True)
class Embedder:
    name: str
    description: str
    encode: Encoder


def default_embedder(settings: Settings) -> str:
    """The embedder the settings choose (EMBEDDER, when the setting exists), else the simulator's."""
    configured = str(getattr(settings, "embedder", "") or "simulator").lower()
    aliases = {"minilm": "local", "sim": "simulator"}
    name = aliases.get(configured, configured)
    if name not in EMBEDDERS:
        raise EmbedderUnavailableError(f"EMBEDDER={configured!r} is not one of {', '.join(EMBEDDERS)}")
    return name


def default_threshold(embedder: str) -> float:
    """The threshold the cache uses for this embedder when a tenant chose none (spendrail.cache.model.SIMILARITY)."""
    return SIMILARITY[embedder].threshold if embedder in SIMILARITY else DEFAULT_CACHE_THRESHOLD


def make_embedder(name: str, settings: Settings) -> Embedder:
    if name == "local":
        return _local(str(getattr(settings, "local_embedder_path", "") or ""))
    if name == "openrouter":
        return _openrouter(settings)
    if name == "simulator":
        return _simulator(settings.embedding_dimensions)
    raise EmbedderUnavailableError(f"unknown embedder {name!r}")


def _simulator(dimensions: int) -> Embedder:
    from local.sim_embeddings import embed  # the offline simulator's vectors (local/openrouter_sim.py serves them)

    def encode(texts: Sequence[str]) -> Vectors:
        return np.asarray([embed(text, dimensions) for text in texts], dtype=np.float32).reshape(len(texts), -1)

    return Embedder(
        "simulator", f"simulator: hashed word and character n-grams (local/sim_embeddings.py), {dimensions} d", encode
    )


def _local(path: str) -> Embedder:
    # all-MiniLM-L6-v2 in numpy (spendrail/embed/): the process's shared model as the LocalEmbedder loads it, else
    # the model class itself. Imported by name, so this module runs (with the other embedders) where it is absent.
    try:
        minilm: Any = importlib.import_module("spendrail.embed.minilm")
        try:
            model = importlib.import_module("spendrail.embed.local").shared_model(path or None)
        except (ImportError, AttributeError):
            model = minilm.MiniLM.load(path or None)
    except (ImportError, FileNotFoundError) as exc:
        raise EmbedderUnavailableError(
            f"the local embedder is not available ({exc}); try --embedder simulator"
        ) from exc

    def encode(texts: Sequence[str]) -> Vectors:
        return np.asarray(model.encode(list(texts)), dtype=np.float32)

    where = path or "spendrail/embed/minilm.py"
    return Embedder("local", f"local: {minilm.MODEL_ID} in numpy ({where}), {model.dimensions} d", encode)


def _openrouter(settings: Settings) -> Embedder:
    import openai

    key = settings.openrouter_api_key.get_secret_value()
    if not key:
        raise EmbedderUnavailableError("OPENROUTER_API_KEY is not set")
    client = openai.OpenAI(api_key=key, base_url=settings.openrouter_base_url, max_retries=2)
    model, dimensions = settings.embedding_model, settings.embedding_dimensions

    def encode(texts: Sequence[str]) -> Vectors:
        rows: list[list[float]] = []
        for start in range(0, len(texts), _OPENROUTER_BATCH):
            batch = list(texts[start : start + _OPENROUTER_BATCH])
            response = client.embeddings.create(model=model, input=batch, dimensions=dimensions)
            rows.extend(item.embedding for item in sorted(response.data, key=lambda item: item.index))
        return np.asarray(rows, dtype=np.float32)

    return Embedder("openrouter", f"openrouter: {model} at {settings.openrouter_base_url}, {dimensions} d", encode)


# ---------------------------------------------------------------------------------------------------------------
# Judging


def judge(
    pairs: Sequence[Pair], encode: Encoder, guards: Mapping[str, Guard], thresholds: Sequence[float]
) -> list[Judged]:
    """Every pair through the project's lookup: `a` stored in a scope of its own, then `b` looked up at each
    threshold with each guard configuration."""
    texts = sorted({text for pair in pairs for text in (pair.a, pair.b)})
    vectors = np.asarray(encode(texts), dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(texts):
        raise ValueError(f"the encoder returned shape {vectors.shape} for {len(texts)} texts")
    row = {text: i for i, text in enumerate(texts)}
    cache = AnswerCache(
        InMemoryCacheStore(),
        dimensions=vectors.shape[1],
        ttl_seconds=86_400,
        refresh_seconds=math.inf,  # nothing changes under the cache: no refresh queries
        max_entries=4,
        max_indexes=len(pairs) + 1,
    )
    judged = []
    for pair in pairs:
        scope = CacheScope("eval", pair.id)
        cache.store(scope, pair.a, f"the answer to {pair.id}", "eval", 0, vectors[row[pair.a]])
        new = vectors[row[pair.b]]
        best = cache.similar(scope, pair.b, new, -1.0, guard=no_guard)
        served = {
            (name, threshold): cache.similar(scope, pair.b, new, threshold, guard=guard) is not None
            for name, guard in guards.items()
            for threshold in thresholds
        }
        reasons = {name: guard(pair.b, pair.a) for name, guard in guards.items()}
        judged.append(Judged(pair, best.score if best is not None else -1.0, reasons, served))
    return judged


def rates(judged: Iterable[Judged], config: str, threshold: float) -> Rates:
    counts: Counter[str] = Counter()
    for j in judged:
        counts[j.pair.label] += 1
        if j.served[config, threshold]:
            counts[j.pair.label + "_served"] += 1
    return Rates(counts["paraphrase"], counts["negative"], counts["paraphrase_served"], counts["negative_served"])


def roc_auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """The chance a random paraphrase scores above a random negative (ties count half); None without both."""
    if not positives or not negatives:
        return None
    pos = np.asarray(positives, dtype=np.float64)[:, None]
    neg = np.asarray(negatives, dtype=np.float64)[None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))


def cosine_auc(judged: Iterable[Judged]) -> float | None:
    items = list(judged)
    return roc_auc(
        [j.score for j in items if j.pair.label == "paraphrase"], [j.score for j in items if j.pair.label == "negative"]
    )


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float] | None:
    """The 95% Wilson score interval of a proportion."""
    if total == 0:
        return None
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def guard_counts(judged: Iterable[Judged], config: str, threshold: float) -> dict[str, dict[str, int]]:
    """Per guard reason, above the threshold: paraphrases it blocked (wrong misses) and negatives it caught."""
    counts: dict[str, Counter[str]] = {"paraphrases_blocked": Counter(), "negatives_caught": Counter()}
    for j in judged:
        reason = j.reasons[config]
        if reason is not None and j.score >= threshold:
            key = "paraphrases_blocked" if j.pair.label == "paraphrase" else "negatives_caught"
            counts[key][reason] += 1
    return {key: dict(counter.most_common()) for key, counter in counts.items()}


def by_split(judged: Iterable[Judged]) -> dict[str, list[Judged]]:
    split: dict[str, list[Judged]] = {name: [] for name in SPLITS}
    for j in judged:
        split[j.pair.split].append(j)
    return split


def by_class(judged: Iterable[Judged]) -> dict[str, list[Judged]]:
    classes: dict[str, list[Judged]] = defaultdict(list)
    for j in judged:
        classes[j.pair.category].append(j)
    return dict(sorted(classes.items()))


def figures(judged: Sequence[Judged], configs: Sequence[str], thresholds: Sequence[float]) -> dict[str, Any]:
    """Everything reported for one split, as JSON."""
    classes = by_class(judged)
    return {
        "pairs": len(judged),
        "cosine_roc_auc": cosine_auc(judged),
        "cosine_roc_auc_by_class": {name: cosine_auc(items) for name, items in classes.items()},
        "by_threshold": {
            f"{threshold:.2f}": {
                config: {
                    "overall": rates(judged, config, threshold).as_json(),
                    "by_class": {name: rates(items, config, threshold).as_json() for name, items in classes.items()},
                    "guard_reasons": guard_counts(judged, config, threshold),
                }
                for config in configs
            }
            for threshold in thresholds
        },
    }


# ---------------------------------------------------------------------------------------------------------------
# Text report


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _cell(r: Rates) -> str:
    served = "-" if r.served is None else f"{100 * r.served:.0f}"
    wrong = "-" if r.wrong is None else f"{100 * r.wrong:.0f}"
    return f"{served}/{wrong}"


def render_split(
    name: str, judged: Sequence[Judged], guard_name: str, thresholds: Sequence[float], default: float
) -> list[str]:
    counts = rates(judged, COSINE, thresholds[0])
    auc = cosine_auc(judged)
    return [
        "",
        f"== {name}: {len(judged)} pairs ({counts.paraphrases} paraphrases, {counts.negatives} negatives); "
        f"ROC AUC of cosine alone {'-' if auc is None else f'{auc:.3f}'}",
        *_overall_table(judged, guard_name, thresholds, default),
        *_class_table(judged, guard_name, thresholds),
        *_class_table(judged, COSINE, thresholds),
        *_reason_table(judged, guard_name, thresholds),
    ]


def _overall_table(judged: Sequence[Judged], guard_name: str, thresholds: Sequence[float], default: float) -> list[str]:
    lines = [
        "",
        f"{'':>10} | {guard_name:^33} | {'plain cosine (no guards)':^33}".rstrip(),
        f"{'threshold':>10} | {'paraphrases':>16} {'wrong answers':>16} | {'paraphrases':>16} {'wrong answers':>16}",
    ]
    for threshold in thresholds:
        cells = []
        for config in (guard_name, COSINE):
            r = rates(judged, config, threshold)
            cells.append(f"{_pct(r.served):>6} ({r.paraphrases_served:3d}/{r.paraphrases:3d})")
            cells.append(f"{_pct(r.wrong):>6} ({r.negatives_served:3d}/{r.negatives:3d})")
        mark = "*" if threshold == default else " "
        lines.append(f"{threshold:>9.2f}{mark} | {cells[0]:>16} {cells[1]:>16} | {cells[2]:>16} {cells[3]:>16}")
    lines.append(
        "  * the default for this embedder (cache.model.SIMILARITY); wrong answers: negatives served / negatives"
    )
    return lines


def _class_table(judged: Sequence[Judged], config: str, thresholds: Sequence[float]) -> list[str]:
    lines = [
        "",
        f"by class, {config}: paraphrases served % / wrong answers served % (of negatives); AUC of cosine alone",
        f"{'class':<20} {'P':>3} {'N':>3} {'AUC':>5} | " + " ".join(f"{t:>7.2f}" for t in thresholds),
    ]
    for category, items in by_class(judged).items():
        counts = rates(items, config, thresholds[0])
        auc = cosine_auc(items)
        cells = " ".join(f"{_cell(rates(items, config, t)):>7}" for t in thresholds)
        auc_text = "-" if auc is None else f"{auc:.2f}"
        lines.append(f"{category:<20} {counts.paraphrases:>3} {counts.negatives:>3} {auc_text:>5} | {cells}")
    return lines


def _reason_table(judged: Sequence[Judged], guard_name: str, thresholds: Sequence[float]) -> list[str]:
    per_threshold = [guard_counts(judged, guard_name, t) for t in thresholds]
    reasons = sorted({reason for counts in per_threshold for kind in counts.values() for reason in kind})
    lines = [
        "",
        f"{guard_name} reasons above each threshold: paraphrases blocked / negatives caught",
        f"{'reason':<20} | " + " ".join(f"{t:>7.2f}" for t in thresholds),
    ]
    for reason in reasons:
        cells = " ".join(
            f"{c['paraphrases_blocked'].get(reason, 0)}/{c['negatives_caught'].get(reason, 0)}".rjust(7)
            for c in per_threshold
        )
        lines.append(f"{reason:<20} | {cells}")
    return lines if reasons else [*lines, "(none)"]


def render_goal(judged: Sequence[Judged], guard_name: str, default: float) -> list[str]:
    lines = ["", f"Goal at the default threshold {default} with {guard_name}: wrong <= 5% and paraphrases >= 40%"]
    for name, items in by_split(judged).items():
        r = rates(items, guard_name, default)
        wrong_ci = wilson(r.negatives_served, r.negatives)
        served_ci = wilson(r.paraphrases_served, r.paraphrases)
        met = r.wrong is not None and r.served is not None and r.wrong <= GOAL_MAX_WRONG and r.served >= GOAL_MIN_SERVED
        lines.append(
            f"  {name:<8} wrong {_pct(r.wrong)} (95% CI {_interval(wrong_ci)}), "
            f"paraphrases {_pct(r.served)} (95% CI {_interval(served_ci)}): {'met' if met else 'NOT met'}"
        )
    return lines


def _served_with_judge(
    items: Sequence[Judged], hits: Sequence[Judged], certain: float, accept: Callable[[Judged], float]
) -> tuple[float, float]:
    """Paraphrases and negatives served (shares) when hits below `certain` are served with probability accept(j)."""
    kept = [(j, 1.0 if j.score >= certain else accept(j)) for j in hits]
    paraphrases = sum(1 for j in items if j.pair.label == "paraphrase")
    negatives = len(items) - paraphrases
    good = sum(w for j, w in kept if j.pair.label == "paraphrase")
    bad = sum(w for j, w in kept if j.pair.label == "negative")
    return (good / paraphrases if paraphrases else 0.0), (bad / negatives if negatives else 0.0)


def render_judge(
    judged: Sequence[Judged], guard_name: str, default: float, certain: float, verdicts: Mapping[str, bool] | None
) -> list[str]:
    """The judge in band mode at the default threshold: how many guarded hits it is asked about (a score below
    `certain`), and what is served when it answers. `verdicts` (pair id -> same?) come from a real judge model when
    one is reachable; without one only the bounds are shown: a judge that is always right, and one wrong one time in
    ten either way (modeled, not measured)."""
    cases: list[tuple[str, Callable[[Judged], float]]] = [
        ("a judge always right (upper bound)", lambda j: float(j.pair.label == "paraphrase")),
        ("a judge wrong 1 time in 10 (modeled)", lambda j: 0.9 if j.pair.label == "paraphrase" else 0.1),
    ]
    if verdicts is not None:
        cases.insert(0, ("the judge model (measured)", lambda j: float(verdicts.get(j.pair.id, False))))
    lines = ["", f"The judge (band mode: asked below {certain}) at the default threshold {default}, {guard_name}"]
    for name, items in by_split(judged).items():
        hits = [j for j in items if j.served[guard_name, default]]
        band = sum(1 for j in hits if j.score < certain)
        lines.append(f"  {name:<8} asked about {band} of {len(hits)} hits")
        for label, accept in cases:
            good, bad = _served_with_judge(items, hits, certain, accept)
            lines.append(f"           {label:<38} paraphrases {_pct(good)}, wrong answers {_pct(bad)}")
    return lines


def _interval(ci: tuple[float, float] | None) -> str:
    return "-" if ci is None else f"{100 * ci[0]:.1f}-{100 * ci[1]:.1f}%"


def render_errors(judged: Iterable[Judged], guard_name: str, threshold: float) -> list[str]:
    """The dev pairs the guarded lookup got wrong at `threshold`. Held-out pairs are never listed."""
    dev = [j for j in judged if j.pair.split == "dev"]
    missed = [j for j in dev if j.pair.label == "paraphrase" and not j.served[guard_name, threshold]]
    wrong = [j for j in dev if j.pair.label == "negative" and j.served[guard_name, threshold]]
    lines = ["", f"dev errors at {threshold:.2f} with {guard_name} (held-out pairs are not shown)"]
    lines.append(f"-- paraphrases not served ({len(missed)}): score, why")
    for j in sorted(missed, key=lambda j: (j.pair.category, j.pair.id)):
        why = j.reasons[guard_name] if j.score >= threshold else "below threshold"
        lines.append(f"  {j.pair.id:<24} {j.score:.3f} {why:<18} {j.pair.a!r} ~ {j.pair.b!r}")
    lines.append(f"-- negatives served, wrong answers ({len(wrong)}): score")
    for j in sorted(wrong, key=lambda j: (j.pair.category, j.pair.id)):
        lines.append(f"  {j.pair.id:<24} {j.score:.3f} {j.pair.a!r} ~ {j.pair.b!r}")
    return lines


# ---------------------------------------------------------------------------------------------------------------
# Running it


@dataclass(frozen=True)
class Evaluation:
    embedder: str
    guard_name: str
    thresholds: tuple[float, ...]
    default: float
    judged: list[Judged]
    encode_seconds: float

    def as_json(self) -> dict[str, Any]:
        configs = (self.guard_name, COSINE)
        return {
            "embedder": self.embedder,
            "guard": self.guard_name,
            "default_threshold": self.default,
            "thresholds": list(self.thresholds),
            "encode_seconds": round(self.encode_seconds, 3),
            "splits": {name: figures(items, configs, self.thresholds) for name, items in by_split(self.judged).items()},
        }


def evaluate(
    pairs: Sequence[Pair],
    embedder: Embedder,
    vocabulary: Sequence[str],
    *,
    thresholds: Sequence[float] = THRESHOLDS,
    default: float = DEFAULT_CACHE_THRESHOLD,
) -> Evaluation:
    guard_name, guard = project_guard(vocabulary)
    chosen = tuple(sorted({*thresholds, default}))
    seconds = 0.0

    def timed(texts: Sequence[str]) -> Vectors:
        nonlocal seconds
        started = time.perf_counter()
        vectors = embedder.encode(texts)
        seconds += time.perf_counter() - started
        return vectors

    judged = judge(pairs, timed, {guard_name: guard, COSINE: no_guard}, chosen)
    return Evaluation(embedder.description, guard_name, chosen, default, judged, seconds)


def render(evaluation: Evaluation, pairs_path: Path) -> list[str]:
    judged = evaluation.judged
    splits = by_split(judged)
    lines = [
        f"Semantic cache evaluation: {len(judged)} pairs from {pairs_path.name} "
        f"({len(splits['dev'])} dev, {len(splits['heldout'])} held out)",
        f"embedder {evaluation.embedder} (encoded in {evaluation.encode_seconds:.1f} s); guard {evaluation.guard_name}",
    ]
    for name, items in splits.items():
        lines += render_split(name, items, evaluation.guard_name, evaluation.thresholds, evaluation.default)
    lines += render_goal(judged, evaluation.guard_name, evaluation.default)
    return lines


def model_verdicts(evaluation: Evaluation, settings: Settings, certain: float) -> dict[str, bool]:
    """The judge model's answer for every hit it would be asked about at the default threshold (a real call each)."""
    from spendrail.cache.judge import Judge
    from spendrail.deadline import Deadline
    from spendrail.llm.openrouter import OpenRouterClient
    from spendrail.pricing import PricingCatalog

    key = settings.openrouter_api_key.get_secret_value()
    if not key:
        raise SystemExit("eval-cache: --judge-model needs OPENROUTER_API_KEY")
    client = OpenRouterClient(api_key=lambda: key, base_url=settings.openrouter_base_url)
    judge = Judge(client, PricingCatalog.load(), settings.cache_judge_model, certain=certain)
    asked = [j for j in evaluation.judged if j.served[evaluation.guard_name, evaluation.default] and j.score < certain]
    return {j.pair.id: judge.same(j.pair.b, j.pair.a, f"eval-{j.pair.id}", Deadline.after(30)).same for j in asked}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.eval_cache", description=__doc__.split("\n\n")[0])
    parser.add_argument("--embedder", choices=EMBEDDERS, help="default: the settings' (EMBEDDER), else simulator")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write every figure to PATH as JSON")
    parser.add_argument("--show-errors", action="store_true", help="list the misjudged pairs of the dev split")
    parser.add_argument(
        "--threshold", type=float, help="the default to report and of --show-errors (default: the embedder's default)"
    )
    parser.add_argument(
        "--judge-model",
        action="store_true",
        help="ask the judge model (CACHE_JUDGE_MODEL through OpenRouter; needs OPENROUTER_API_KEY) about the hits it "
        "would be asked about, and report what it changes",
    )
    parser.add_argument("--pairs", type=Path, default=PAIRS)
    parser.add_argument("--vocabulary", type=Path, default=VOCABULARY)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    try:
        embedder = make_embedder(args.embedder or default_embedder(settings), settings)
    except EmbedderUnavailableError as exc:
        print(f"eval-cache: {exc}", file=sys.stderr)
        return 2
    default = args.threshold if args.threshold is not None else default_threshold(embedder.name)
    evaluation = evaluate(
        load_pairs(args.pairs), embedder, load_vocabulary(args.vocabulary), thresholds=THRESHOLDS, default=default
    )
    lines = render(evaluation, args.pairs)
    certain = SIMILARITY[embedder.name].certain if embedder.name in SIMILARITY else 1.0
    verdicts = model_verdicts(evaluation, settings, certain) if args.judge_model else None
    lines += render_judge(evaluation.judged, evaluation.guard_name, default, certain, verdicts)
    if args.show_errors:
        lines += render_errors(evaluation.judged, evaluation.guard_name, default)
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(evaluation.as_json(), indent=2) + "\n", encoding="utf-8")
        print(f"\nfigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
