"""The budget page as a merchant reads it: spend against the caps, the state, savings, events and when the budget
resets, in the tenant's zone; and nothing a hostile string could turn into markup."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from spendrail.admin.models import BudgetEvent, BudgetReport
from spendrail.dashboard.format import usd
from spendrail.dashboard.page import render_forbidden, render_page
from spendrail.windows import day_end, month_end, window_keys
from tests.fakes.budget_reports import black_friday


class Dom(HTMLParser):
    """Every element's tag and attributes, and the text of each element with a data-testid."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[str, str] = {}
        self.attrs: dict[str, dict[str, str | None]] = {}
        self._open: list[str | None] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag in {"meta", "br", "line", "polyline", "path", "img", "input"}:
            return
        testid = attributes.get("data-testid")
        if testid and testid not in self.attrs:
            self.attrs[testid], self.text[testid] = attributes, ""
        self._open.append(testid)

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for testid in self._open:
            if testid is not None:
                self.text[testid] += data


def test_today_and_this_month_against_their_caps_with_the_state() -> None:
    dom = Dom(render_page(black_friday()))
    assert dom.text["tenant"] == "maple-and-co"
    assert dom.attrs["state"]["data-state"] == "warned"
    assert dom.text["state"].startswith("Warned")
    assert [dom.text[f"daily-{name}"] for name in ("spent", "cap", "remaining")] == ["$21.37", "$25.00", "$3.21"]
    assert dom.attrs["daily-spent"]["data-usd"] == "21.37"
    assert "(85.5%)" in dom.text["daily"]
    assert (dom.text["monthly-spent"], dom.text["monthly-cap"]) == ("$414.74", "$600.00")
    assert dom.text["monthly"].startswith("November 2026")
    assert (dom.text["daily-saved"], dom.text["monthly-saved"]) == ("$6.12", "$118.40")


def test_the_30_days_before_today_in_figures() -> None:
    dom = Dom(render_page(black_friday()))
    assert dom.text["days-spent"] == "$421.94"
    assert dom.text["days-downgrades"] == "149"
    assert dom.text["days-stopped"] == "1"
    assert dom.text["days-cache-hits"] == "3,993 of 16,019"


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("1234.5", "$1,234.50"),
        ("25", "$25.00"),
        ("0", "$0.00"),
        ("0.5", "$0.50"),
        ("0.0034", "$0.0034"),
        ("0.000012", "$0.000012"),
        ("0.9999999", "$1.00"),
        ("0.0000004", "< $0.000001"),
        ("1000000.005", "$1,000,000.01"),
    ],
)
def test_money_is_written_as_usd_without_hiding_small_amounts(amount: str, shown: str) -> None:
    assert usd(Decimal(amount)) == shown


def test_downgrade_and_stop_events_newest_first_with_their_headlines() -> None:
    dom = Dom(render_page(black_friday()))
    events = [attrs for tag, attrs in dom.tags if attrs.get("data-testid") == "event"]
    kinds = [attrs["data-kind"] for attrs in events]
    assert kinds[:4] == ["soft_cap", "budget_reset", "downgrades", "hard_stop"]
    assert "Hard stop" in dom.text["events"]
    assert "Fri 27 Nov, 19:42 EST" in dom.text["events"]
    assert "112 requests answered by a cheaper model" in dom.text["events"]


def test_money_in_doubt_is_shown_only_when_there_is_some() -> None:
    report = black_friday()
    doubtful = report.model_copy(update={"daily": report.daily.model_copy(update={"in_doubt_usd": Decimal("0.12")})})
    dom = Dom(render_page(doubtful))
    assert dom.text["daily-in-doubt"] == "$0.12"
    assert "Of which in doubt$0.12" in dom.text["daily"]
    assert "monthly-in-doubt" not in dom.text


def test_a_quiet_tenant_has_no_events_and_no_money_in_doubt_line() -> None:
    dom = Dom(render_page(black_friday().model_copy(update={"events": []})))
    assert dom.text["events"] == "EventsNothing happened worth telling."
    assert "daily-in-doubt" not in dom.text


def at(zone: str, now: datetime) -> BudgetReport:
    """The report at `now` for a tenant in `zone`, its windows and resets as the admin service computes them."""
    report, keys = black_friday(timezone=zone), window_keys(now, zone)
    daily = report.daily.model_copy(
        update={"window_key": keys.day, "resets_at": day_end(keys.day, zone).isoformat(timespec="seconds")}
    )
    monthly = report.monthly.model_copy(
        update={"window_key": keys.month, "resets_at": month_end(keys.month, zone).isoformat(timespec="seconds")}
    )
    generated = now.astimezone(day_end(keys.day, zone).tzinfo).isoformat(timespec="seconds")
    return report.model_copy(update={"daily": daily, "monthly": monthly, "generated_at": generated})


def test_time_to_reset_in_new_york_and_in_kiritimati_at_the_same_instant() -> None:
    now = datetime(2026, 11, 28, 19, 20, tzinfo=UTC)  # 14:20 on the 28th in New York, 09:20 on the 29th in Kiritimati
    new_york = Dom(render_page(at("America/New_York", now)))
    kiritimati = Dom(render_page(at("Pacific/Kiritimati", now)))
    assert new_york.text["daily-resets-in"] == "9 h 40 min"
    assert new_york.text["daily-resets-at"] == "Sun 29 Nov, 00:00 EST"
    assert kiritimati.text["daily-resets-in"] == "14 h 40 min"
    assert kiritimati.text["daily-resets-at"] == "Mon 30 Nov, 00:00 +14"
    assert new_york.text["monthly-resets-in"] == "2 d 9 h"  # December starts in New York on Tuesday at midnight
    assert kiritimati.text["monthly-resets-in"] == "1 d 14 h"
    last_seconds = Dom(render_page(at("America/New_York", datetime(2026, 12, 1, 4, 59, 30, tzinfo=UTC))))
    assert last_seconds.text["daily-resets-in"] == "less than a minute"
    assert last_seconds.text["monthly-resets-in"] == "less than a minute"  # 23:59:30 on the 30th of November


def test_a_hostile_tenant_id_or_event_detail_is_shown_as_text_never_as_markup() -> None:
    hostile = "<script>alert(1)</script>"
    attribute = "\"><img src=x onerror=alert('x')>"
    report = black_friday(tenant_id=hostile, timezone="America/New_York").model_copy(
        update={
            "events": [
                BudgetEvent(at=attribute, kind=attribute, window="daily", window_key=hostile, detail=attribute),
            ]
        }
    )
    html = render_page(report)
    dom = Dom(html)
    assert not [tag for tag, _ in dom.tags if tag in {"script", "img", "iframe"}]
    assert dom.text["tenant"] == hostile  # shown literally
    assert attribute in dom.text["events"]
    assert hostile not in html and "<img" not in html
    event = next(attrs for _, attrs in dom.tags if attrs.get("data-testid") == "event")
    assert event["data-kind"] == attribute  # an attribute value, not a way out of one


def test_the_page_is_self_contained_and_fits_a_phone() -> None:
    html = render_page(black_friday())
    dom = Dom(html)
    metas = {a.get("name") or a.get("http-equiv"): a.get("content") for tag, a in dom.tags if tag == "meta"}
    assert metas["viewport"] == "width=device-width, initial-scale=1"
    assert "default-src 'none'" in (metas["Content-Security-Policy"] or "")  # no script, no fetch, no CDN
    assert not [tag for tag, _ in dom.tags if tag in {"script", "link", "img"}]
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html


def test_the_forbidden_page_says_nothing_about_the_link_or_the_tenant() -> None:
    html = render_forbidden()
    dom = Dom(html)
    assert [tag for tag, _ in dom.tags if tag == "h1"]
    assert "This link is not valid" in html
    assert not [attrs for _, attrs in dom.tags if attrs.get("data-testid")]
    for detail in ("expired at", "signature", "tenant", "maple"):
        assert detail not in html.lower()
