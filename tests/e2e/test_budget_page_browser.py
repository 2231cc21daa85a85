"""The budget page in a real browser (Debian's Chromium, headless): what a merchant opening the link sees is the chart
and the numbers the budget API returns, it fits a phone, and a tampered or expired link opens the plain 403 page."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.budget_site import BudgetSite
from tests.e2e.chromium import Chromium, Tab
from tests.e2e.conftest import Stack, post
from tests.e2e.test_admin import admin
from tests.fakes.budget_reports import black_friday

TENANT = "maple-and-co"
AMOUNTS = ("spent", "cap", "remaining", "held", "saved")
# Read in the page as laid out by Chromium: values from the DOM, sizes from layout.
READ_PAGE = """(() => {
  const one = id => document.querySelector(`[data-testid="${id}"]`);
  const box = element => element.getBoundingClientRect();
  const amounts = {};
  for (const window of ["daily", "monthly"]) {
    for (const name of %s) {
      const element = one(`${window}-${name}`);
      amounts[`${window}-${name}`] = {text: element.textContent, usd: element.dataset.usd};
    }
  }
  const bars = [...one("chart").querySelectorAll('[data-testid="bar"]')].map(bar => (
    {day: bar.dataset.day, usd: bar.dataset.usd, state: bar.dataset.state, width: box(bar).width,
     height: box(bar).height}));
  return {
    tenant: one("tenant").textContent, state: one("state").dataset.state, amounts, bars,
    chart: {width: box(one("chart")).width, capLineWidth: box(one("cap-line")).width},
    events: [...document.querySelectorAll('[data-testid="event"]')].map(event => event.dataset.kind),
    daily: {top: box(one("daily")).top, bottom: box(one("daily")).bottom},
    monthly: {top: box(one("monthly")).top, bottom: box(one("monthly")).bottom},
    viewport: innerWidth, scrollWidth: document.documentElement.scrollWidth,
  };
})()""" % json.dumps(AMOUNTS)  # noqa: UP031 - JavaScript's braces would all need doubling in an f-string


@pytest.fixture(scope="module")
def site() -> Iterator[BudgetSite]:
    with BudgetSite({TENANT: black_friday(TENANT)}) as running:
        yield running


@pytest.fixture(scope="module")
def tab() -> Iterator[Tab]:
    with Chromium.launch() as browser:
        yield browser.new_tab()


def budget_json(site: BudgetSite, tenant_id: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{site.url}/v1/admin/tenants/{tenant_id}/budget", timeout=10) as answer:  # noqa: S310
        report: dict[str, Any] = json.load(answer)
    return report


def usd(value: float | str) -> Decimal:
    """An amount as the JSON (a number) or the page (data-usd) writes it, compared exactly."""
    return Decimal(repr(value) if isinstance(value, float) else value)


def link(site: BudgetSite, issued: datetime | None = None) -> str:
    url, _ = site.links.issue(TENANT, issued or datetime.now(UTC))
    return url


def test_the_page_shows_the_chart_and_the_numbers_the_budget_api_returns(site: BudgetSite, tab: Tab) -> None:
    report = budget_json(site, TENANT)
    assert tab.open(link(site), width=375, height=800, mobile=True) == 200
    page = tab.evaluate(READ_PAGE)

    assert (page["tenant"], page["state"]) == (TENANT, report["state"]) == (TENANT, "warned")
    for window in ("daily", "monthly"):
        for name in AMOUNTS:
            shown = page["amounts"][f"{window}-{name}"]
            assert usd(shown["usd"]) == usd(report[window][f"{name}Usd"]), (window, name)
            assert shown["text"].startswith("$")
    assert page["amounts"]["daily-spent"]["text"] == "$21.37"
    assert page["amounts"]["monthly-cap"]["text"] == "$600.00"

    days = sorted(report["history"], key=lambda day: day["windowKey"])
    bars = page["bars"]
    assert [bar["day"] for bar in bars] == [day["windowKey"] for day in days] + [report["daily"]["windowKey"]]
    assert [usd(bar["usd"]) for bar in bars[:-1]] == [usd(day["spentUsd"]) for day in days]
    assert [bar["state"] for bar in bars[:-1]] == [day["highestState"] for day in days]
    assert usd(bars[-1]["usd"]) == usd(report["daily"]["spentUsd"])  # today, running
    assert all(bar["width"] > 3 and bar["height"] > 10 for bar in bars)  # drawn, not just present in the markup
    stopped = next(bar for bar in bars if bar["state"] == "stopped")
    assert stopped["height"] == max(bar["height"] for bar in bars)  # the hard stop is the tallest day
    assert page["chart"]["capLineWidth"] > 0.9 * page["chart"]["width"] - 60  # the cap runs across the chart
    assert page["events"] == [event["kind"] for event in report["events"]]
    assert {"hard_stop", "downgrades"} <= set(page["events"])


def test_the_page_fits_a_phone_and_uses_a_desktops_width(site: BudgetSite, tab: Tab) -> None:
    url = link(site)
    tab.open(url, width=375, height=800, mobile=True)
    phone = tab.evaluate(READ_PAGE)
    assert phone["viewport"] == 375  # the viewport meta tag is honoured: no zoomed-out desktop layout
    assert phone["scrollWidth"] <= 375  # no horizontal scrolling
    assert phone["chart"]["width"] <= 375
    assert phone["monthly"]["top"] >= phone["daily"]["bottom"]  # the cards are stacked

    tab.open(url, width=1280, height=900)
    desktop = tab.evaluate(READ_PAGE)
    assert desktop["scrollWidth"] <= 1280
    assert desktop["monthly"]["top"] == desktop["daily"]["top"]  # side by side
    assert desktop["chart"]["width"] > phone["chart"]["width"]


def test_a_tampered_or_expired_link_opens_the_plain_403_page(site: BudgetSite, tab: Tab) -> None:
    good = link(site)
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    expired = link(site, issued=datetime.now(UTC) - timedelta(days=8))
    for url in (tampered, expired, f"{site.url}/dashboard"):
        assert tab.open(url, width=375, height=800, mobile=True) == 403
        seen = tab.evaluate(
            '({h1: document.querySelector("h1").textContent, body: document.body.innerText,'
            ' chart: document.querySelectorAll("svg").length})'
        )
        assert seen["h1"] == "This link is not valid"
        assert seen["chart"] == 0
        assert TENANT not in seen["body"] and "$" not in seen["body"]


def test_the_real_stack_issues_a_link_that_opens_the_budget_the_admin_api_returns(local_stack: Stack, tab: Tab) -> None:
    """The whole path as a merchant's agency uses it: onboard, answer a shopper, issue a link, open it."""
    assert (
        admin(local_stack, "PUT", "/v1/admin/tenants/page-store", {"dailyBudgetUsd": 3, "monthlyBudgetUsd": 30}).status
        == 201
    )
    key = admin(local_stack, "POST", "/v1/admin/tenants/page-store/keys").body["key"]
    assert post(local_stack.url, key, {"prompt": "Can I change my delivery slot?", "customerId": "c-9"}).status == 200
    issued = admin(local_stack, "POST", "/v1/admin/tenants/page-store/dashboard-links")
    assert issued.status == 201, issued.body
    report = admin(local_stack, "GET", "/v1/admin/tenants/page-store/budget").body

    assert tab.open(issued.body["url"], width=375, height=800, mobile=True) == 200
    page = tab.evaluate(READ_PAGE)
    assert (page["tenant"], page["state"]) == ("page-store", report["state"])
    for window in ("daily", "monthly"):
        for name in AMOUNTS:
            assert usd(page["amounts"][f"{window}-{name}"]["usd"]) == usd(report[window][f"{name}Usd"]), (window, name)
    assert usd(page["bars"][-1]["usd"]) == usd(report["daily"]["spentUsd"]) > 0  # today's bar: the answer's cost
    tampered = issued.body["url"][:-2] + ("AA" if not issued.body["url"].endswith("AA") else "BB")
    assert tab.open(tampered, width=375, height=800, mobile=True) == 403
