"""The chat function's cold start: its init with and without bytecode, the model's load apart.

    PYTHONPATH=. .venv/bin/python -m benchmarks.cold_start [--runs 5] [--functions chat admin] [--json PATH]

Each run is a fresh process with the template's environment for the function (tests/template/cfn.py), X-Ray's
tracing off (no daemon here) and one thread per native pool, as the chat function (512 MB) has well under one vCPU.
It times the imports of the handler module's dependencies (Powertools, the composition root, settings), then the rest
of functions/<name>/app.py (the composition root's adapters, the pricing catalog; for chat the openai client and the
local embedder's model, whose load is timed apart). Without SnapStart this is the init a cold start waits for; with
it (the chat function) the init runs once per published version, before the snapshot.

"without bytecode" is what Lambda saw before the layer shipped .pyc files: /opt is read-only, so every cold start
compiles every module it imports. Here: PYTHONDONTWRITEBYTECODE and `-X pycache_prefix` at an empty directory, so no
cached .pyc is read or written. "with bytecode" reads the .pyc files written by one warm-up process into another
prefix, as the layer's precompiled ones are read. This machine is not Lambda's Graviton: read the figures as
relative. Figures: the median of --runs processes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
POOLS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS")
ONE_THREAD = dict.fromkeys(POOLS, "1") | {"TOKENIZERS_PARALLELISM": "false"}
PHASES = ("imports_ms", "wiring_ms", "model_ms", "init_ms", "init_without_model_ms")
FUNCTIONS = {"chat": "ChatFunction", "admin": "AdminFunction", "slack": "SlackFunction", "windows": "WindowsFunction"}


def worker(function: str) -> dict[str, float]:
    """Runs in the fresh process: app.py's imports, then app.py itself (LocalEmbedder.warm timed on its own)."""
    import time

    start = time.perf_counter()
    import aws_lambda_powertools.event_handler
    import aws_lambda_powertools.logging
    import aws_lambda_powertools.utilities.typing  # noqa: F401

    import spendrail.api.errors
    import spendrail.compose
    import spendrail.settings  # noqa: F401

    imported = time.perf_counter()
    from spendrail.embed.local import LocalEmbedder

    warm = LocalEmbedder.warm
    spent: list[float] = []

    def timed_warm(self: LocalEmbedder) -> None:
        began = time.perf_counter()
        warm(self)
        spent.append(time.perf_counter() - began)

    LocalEmbedder.warm = timed_warm  # type: ignore[method-assign]
    from tests.handlers import load_function

    load_function(function)
    done = time.perf_counter()
    model = sum(spent)
    return {
        "imports_ms": (imported - start) * 1000,
        "wiring_ms": (done - imported - model) * 1000,
        "model_ms": model * 1000,
        "init_ms": (done - start) * 1000,
        "init_without_model_ms": (done - start - model) * 1000,
    }


def environment(function: str) -> dict[str, str]:
    from tests.template import cfn

    # The layer's package ahead of anything installed, so a copy of another revision measures its own sources.
    path = os.pathsep.join([str(ROOT), str(ROOT / "layers" / "spendrail")])
    return (
        os.environ
        | cfn.resolved_environment(FUNCTIONS[function])
        | ONE_THREAD
        | {"PYTHONPATH": path, "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true"}
    )


def run(function: str, prefix: Path, *, write: bool) -> dict[str, float]:
    env = environment(function)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [sys.executable, "-X", f"pycache_prefix={prefix}", "-m", "benchmarks.cold_start", "--worker", function]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=600)
    figures: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return figures


def median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {phase: statistics.median(r[phase] for r in runs) for phase in PHASES}


def layer_sizes() -> dict[str, float] | None:
    layer = ROOT / ".aws-sam" / "build" / "SpendrailLayer"
    if not layer.exists():
        return None
    files = [f for f in layer.rglob("*") if f.is_file()]
    return {
        "layer_mb": sum(f.stat().st_size for f in files) / 1e6,
        "bytecode_mb": sum(f.stat().st_size for f in files if f.suffix == ".pyc") / 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per figure (median)")
    parser.add_argument("--json", type=Path, default=ROOT / ".bench" / "cold_start.json", help="figures written here")
    parser.add_argument("--functions", nargs="+", choices=sorted(FUNCTIONS), default=["chat", "admin"])
    parser.add_argument("--worker", choices=sorted(FUNCTIONS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return 0

    rows: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as empty, tempfile.TemporaryDirectory() as compiled:
        for function in args.functions:
            without = median([run(function, Path(empty), write=False) for _ in range(args.runs)])
            run(function, Path(compiled), write=True)  # compiles what init imports, as the layer ships it
            with_ = median([run(function, Path(compiled), write=False) for _ in range(args.runs)])
            rows[function] = {"without_bytecode": without, "with_bytecode": with_}
    figures: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "runs": args.runs,
        "functions": rows,
        "layer": layer_sizes(),
    }
    print(f"spendrail cold start (function init): fresh processes, median of {args.runs}, ms")
    print(f"python   {figures['python']}, {figures['cpus']} logical CPUs ({figures['machine']})")
    print(f"{'':<26} {'imports':>8} {'wiring':>8} {'model':>8} {'init':>8} {'init - model':>13}")
    for function, runs in rows.items():
        for kind, row in runs.items():
            name = f"{function} {kind.replace('_', ' ')}"
            print(f"{name:<26} " + " ".join(f"{row[p]:>{13 if p == PHASES[-1] else 8}.0f}" for p in PHASES))
    if figures["layer"] is not None:
        layer = figures["layer"]
        print(f"layer    {layer['layer_mb']:.1f} MB unzipped, {layer['bytecode_mb']:.1f} MB of it bytecode")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
