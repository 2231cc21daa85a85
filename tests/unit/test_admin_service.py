"""The admin service with fakes: the budget report a merchant reads (windows, 30 days of history, events)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from spendrail.admin.models import TenantSettingsIn
from spendrail.admin.service import TenantAdmin
from spendrail.errors import BadRequestError, NotFoundError
from spendrail.ledger.memory import InMemoryLedger
from spendrail.state import BudgetState
from spendrail.tenants.memory import InMemoryTenantDirectory
from tests.conftest import Clock


@pytest.fixture
def admin(clock: Clock) -> TenantAdmin:
    ledger = InMemoryLedger(clock=clock)
    return TenantAdmin(ledger, InMemoryTenantDirectory(), events=ledger, clock=clock)


def settings(**fields: object) -> TenantSettingsIn:
    body = {"dailyBudgetUsd": 1, "monthlyBudgetUsd": 10, "timezone": "America/New_York", **fields}
    return TenantSettingsIn.model_validate(body)


def spend(admin: TenantAdmin, tenant: str, nanos: int, *, downgraded: bool = False) -> None:
    ledger = admin._ledger
    hold = ledger.reserve(tenant, nanos).hold
    assert hold is not None
    ledger.settle(hold, nanos, downgraded=downgraded)


def test_the_report_has_both_windows_yesterdays_summary_and_its_downgrades(admin: TenantAdmin, clock: Clock) -> None:
    admin.put_tenant("shop", settings())
    spend(admin, "shop", 960_000_000, downgraded=True)  # 96%: degraded, and one answer from a cheaper model
    clock.advance(days=1)
    spend(admin, "shop", 100_000_000)
    report = admin.budget("shop")
    assert (report.state, report.timezone) == (BudgetState.ACTIVE, "America/New_York")
    assert (report.daily.spent_usd, report.daily.cap_usd, report.daily.remaining_usd) == (
        Decimal("0.1"),
        Decimal(1),
        Decimal("0.9"),
    )
    assert report.daily.resets_at == "2026-11-30T00:00:00-05:00"  # New York's next midnight
    assert report.monthly.spent_usd == Decimal("1.06")
    [yesterday] = report.history
    assert (yesterday.window_key, yesterday.spent_usd, yesterday.highest_state, yesterday.downgrades) == (
        "2026-11-28",
        Decimal("0.96"),
        BudgetState.DEGRADED,
        1,
    )
    kinds = [event.kind for event in report.events]
    assert "downgrades" in kinds and "degraded" in kinds
    assert report.events == sorted(report.events, key=lambda e: e.at, reverse=True)


def test_a_tenant_created_once_is_updated_after(admin: TenantAdmin) -> None:
    assert admin.put_tenant("shop", settings())[1] is True
    updated, created = admin.put_tenant("shop", settings(dailyBudgetUsd=2, fallbackMessage="brb"))
    assert (created, updated.daily_budget_usd, updated.fallback_message) == (False, Decimal(2), "brb")
    assert admin.put_tenant("shop", settings())[0].fallback_message == "brb"  # kept when not given


def test_bad_ids_and_unknown_tenants(admin: TenantAdmin) -> None:
    with pytest.raises(BadRequestError):
        admin.put_tenant("no spaces", settings())
    with pytest.raises(NotFoundError):
        admin.budget("ghost")
    with pytest.raises(BadRequestError):
        admin.tenants(cursor="%%%")
