"""The JSON line `make bench` ends with: headline figures of every benchmark file, missing ones named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import summary


def test_line_has_each_files_top_level_figures_and_names_the_missing(tmp_path: Path) -> None:
    summary.write_figures(
        "chat_overhead", {"date": "x", "own_cpu_miss_p50_ms": 0.8, "goal_met": True, "rows": [1, 2]}, tmp_path
    )
    summary.write_figures("zz_new", {"x": 1, "details": {"y": 2}}, tmp_path)
    (tmp_path / "refusals.json").write_text("not json", encoding="utf-8")
    line = summary.summarize(tmp_path, date="2026-11-28T00:00:00+00:00")
    assert line["date"] == "2026-11-28T00:00:00+00:00"
    assert line["chat_overhead.own_cpu_miss_p50_ms"] == 0.8
    assert line["chat_overhead.goal_met"] is True
    assert "chat_overhead.rows" not in line
    assert "chat_overhead.date" not in line
    assert line["zz_new.x"] == 1
    assert "zz_new.details" not in line
    assert line["unreadable"] == ["refusals"]
    assert "chat_overhead" not in line["missing"]
    assert "ledger_throughput" in line["missing"]


def test_main_prints_one_json_line_without_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert summary.main(["--dir", str(tmp_path / "absent")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1
    assert json.loads(out[0])["missing"] == list(summary.EXPECTED)
