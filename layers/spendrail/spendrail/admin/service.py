"""The admin API's service: onboard a store, change its budget and alert destinations, hand out and revoke its keys,
and report where its money went. The HTTP routes and the operator CLI are both thin clients of this class."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from spendrail.admin.models import (
    AlertDestinationsOut,
    BudgetEvent,
    BudgetReport,
    DashboardLink,
    DaySummary,
    KeyCreated,
    KeyInfo,
    TenantPage,
    TenantSettingsIn,
    TenantSettingsOut,
    WindowReport,
)
from spendrail.alerts.model import window_end
from spendrail.alerts.port import AlertSink
from spendrail.cache.model import JudgeMode
from spendrail.deadline import Deadline
from spendrail.errors import BadRequestError, NotFoundError, TenantNotFoundError
from spendrail.ledger.events import LedgerEvent
from spendrail.ledger.model import LedgerSnapshot, WindowSnapshot
from spendrail.ledger.port import BudgetHistory, BudgetLedger
from spendrail.ledger.summary import WindowSummary
from spendrail.money import nanos_to_usd
from spendrail.policy import BudgetPolicy, validate_tenant_id
from spendrail.tenants.destinations import AlertDestinations, Destinations
from spendrail.tenants.keys import TenantKeys
from spendrail.tenants.model import DEFAULT_FALLBACK_MESSAGE, Tenant
from spendrail.tenants.port import TenantRegistry

MASKED_WEBHOOK = "https://hooks.slack.com/services/***"  # a stored webhook is a secret: never shown back
DEFAULT_LINK_LIFETIME = timedelta(days=7)


class Ledger(BudgetLedger, BudgetHistory, Protocol):
    """What the admin service reads and changes: policies, windows, history."""


@runtime_checkable
class EventLog(Protocol):
    def events(self, tenant_id: str, limit: int = 50) -> list[LedgerEvent]: ...


class LinkIssuer(Protocol):
    def issue(
        self, tenant_id: str, now: datetime, lifetime: timedelta, *, fallback_url: str | None = None
    ) -> tuple[str, datetime]: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


def encode_cursor(tenant_id: str) -> str:
    return base64.urlsafe_b64encode(tenant_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return validate_tenant_id(decoded)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequestError("cursor is not one this API handed out", [_field("cursor", "invalid")]) from None


def _field(name: str, message: str) -> dict[str, str]:
    return {"field": name, "message": message, "type": "value_error"}


class TenantAdmin:
    def __init__(
        self,
        ledger: Ledger,
        registry: TenantRegistry,
        *,
        destinations: Destinations | None = None,
        events: EventLog | None = None,
        links: LinkIssuer | None = None,
        alerts: AlertSink | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._ledger = ledger
        self._registry = registry
        self._destinations = destinations
        self._events = events
        self._links = links
        self._alerts = alerts
        self._clock = clock
        self._keys = TenantKeys(registry, clock)

    # ---- tenants ------------------------------------------------------------------------------------------------

    def put_tenant(
        self, tenant_id: str, settings: TenantSettingsIn, deadline: Deadline | None = None
    ) -> tuple[TenantSettingsOut, bool]:
        """Create or change the tenant; True when it was created. A cap change applies to the next request."""
        self._valid_id(tenant_id)
        existing = self._registry.tenant(tenant_id)
        policy = BudgetPolicy(
            daily_cap_usd=settings.daily_budget_usd,
            monthly_cap_usd=settings.monthly_budget_usd,
            soft_cap_percent=settings.soft_cap_percent,
            degrade_percent=settings.degrade_percent,
            timezone=settings.timezone,
        )
        fallback = settings.fallback_message or (existing.fallback_message if existing else DEFAULT_FALLBACK_MESSAGE)
        vocabulary = (
            tuple(settings.cache_vocabulary)
            if settings.cache_vocabulary is not None
            else (existing.cache_vocabulary if existing else ())
        )
        given = settings.model_fields_set
        threshold = (
            settings.cache_threshold if "cache_threshold" in given else (existing.cache_threshold if existing else None)
        )
        judge = settings.cache_judge or (existing.cache_judge if existing else JudgeMode.BAND)
        profile = Tenant(
            tenant_id,
            fallback,
            threshold,
            existing.uncacheable_use_cases if existing else frozenset(),
            vocabulary,
            judge,
        )
        self._registry.put_tenant(profile)
        change = self._ledger.change_policy(tenant_id, policy)
        if settings.alerts is not None and self._destinations is not None:
            given = settings.alerts.model_fields_set
            self._destinations.set(
                tenant_id,
                email=settings.alerts.email,
                slack_webhook=settings.alerts.slack_webhook_url,
                clear_email="email" in given and settings.alerts.email is None,
                clear_slack="slack_webhook_url" in given and settings.alerts.slack_webhook_url is None,
            )
        if change.alerts and self._alerts is not None:  # e.g. a stopped tenant whose new cap has room: budget_reset
            self._alerts.deliver(change.alerts, deadline or Deadline.after(5))
        return self.tenant(tenant_id), existing is None

    def tenant(self, tenant_id: str) -> TenantSettingsOut:
        self._valid_id(tenant_id)
        profile = self._registry.tenant(tenant_id)
        if profile is None:
            raise NotFoundError(f"no tenant {tenant_id!r}")
        return self._settings(profile)

    def tenants(self, limit: int = 20, cursor: str | None = None) -> TenantPage:
        if not 1 <= limit <= 100:
            raise BadRequestError("limit must be 1-100", [_field("limit", "must be 1-100")])
        after = decode_cursor(cursor) if cursor is not None else None
        profiles, last = self._registry.tenants(limit, after)
        return TenantPage(
            tenants=[self._settings(p) for p in profiles],
            cursor=encode_cursor(last) if last is not None else None,
        )

    # ---- keys ---------------------------------------------------------------------------------------------------

    def create_key(self, tenant_id: str, key: str | None = None) -> KeyCreated:
        """A new key for the tenant (or register `key`): returned once, only its hash is kept."""
        self._require(tenant_id)
        key_id, key = self._keys.issue(tenant_id, key)
        return KeyCreated(key_id=key_id, key=key)

    def revoke_key(self, tenant_id: str, key_id: str) -> None:
        self._require(tenant_id)
        self._keys.revoke(tenant_id, key_id)

    def revoke_secret(self, key: str) -> None:
        self._keys.revoke_secret(key)

    def onboard(self, tenant: Tenant, policy: BudgetPolicy, key: str | None = None) -> str:
        """Create or update a tenant with `policy` and give it a key (`key`, or a new one): the CLI's and the local
        stack's way in. Returns the key."""
        self._valid_id(tenant.tenant_id)
        self._registry.put_tenant(tenant)
        self._ledger.put_policy(tenant.tenant_id, policy)
        return self._keys.issue(tenant.tenant_id, key)[1]

    # ---- budget -------------------------------------------------------------------------------------------------

    def budget(self, tenant_id: str) -> BudgetReport:
        snapshot = self._snapshot(tenant_id)
        zone = snapshot.policy.timezone
        now = self._clock()
        history = self._ledger.history(tenant_id, "daily", 30)
        logged = self._events.events(tenant_id, 50) if self._events is not None else []
        events = [_event(e, zone) for e in logged] + _downgrade_days(history, zone)
        events.sort(key=lambda e: e.at, reverse=True)
        return BudgetReport(
            tenant_id=tenant_id,
            timezone=zone,
            state=snapshot.state,
            generated_at=now.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds"),
            daily=_window(snapshot.daily, "daily", zone),
            monthly=_window(snapshot.monthly, "monthly", zone),
            history=[_day(summary) for summary in history],
            events=events,
        )

    def dashboard_link(
        self, tenant_id: str, lifetime: timedelta = DEFAULT_LINK_LIFETIME, *, fallback_url: str | None = None
    ) -> DashboardLink:
        """A signed link to the tenant's budget page, on PUBLIC_BASE_URL or else on `fallback_url`."""
        self._snapshot(tenant_id)
        if self._links is None:
            raise NotFoundError("this deployment issues no dashboard links (no signing secret configured)")
        url, expires = self._links.issue(tenant_id, self._clock(), lifetime, fallback_url=fallback_url)
        return DashboardLink(url=url, expires_at=expires.isoformat(timespec="seconds"))

    # ---- internals ----------------------------------------------------------------------------------------------

    @staticmethod
    def _valid_id(tenant_id: str) -> None:
        try:
            validate_tenant_id(tenant_id)
        except ValueError as exc:
            raise BadRequestError(str(exc), [_field("tenantId", str(exc))]) from None

    def _require(self, tenant_id: str) -> Tenant:
        self._valid_id(tenant_id)
        profile = self._registry.tenant(tenant_id)
        if profile is None:
            raise NotFoundError(f"no tenant {tenant_id!r}")
        return profile

    def _snapshot(self, tenant_id: str) -> LedgerSnapshot:
        self._require(tenant_id)
        try:
            return self._ledger.snapshot(tenant_id)
        except TenantNotFoundError:
            raise NotFoundError(f"tenant {tenant_id!r} has no budget") from None

    def _settings(self, profile: Tenant) -> TenantSettingsOut:
        policy = self._snapshot(profile.tenant_id).policy
        where = (
            self._destinations.of(profile.tenant_id)
            if self._destinations is not None
            else AlertDestinations(profile.tenant_id)
        )
        keys = self._registry.keys_of(profile.tenant_id)
        return TenantSettingsOut(
            tenant_id=profile.tenant_id,
            daily_budget_usd=policy.daily_cap_usd,
            monthly_budget_usd=policy.monthly_cap_usd,
            timezone=policy.timezone,
            soft_cap_percent=policy.soft_cap_percent,
            degrade_percent=policy.degrade_percent,
            fallback_message=profile.fallback_message,
            cache_vocabulary=list(profile.cache_vocabulary),
            cache_threshold=profile.cache_threshold,
            cache_judge=profile.cache_judge,
            alerts=AlertDestinationsOut(
                email=where.email, slack=where.slack, slack_webhook_url=MASKED_WEBHOOK if where.slack else None
            ),
            keys=[KeyInfo(key_id=k.key_id, status=k.status.value, created_at=k.created_at) for k in keys],
        )


def _iso(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")


def _window(window: WindowSnapshot, name: str, zone: str) -> WindowReport:
    return WindowReport(
        window_key=window.key,
        spent_usd=nanos_to_usd(window.spent),
        held_usd=nanos_to_usd(window.held),
        cap_usd=nanos_to_usd(window.cap),
        remaining_usd=nanos_to_usd(max(window.remaining, 0)),
        saved_usd=nanos_to_usd(window.saved),
        in_doubt_usd=nanos_to_usd(window.in_doubt),
        state=window.level.state,
        resets_at=_iso(window_end(name, window.key, zone), zone),  # type: ignore[arg-type]
    )


def _day(summary: WindowSummary) -> DaySummary:
    return DaySummary(
        window_key=summary.key,
        spent_usd=nanos_to_usd(summary.spent),
        cap_usd=nanos_to_usd(summary.cap),
        requests=summary.requests,
        cache_hits=summary.cache_hits,
        saved_usd=nanos_to_usd(summary.saved),
        downgrades=summary.downgrades,
        highest_state=summary.highest,
        in_doubt_usd=nanos_to_usd(summary.in_doubt),
    )


_EVENT_TEXT = {
    "soft_cap": "soft cap reached",
    "degraded": "degraded: answers from the cheapest model",
    "hard_stop": "hard stop: answers paused until the window resets",
    "budget_reset": "budget restored",
    "projected_exhaustion": "projected to hit the cap before the window ends",
}


def _event(event: LedgerEvent, zone: str) -> BudgetEvent:
    spent, cap = nanos_to_usd(event.spent).normalize(), nanos_to_usd(event.cap).normalize()
    text = _EVENT_TEXT.get(event.kind.value, event.kind.value)
    return BudgetEvent(
        at=_iso(datetime.fromtimestamp(event.at, UTC), zone),
        kind=event.kind.value,
        window=event.window,
        window_key=event.window_key,
        detail=f"{text} (${spent:f} of ${cap:f})",
    )


def _downgrade_days(history: Sequence[WindowSummary], zone: str) -> list[BudgetEvent]:
    """A day whose requests were routed to a cheaper model, as one event at the day's end."""
    return [
        BudgetEvent(
            at=_iso(window_end("daily", day.key, zone) - timedelta(seconds=1), zone),
            kind="downgrades",
            window="daily",
            window_key=day.key,
            detail=f"{day.downgrades} requests answered by a cheaper model",
        )
        for day in history
        if day.downgrades
    ]
