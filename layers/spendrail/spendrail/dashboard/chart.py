"""The 30-day chart: one bar per local day (oldest left, today last, running), coloured by the highest state the day
reached, under the daily cap drawn as a line that steps where the cap changed. Inline SVG, computed server-side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from html import escape

from spendrail.admin.models import BudgetReport
from spendrail.dashboard.format import usd
from spendrail.state import BudgetState

CLOSED_DAYS = 30  # the days before today the chart shows (the report's history holds the last 30 closed windows)
WIDTH, HEIGHT = 480, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 8, 14, 28  # room for the amounts on the left and the dates below
_PLOT_W, _PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
_STEPS = tuple(Decimal(step) for step in ("1", "1.2", "1.5", "2", "2.5", "3", "4", "5", "6", "8", "10"))


@dataclass(frozen=True)
class Day:
    key: str  # the local day, 2026-11-28
    spent: Decimal | None  # None: no summary was written for that day (nothing was asked)
    cap: Decimal
    state: BudgetState
    today: bool = False


def chart_days(report: BudgetReport) -> list[Day]:
    """The 30 days before the report's day, and that day, in order; a day without a summary has no spend."""
    today = date.fromisoformat(report.daily.window_key)
    summaries = {summary.window_key: summary for summary in report.history}
    keys = [(today - timedelta(days=back)).isoformat() for back in range(CLOSED_DAYS, 0, -1)]
    known = [summaries[key] for key in keys if key in summaries]
    cap = known[0].cap_usd if known else report.daily.cap_usd  # before the first summary: the first cap known
    days: list[Day] = []
    for key in keys:
        summary = summaries.get(key)
        if summary is None:
            days.append(Day(key, None, cap, BudgetState.ACTIVE))
            continue
        cap = summary.cap_usd
        days.append(Day(key, summary.spent_usd, cap, summary.highest_state))
    daily = report.daily
    days.append(Day(daily.window_key, daily.spent_usd, daily.cap_usd, daily.state, today=True))
    return days


def _scale(days: list[Day]) -> Decimal:
    """A round top for the axis, a little above the highest bar or cap (1, 1.2, 1.5, 2, ... 8 times a power of ten)."""
    highest = max(max(day.spent or 0, day.cap) for day in days)
    if highest <= 0:
        return Decimal(1)
    target = highest * Decimal("1.08")
    power = Decimal(10) ** (target.adjusted())
    return next(step * power for step in _STEPS if step * power >= target)


def _y(amount: Decimal, scale: Decimal) -> Decimal:
    return Decimal(TOP) + Decimal(_PLOT_H) * (1 - amount / scale)


def _n(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):f}"


def _axis(amount: Decimal) -> str:
    return f"${amount:,.0f}" if amount == amount.to_integral_value() else usd(amount)


def _label(day: date) -> str:
    return f"{day:%b} {day.day}"


def daily_chart(report: BudgetReport) -> str:
    days = chart_days(report)
    scale = _scale(days)
    slot = Decimal(_PLOT_W) / len(days)
    parts = [
        f'<svg data-testid="chart" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        'aria-label="Spend per day for the last 30 days and today, against the daily cap" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for amount in (Decimal(0), scale / 2, scale):
        y = _n(_y(amount, scale))
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 6}" y="{y}" text-anchor="end" dy="0.35em">{_axis(amount)}</text>')
    cap_points: list[str] = []
    for index, day in enumerate(days):
        left = Decimal(LEFT) + slot * index
        cap_y = _n(_y(day.cap, scale))
        cap_points += [f"{_n(left)},{cap_y}", f"{_n(left + slot)},{cap_y}"]
        if day.spent is None:
            continue
        top = _y(min(day.spent, scale), scale)
        classes = f"bar s-{day.state.value}" + (" today" if day.today else "")
        when = "today so far" if day.today else escape(day.key)
        parts.append(
            f'<rect data-testid="bar" data-day="{escape(day.key)}" data-usd="{day.spent:f}" '
            f'data-state="{day.state.value}" class="{classes}" x="{_n(left + slot * Decimal("0.15"))}" '
            f'y="{_n(top)}" width="{_n(slot * Decimal("0.7"))}" height="{_n(Decimal(TOP + _PLOT_H) - top)}">'
            f"<title>{when}: {escape(usd(day.spent))} of {escape(usd(day.cap))} ({day.state.value})</title></rect>"
        )
    parts.append(f'<polyline data-testid="cap-line" class="cap" points="{" ".join(cap_points)}"/>')
    cap_y = _n(_y(days[-1].cap, scale))
    parts.append(
        f'<text class="cap-label" x="{WIDTH - RIGHT}" y="{cap_y}" dy="-4" text-anchor="end">'
        f"cap {escape(usd(days[-1].cap))}</text>"
    )
    base = HEIGHT - 8
    first = date.fromisoformat(days[0].key)
    middle = date.fromisoformat(days[len(days) // 2].key)
    parts += [
        f'<text class="axis" x="{LEFT}" y="{base}">{_label(first)}</text>',
        f'<text class="axis" x="{_n(LEFT + slot * (len(days) // 2) + slot / 2)}" y="{base}" '
        f'text-anchor="middle">{_label(middle)}</text>',
        f'<text class="axis" x="{WIDTH - RIGHT}" y="{base}" text-anchor="end">today</text>',
        "</svg>",
    ]
    return "".join(parts)
