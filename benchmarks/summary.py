"""One JSON line with the headline figures of every benchmark `make bench` ran: the last thing it prints.

    PYTHONPATH=. .venv/bin/python -m benchmarks.summary [--dir .bench]

Each benchmark writes its own figures to `.bench/<name>.json` (`write_figures`): one JSON object whose top-level
numbers, strings and booleans are its headline figures; nested objects and lists are details, left out of the line.
The line maps `<name>.<figure>` to each headline value, with the date first, and `missing` listing the expected
benchmarks that wrote nothing (`make bench` keeps going when one is not there yet). docs/benchmarks.md, "The JSON
line", names the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(".bench")
# What `make bench` runs, in its order: a name missing here is reported, not an error.
EXPECTED = (
    "ledger_throughput",
    "chat_overhead",
    "chat_sequencing",
    "refusals",
    "cold_start",
    "cache_lookup",
    "cache_guards",
    "fault_timing",
    "windows_run",
    "local_embedder",
    "chat_memory",
)

Scalar = int | float | str | bool | None


def write_figures(name: str, figures: dict[str, Any], directory: Path = BENCH_DIR) -> Path:
    """Writes `<directory>/<name>.json`; top-level scalars are the headline figures `summary` prints."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    path.write_text(json.dumps(figures, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


def headline(figures: Any) -> dict[str, Scalar]:
    """The top-level scalar figures of one benchmark's file (a file that is not an object has none)."""
    if not isinstance(figures, dict):
        return {}
    scalars = {str(k): v for k, v in figures.items() if v is None or isinstance(v, int | float | str | bool)}
    scalars.pop("date", None)  # the line has one date, its own
    return scalars


def summarize(directory: Path, date: str | None = None) -> dict[str, Any]:
    """The line's object: date, then `<name>.<figure>` for each file (expected ones first), then what is missing."""
    line: dict[str, Any] = {"date": date or datetime.now(UTC).isoformat(timespec="seconds")}
    files = {path.stem: path for path in sorted(directory.glob("*.json"))} if directory.is_dir() else {}
    unreadable = []
    for name in [*[n for n in EXPECTED if n in files], *sorted(set(files) - set(EXPECTED))]:
        try:
            figures = json.loads(files[name].read_text(encoding="utf-8"))
        except (OSError, ValueError):
            unreadable.append(name)
            continue
        line.update({f"{name}.{figure}": value for figure, value in headline(figures).items()})
    line["missing"] = [name for name in EXPECTED if name not in files]
    if unreadable:
        line["unreadable"] = unreadable
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dir", type=Path, default=BENCH_DIR, help="where the benchmarks wrote their figures")
    args = parser.parse_args(argv)
    line = summarize(args.dir)
    if line["missing"]:
        print(f"summary: no figures from {', '.join(line['missing'])}", file=sys.stderr)
    print(json.dumps(line, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
