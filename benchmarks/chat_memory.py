"""The chat function's memory (RSS) under realistic load: the module loaded with the template's environment (the
local embedder warm), questions embedded, then the cache's indexes of more tenants than its memory cap holds.

    PYTHONPATH=. .venv/bin/python -m benchmarks.chat_memory [--tenants 8] [--entries 10000]

A fresh process loads functions/chat/app.py as Lambda does (EMBEDDER local, CACHE_ENABLED true; DynamoDB is not
called at init), embeds --questions questions with the function's own embedder, then, through an `AnswerCache` with
the template's settings (its memory cap among them), loads the index of --tenants tenants whose tables hold --entries
entries each (384-dimension vectors, an 80-character question and an 800-character reply each; made when read, so
nothing but the cache holds them). RSS and peak RSS (VmRSS, VmHWM), the cache's own accounting and the indexes it
kept after each step go to stdout and .bench/chat_memory.json;
docs/benchmarks.md, "What the guardrail costs", turns them into a memory size.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from typing import Any

import numpy as np

from benchmarks.summary import write_figures
from local.tables import function_environment
from spendrail.cache.index import encode_vector
from spendrail.cache.model import CacheScope, StoredAnswer
from spendrail.cache.service import FIRST_LOAD

# The chat function's environment in template.yaml (EMBEDDER local, cache on, CACHE_MAX_MEMORY_MB, ...), with what
# deploy time would resolve replaced by local stand-ins that are never called at init.
TEMPLATE_ENV = function_environment("ChatFunction") | {
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
    steps: dict[str, Any] = {"python": status_mib()}
    from tests.handlers import load_function

    module = load_function("chat")
    steps["loaded"] = status_mib()
    from spendrail.deadline import Deadline

    embedder = module.components.cache_embedder
    for i in range(questions):
        embedder.embedder.embed(f"Question {i}: how long does shipping to Canada take?", f"r{i}", Deadline.after(30))
    steps["embedded"] = status_mib()
    settings = module.components.settings
    cache = module.components.answer_cache(  # the function's own settings, over a generated table
        GeneratedStore(entries, embedder.dimensions, embedder.model),
        refresh_seconds=math.inf,
        executor=lambda task: task(),  # the background loads, done at once
    )
    probe = np.zeros(embedder.dimensions, dtype=np.float32)
    probe[0] = 1.0
    for t in range(tenants):
        scope = CacheScope(f"tenant-{t}", "support")
        for _ in range(entries // FIRST_LOAD + 2):  # the first load, then one background part per request
            cache.similar(scope, "hi", probe, 0.999)
        steps[f"indexes_{t + 1}"] = status_mib() | {
            "cache_mib": round(cache.memory_bytes() / 2**20, 1),
            "indexes_kept": cache.index_count,
        }
    steps["cap_mib"] = settings.cache_max_memory_mb
    return steps


class GeneratedStore:
    """The cache table of every tenant, `entries` answers each (an 80-character question, an 800-character reply, a
    384-dimension vector), made when read: nothing is kept here, so the RSS measured is the function's own."""

    BASE_MS = 1_700_000_000_000
    REPLY = ("Thanks for asking! " + "Our standard shipping takes three to five business days. " * 14)[:800]

    def __init__(self, entries: int, dimensions: int, embedder: str) -> None:
        self._entries = entries
        self._dimensions = dimensions
        self._embedder = embedder

    def _answer(self, scope: Any, n: int) -> Any:
        vector = np.random.default_rng(n).standard_normal(self._dimensions).astype(np.float32)
        return StoredAnswer(
            key=f"{scope.tenant_id}-{n:08d}",
            prompt=f"{scope.tenant_id} question number {n}: can I return an item after thirty days? {n}"[:80],
            reply=self.REPLY,
            model="mistralai/mistral-small-latest",
            cost_nanos=15_000,
            created_at=self.BASE_MS + n,
            expires_at=2_000_000_000,
            vector=encode_vector(vector),
            embedder=self._embedder,
        )

    def get(self, scope: Any, key: str) -> None:
        return None

    def put(self, scope: Any, answer: Any) -> None:
        return None

    def since(self, scope: Any, created_at: int, limit: int) -> list[Any]:
        first = max(created_at - self.BASE_MS + 1, 0)
        return [self._answer(scope, n) for n in range(first, min(self._entries, first + limit))]

    def newest(self, scope: Any, limit: int) -> list[Any]:
        return [self._answer(scope, n) for n in range(max(0, self._entries - limit), self._entries)]

    def older(self, scope: Any, created_at: int, limit: int) -> list[Any]:
        top = min(created_at - self.BASE_MS, self._entries - 1)
        return [self._answer(scope, n) for n in range(top, max(top - limit, -1), -1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--tenants", type=int, default=8)
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
    labels = {"python": "python started", "loaded": "chat module loaded (embedder warm)"}
    labels["embedded"] = f"{args.questions} questions embedded"
    for t in range(args.tenants):
        labels[f"indexes_{t + 1}"] = f"+ tenant {t + 1}'s index ({args.entries:,} entries)"
    print(f"{'step':<40} {'RSS MiB':>8} {'peak MiB':>9} {'cache MiB':>10} {'indexes':>8}")
    for step, label in labels.items():
        row = steps[step]
        extra = f" {row['cache_mib']:>10.1f} {row['indexes_kept']:>8}" if "cache_mib" in row else ""
        print(f"{label:<40} {row['rss_mib']:>8.1f} {row['peak_mib']:>9.1f}{extra}")
    last = steps[f"indexes_{args.tenants}"]
    per_index = steps["indexes_1"]["rss_mib"] - steps["embedded"]["rss_mib"]
    highest = max(steps[f"indexes_{t + 1}"]["rss_mib"] for t in range(args.tenants))
    print(
        f"RSS of the first {args.entries:,}-entry index {per_index:.1f} MiB; the indexes capped at "
        f"{steps['cap_mib']} MiB (CACHE_MAX_MEMORY_MB): highest RSS {highest:.1f} MiB, peak {last['peak_mib']:.1f} MiB"
    )
    write_figures(
        "chat_memory",
        {
            "loaded_rss_mib": steps["loaded"]["rss_mib"],
            "embedded_rss_mib": steps["embedded"]["rss_mib"],
            "loaded_tenants": args.tenants,
            "entries_per_tenant": args.entries,
            "cache_cap_mib": steps["cap_mib"],
            "indexes_kept": last["indexes_kept"],
            "warm_rss_mib": last["rss_mib"],
            "highest_rss_mib": highest,
            "warm_peak_mib": last["peak_mib"],
            "rss_per_index_mib": round(per_index, 1),
            "steps": steps,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
