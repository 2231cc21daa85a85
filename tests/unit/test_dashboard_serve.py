"""GET /dashboard?t=...: the page for a good link; the same plain 403 for every bad one; a 503 page when the data
or the secret cannot be read now. Never a stack trace, never a cached copy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from spendrail.admin.models import BudgetReport
from spendrail.dashboard.links import DashboardLinks
from spendrail.dashboard.serve import HtmlPage, budget_page
from spendrail.errors import NotFoundError, SecretUnavailableError, StoreUnavailableError, TenantNotFoundError
from tests.fakes.budget_reports import black_friday

NOW = datetime(2026, 11, 28, 19, 20, tzinfo=UTC)
LINKS = DashboardLinks(lambda: "a-local-secret-of-at-least-32-characters", "https://api.example.com")


def reports(tenant_id: str) -> BudgetReport:
    if tenant_id == "closed-store":
        raise NotFoundError(f"no tenant {tenant_id!r}")  # as the admin service says it
    if tenant_id == "store-without-budget":
        raise TenantNotFoundError(tenant_id)
    if tenant_id == "slow-store":
        raise StoreUnavailableError("the budget table did not answer in time")
    return black_friday(tenant_id=tenant_id)


def token(tenant_id: str = "maple-and-co", lifetime: timedelta = timedelta(days=7)) -> str:
    url, _ = LINKS.issue(tenant_id, NOW, lifetime)
    return parse_qs(urlsplit(url).query)["t"][0]


def get(token: str | None, now: datetime = NOW, links: DashboardLinks = LINKS) -> HtmlPage:
    return budget_page(token, now, links=links, reports=reports)


def test_a_good_link_opens_the_tenants_page_which_no_cache_keeps() -> None:
    page = get(token())
    assert page.status == 200
    assert 'data-testid="tenant">maple-and-co<' in page.body
    assert "This link works until Sat 5 Dec, 14:20 EST." in page.body
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"  # the token must not leave in a Referer
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "bad",
    ["expired", "tampered", "missing", "deleted tenant", "tenant without a budget"],
)
def test_every_bad_link_gets_the_same_plain_403_page(bad: str) -> None:
    good = token()
    asked = {
        "expired": lambda: get(token(lifetime=timedelta(hours=1)), NOW + timedelta(hours=1)),
        "tampered": lambda: get(good[:-1] + ("A" if good[-1] != "A" else "B")),
        "missing": lambda: get(None),
        "deleted tenant": lambda: get(token("closed-store")),
        "tenant without a budget": lambda: get(token("store-without-budget")),
    }[bad]()
    assert asked.status == 403
    assert asked.body == get("not-a-token").body  # nothing tells one refusal from another
    assert "This link is not valid" in asked.body
    assert asked.headers["Cache-Control"] == "no-store"


def test_a_budget_store_or_secret_that_cannot_be_read_now_gets_a_503_page() -> None:
    assert get(token("slow-store")).status == 503

    def ssm_down() -> str:
        raise SecretUnavailableError("SSM parameter '/spendrail/dashboard-secret' is missing or not readable")

    page = get(token(), links=DashboardLinks(ssm_down, "https://api.example.com"))
    assert page.status == 503
    assert "try again in a minute" in page.body
    assert "SSM" not in page.body
