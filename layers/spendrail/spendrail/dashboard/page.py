"""The budget page: one self-contained HTML document rendered from the admin API's BudgetReport.

No script, no CDN, no build step: inline CSS and an inline SVG chart. Every value from the report is escaped, and
the page's Content-Security-Policy allows no script at all, so a hostile string could not run even if one slipped
through. Numbers carry data-testid hooks and their exact amount in data-usd, for tests and for anyone scraping.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from html import escape

from spendrail.admin.models import BudgetEvent, BudgetReport, WindowReport
from spendrail.dashboard.chart import CLOSED_DAYS, daily_chart
from spendrail.dashboard.format import duration, local_time, parse_time, percent, usd
from spendrail.dashboard.style import CSS
from spendrail.state import BudgetState

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
_STATES = {
    BudgetState.ACTIVE: ("Active", "answers use the usual models."),
    BudgetState.WARNED: ("Warned", "past the soft cap; answers go on as usual."),
    BudgetState.DEGRADED: ("Degraded", "close to the cap; answers use the cheapest model."),
    BudgetState.STOPPED: ("Stopped", "the cap is reached; the chatbot shows its fallback message until the reset."),
}
_EVENTS = {  # the alerts' headlines (DESIGN.md, "Alerts"), and the state colour each one shows
    "soft_cap": ("Soft cap reached", "warned"),
    "degraded": ("Budget degraded", "degraded"),
    "hard_stop": ("Hard stop", "stopped"),
    "budget_reset": ("Budget restored", "active"),
    "projected_exhaustion": ("Projected to hit the cap", "warned"),
    "downgrades": ("Cheaper model used", "degraded"),
}
_MAX_EVENTS = 50


def _amount(testid: str, amount: Decimal) -> str:
    return f'<span data-testid="{testid}" data-usd="{amount:f}">{escape(usd(amount))}</span>'


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex, nofollow">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>{body}</main></body></html>"
    )


def _resets(name: str, window: WindowReport, report: BudgetReport) -> str:
    generated, resets = parse_time(report.generated_at), parse_time(window.resets_at)
    if generated is None or resets is None:
        return f'<dd data-testid="{name}-resets-at">{escape(window.resets_at)}</dd>'
    return (
        f'<dd><span data-testid="{name}-resets-in">{escape(duration(resets - generated))}</span>'
        f'<small data-testid="{name}-resets-at">{escape(local_time(resets, report.timezone))}</small></dd>'
    )


def _window(name: str, title: str, window: WindowReport, report: BudgetReport) -> str:
    used = min(Decimal(100), window.spent_usd * 100 / window.cap_usd) if window.cap_usd > 0 else Decimal(100)
    doubt = ""
    if window.in_doubt_usd > 0:
        doubt = f"<dt>Of which in doubt</dt><dd>{_amount(f'{name}-in-doubt', window.in_doubt_usd)}</dd>"
    return (
        f'<article class="card s-{window.state.value}" data-testid="{name}" data-state="{window.state.value}">'
        f"<h2>{escape(title)}</h2>"
        f'<p class="big">{_amount(f"{name}-spent", window.spent_usd)} '
        f'<span class="of">of {_amount(f"{name}-cap", window.cap_usd)} '
        f"({escape(percent(window.spent_usd, window.cap_usd))})</span></p>"
        f'<div class="meter" aria-hidden="true"><span style="width:{used:.1f}%"></span></div><dl>'
        f"<dt>Left</dt><dd>{_amount(f'{name}-remaining', window.remaining_usd)}</dd>"
        f"<dt>In flight</dt><dd>{_amount(f'{name}-held', window.held_usd)}</dd>{doubt}"
        f"<dt>Saved by the cache</dt><dd>{_amount(f'{name}-saved', window.saved_usd)}</dd>"
        f"<dt>Resets in</dt>{_resets(name, window, report)}</dl></article>"
    )


def _month_title(key: str) -> str:
    try:
        return f"{datetime.strptime(key, '%Y-%m'):%B %Y}"  # noqa: DTZ007 - a calendar month, no instant
    except ValueError:
        return key


def _history(report: BudgetReport) -> str:
    """The chart, then the 30 closed days it shows in figures (today's are in its card)."""
    today = report.daily.window_key
    since = (date.fromisoformat(today) - timedelta(days=CLOSED_DAYS)).isoformat()
    days = [day for day in report.history if since <= day.window_key < today]
    spent, saved = sum((d.spent_usd for d in days), Decimal(0)), sum((d.saved_usd for d in days), Decimal(0))
    requests, hits = sum(d.requests for d in days), sum(d.cache_hits for d in days)
    legend = "".join(f'<li class="s-{state.value}"><i></i>{label}</li>' for state, (label, _) in _STATES.items())
    return (
        '<section class="card" data-testid="history"><h2>Last 30 days and today</h2>'
        f"{daily_chart(report)}"
        f'<ul class="legend">{legend}<li><i class="cap-key"></i>daily cap</li></ul>'
        '<p class="empty">The 30 days before today:</p><dl>'
        f"<dt>Spent</dt><dd>{_amount('days-spent', spent)}</dd>"
        f"<dt>Saved by the cache</dt><dd>{_amount('days-saved', saved)}</dd>"
        f'<dt>Answered from the cache</dt><dd data-testid="days-cache-hits">{hits:,} of {requests:,}</dd>'
        f'<dt>Cheaper model used</dt><dd data-testid="days-downgrades">{sum(d.downgrades for d in days)}</dd>'
        f'<dt>Days stopped</dt><dd data-testid="days-stopped">'
        f"{sum(d.highest_state is BudgetState.STOPPED for d in days)}</dd></dl></section>"
    )


def _event(event: BudgetEvent, timezone: str) -> str:
    label, state = _EVENTS.get(event.kind, (event.kind, ""))
    at = parse_time(event.at)
    when = escape(local_time(at, timezone)) if at is not None else escape(event.at)
    return (
        f'<li data-testid="event" data-kind="{escape(event.kind)}" class="s-{state}">'
        f'<span class="kind">{escape(label)}</span><time datetime="{escape(event.at)}">{when}</time>'
        f'<span class="detail">{escape(event.window)} {escape(event.window_key)}: {escape(event.detail)}</span></li>'
    )


def _events(report: BudgetReport) -> str:
    shown = report.events[:_MAX_EVENTS]
    items = "".join(_event(event, report.timezone) for event in shown)
    body = f'<ol class="events">{items}</ol>' if items else '<p class="empty">Nothing happened worth telling.</p>'
    return f'<section class="card" data-testid="events"><h2>Events</h2>{body}</section>'


def render_page(report: BudgetReport, *, link_expires_at: datetime | None = None) -> str:
    """The tenant's budget page. `link_expires_at`, when given, is said at the bottom."""
    label, meaning = _STATES[report.state]
    tenant = escape(report.tenant_id)
    generated = parse_time(report.generated_at)
    updated = local_time(generated, report.timezone) if generated else report.generated_at
    expires = f" This link works until {local_time(link_expires_at, report.timezone)}." if link_expires_at else ""
    body = (
        f'<header><p class="brand">spendrail budget</p><h1 data-testid="tenant">{tenant}</h1>'
        f'<p class="state s-{report.state.value}" data-testid="state" data-state="{report.state.value}">'
        f"<strong>{label}</strong>{escape(meaning)}</p></header>"
        '<section class="cards">'
        f"{_window('daily', 'Today', report.daily, report)}"
        f"{_window('monthly', _month_title(report.monthly.window_key), report.monthly, report)}</section>"
        f"{_history(report)}{_events(report)}"
        f"<footer>Times in {escape(report.timezone)}. Updated {escape(updated)}.{escape(expires)} "
        "Reload the page for the latest figures.</footer>"
    )
    return _document(f"Budget: {report.tenant_id}", body)


def render_forbidden() -> str:
    """What an expired, tampered or unknown link opens: no detail about why, nor about whose page it was."""
    return _document(
        "Link not valid",
        "<h1>This link is not valid</h1><p>It may have expired. Ask for a new link to the budget page.</p>",
    )


def render_unavailable() -> str:
    """The page when its data or its secret cannot be read right now."""
    return _document(
        "Budget page unavailable",
        "<h1>The budget page is unavailable</h1><p>Please try again in a minute.</p>",
    )
