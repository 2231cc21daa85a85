"""The chat function's memory (RSS) under realistic load: the module loaded with the template's environment (the
local embedder warm), questions embedded, then warm cache indexes of a few tenants.

    PYTHONPATH=. .venv/bin/python -m benchmarks.chat_memory [--tenants 4] [--entries 10000]

A fresh process loads functions/chat/app.py as Lambda does (EMBEDDER local, CACHE_ENABLED true; DynamoDB is not
called at init), embeds --questions questions with the function's own embedder, then fills one `VectorIndex` per
tenant with --entries entries (384-dimension vectors, an 80-character question and an 800-character reply each, as
the cache holds them). RSS and peak RSS (VmRSS, VmHWM) after each step go to stdout and .bench/chat_memory.json;
docs/benchmarks.md, "What the guardrail costs", turns them into a memory size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Any

from benchmarks.summary import write_figures

TEMPLATE_ENV = {
    "EMBEDDER": "local",
    "LOCAL_EMBEDDER_PATH": "",
    "CACHE_ENABLED": "true",
    "CACHE_JUDGE_MODEL": "meta-llama/llama-3.3-70b-instruct",
    "CACHE_MAX_ENTRIES": "20000",
    "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9",  # never called at init
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "OPENROUTER_API_KEY": "sk-or-local",
    "OPENROUTER_API_KEY_PARAM": "",
    "HELICONE_API_KEY_PARAM": "",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


def status_mib() -> dict[str, float]:
    fields = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mib": fields["VmRSS"], "peak_mib": fields["VmHWM"]}


def worker(questions: int, tenants: int, entries: int) -> dict[str, Any]:
    import numpy as np

    steps: dict[str, Any] = {"python": status_mib()}
    from tests.handlers import load_function

    module = load_function("chat")
    steps["loaded"] = status_mib()
    from spendrail.cache.index import IndexedEntry, VectorIndex
    from spendrail.deadline import Deadline

    embedder = module.components.cache_embedder
    for i in range(questions):
        embedder.embedder.embed(f"Question {i}: how long does shipping to Canada take?", f"r{i}", Deadline.after(30))
    steps["embedded"] = status_mib()
    rng = np.random.default_rng(1)
    indexes = []
    reply = "Thanks for asking! " + "Our standard shipping takes three to five business days. " * 14
    index_bytes = 0
    for t in range(tenants):
        index = VectorIndex(embedder.dimensions, max(entries, 1))
        for start in range(0, entries, 1000):
            batch = [
                IndexedEntry(
                    f"t{t}-{n:08d}",
                    f"Tenant {t} question number {n}: can I return an item after thirty days? {n}"[:80],
                    reply[:800],
                    15_000,
                    "mistralai/mistral-small-latest",
                    1_700_000_000_000 + n,
                    2_000_000_000,
                )
                for n in range(start, min(start + 1000, entries))
            ]
            vectors = rng.standard_normal((len(batch), embedder.dimensions)).astype(np.float32)
            index.add(batch, vectors)
        indexes.append(index)
        index_bytes += index.memory_bytes
        steps[f"indexes_{t + 1}"] = status_mib()
    steps["index_mib"] = round(index_bytes / 2**20, 1)
    return steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--tenants", type=int, default=4)
    parser.add_argument("--entries", type=int, default=10_000, help="entries per tenant's index")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.questions, args.tenants, args.entries)))
        return 0
    cmd = [sys.executable, "-m", "benchmarks.chat_memory", "--worker", "--questions", str(args.questions)]
    cmd += ["--tenants", str(args.tenants), "--entries", str(args.entries)]
    env = os.environ | TEMPLATE_ENV
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, timeout=600)
    steps = json.loads(done.stdout.strip().splitlines()[-1])
    print("spendrail chat function memory: fresh process, template environment, local embedder")
    print(f"{'step':<40} {'RSS MiB':>8} {'peak MiB':>9}")
    labels = {"python": "python started", "loaded": "chat module loaded (embedder warm)"}
    labels["embedded"] = f"{args.questions} questions embedded"
    for t in range(args.tenants):
        labels[f"indexes_{t + 1}"] = f"{t + 1} tenant index(es) of {args.entries:,} entries"
    for step, label in labels.items():
        print(f"{label:<40} {steps[step]['rss_mib']:>8.1f} {steps[step]['peak_mib']:>9.1f}")
    last = steps[f"indexes_{args.tenants}"]
    per_index = (last["rss_mib"] - steps["embedded"]["rss_mib"]) / max(args.tenants, 1)
    print(f"indexes' own accounting {steps['index_mib']} MiB; RSS per {args.entries:,}-entry index {per_index:.1f} MiB")
    write_figures(
        "chat_memory",
        {
            "loaded_rss_mib": steps["loaded"]["rss_mib"],
            "embedded_rss_mib": steps["embedded"]["rss_mib"],
            "loaded_tenants": args.tenants,
            "entries_per_tenant": args.entries,
            "warm_rss_mib": last["rss_mib"],
            "warm_peak_mib": last["peak_mib"],
            "rss_per_index_mib": round(per_index, 1),
            "steps": steps,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
