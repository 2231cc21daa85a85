"""The 30-day chart, read as a merchant reads it: a bar per day in date order, a day that hit its cap reaches the
cap line, and the line steps where the cap was raised."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from spendrail.admin.models import BudgetReport
from spendrail.dashboard.chart import daily_chart
from tests.fakes.budget_reports import black_friday, day

SVG = "{http://www.w3.org/2000/svg}"


def svg(report: BudgetReport) -> ET.Element:
    return ET.fromstring(daily_chart(report))  # noqa: S314 - our own markup, not untrusted input


def bars(report: BudgetReport) -> list[ET.Element]:
    return svg(report).findall(f"{SVG}rect")


def cap_steps(report: BudgetReport) -> list[tuple[float, float, float]]:
    """The cap line as (x from, x to, y) steps, one per day."""
    line = svg(report).find(f"{SVG}polyline")
    assert line is not None and line.get("data-testid") == "cap-line"
    points = [tuple(float(v) for v in pair.split(",")) for pair in line.get("points", "").split()]
    return [(points[i][0], points[i + 1][0], points[i][1]) for i in range(0, len(points), 2)]


def top(bar: ET.Element) -> float:
    return float(bar.get("y", "nan"))


def bottom(bar: ET.Element) -> float:
    return float(bar.get("y", "nan")) + float(bar.get("height", "nan"))


def cap_y_over(bar: ET.Element, steps: list[tuple[float, float, float]]) -> float:
    middle = float(bar.get("x", "nan")) + float(bar.get("width", "nan")) / 2
    return next(y for start, end, y in steps if start <= middle < end)


def test_one_bar_per_day_oldest_left_today_last_and_running() -> None:
    report = black_friday()
    drawn = bars(report)
    assert len(drawn) == 31  # the 30 closed days and today
    assert [bar.get("data-day") for bar in drawn] == [*sorted(d.window_key for d in report.history), "2026-11-28"]
    xs = [float(bar.get("x", "nan")) for bar in drawn]
    assert xs == sorted(xs)
    assert "today" in (drawn[-1].get("class") or "")
    assert Decimal(drawn[-1].get("data-usd", "")) == report.daily.spent_usd == Decimal("21.37")
    assert {bar.get("data-state") for bar in drawn} == {"active", "warned", "degraded", "stopped"}
    assert drawn[-2].get("data-state") == "stopped"  # Black Friday, the day before
    assert "$25.00 of $25.00 (stopped)" in ET.tostring(drawn[-2], encoding="unicode")  # its tooltip


def test_a_day_without_a_summary_leaves_its_slot_empty() -> None:
    report = black_friday()
    quiet = report.model_copy(update={"history": [d for d in report.history if d.window_key != "2026-11-20"]})
    full, gap = bars(report), bars(quiet)
    assert len(gap) == 30
    assert "2026-11-20" not in {bar.get("data-day") for bar in gap}
    assert [bar.get("x") for bar in gap] == [bar.get("x") for bar in full if bar.get("data-day") != "2026-11-20"]


def test_a_day_that_spent_its_cap_reaches_the_cap_line_and_half_the_cap_reaches_half_way() -> None:
    report = black_friday()
    history = [d for d in report.history if d.window_key != "2026-11-25"]
    history.append(day("2026-11-25", "12.50", "25"))  # half the $25 cap
    report = report.model_copy(update={"history": history})
    steps = cap_steps(report)
    drawn = {bar.get("data-day"): bar for bar in bars(report)}
    stopped, half = drawn["2026-11-27"], drawn["2026-11-25"]
    assert abs(top(stopped) - cap_y_over(stopped, steps)) < 0.02
    baseline = bottom(half)
    assert abs((baseline - top(half)) - (baseline - cap_y_over(half, steps)) / 2) < 0.02
    assert bottom(stopped) == baseline  # every bar stands on the same axis


def test_the_cap_line_steps_where_the_cap_was_raised() -> None:
    report = black_friday()  # $20 until 2026-11-14, $25 from 2026-11-15
    steps = cap_steps(report)
    drawn = {bar.get("data-day"): bar for bar in bars(report)}
    baseline = bottom(drawn["2026-11-14"])
    before, after = cap_y_over(drawn["2026-11-14"], steps), cap_y_over(drawn["2026-11-15"], steps)
    assert abs((baseline - before) / (baseline - after) - 20 / 25) < 0.001
    assert len(steps) == 31
    assert "cap $25.00</text>" in daily_chart(report)


def test_the_highest_bar_and_the_cap_fit_under_the_top_of_the_axis() -> None:
    report = black_friday()
    daily = report.daily.model_copy(update={"spent_usd": Decimal("25"), "cap_usd": Decimal("25")})
    chart = svg(report.model_copy(update={"daily": daily}))
    grid_top = min(float(line.get("y1", "nan")) for line in chart.findall(f"{SVG}line"))
    assert all(top(bar) > grid_top for bar in chart.findall(f"{SVG}rect"))
    assert [text.text for text in chart.findall(f"{SVG}text")][:3] == ["$0", "$15", "$30"]
