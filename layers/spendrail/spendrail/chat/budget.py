"""The chat path's side of the ledger: route by budget state, hold the worst case, settle what it really cost.

Routing needs the tenant's state before the reserve that reports it afresh, so the state each tenant was last seen
in is remembered per instance; the reserve's answer then refines the route as far as the hold already covers it.
A tenant refused as exhausted is remembered too (`chat.stopped`): its next requests are refused without a write.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aws_lambda_powertools import Logger

from spendrail.alerts.model import Alert
from spendrail.alerts.port import AlertSink
from spendrail.chat.stopped import STALE_SECONDS, Stop, StoppedTenants
from spendrail.deadline import Deadline
from spendrail.errors import (
    BudgetBusyError,
    BudgetExceededError,
    InvalidInputError,
    StoreUnavailableError,
    UpstreamError,
)
from spendrail.estimate import worst_case_nanos
from spendrail.ledger.model import Hold, LedgerSnapshot, Refusal, ReserveResult, SettleResult
from spendrail.ledger.port import BudgetLedger
from spendrail.money import usd_to_nanos
from spendrail.pricing import PricingCatalog
from spendrail.routing import Route, route
from spendrail.state import BudgetState
from spendrail.tenants.model import Tenant
from spendrail.windows import seconds_to_day_reset, seconds_to_month_reset

logger = Logger(child=True)  # a child of the handler's Powertools Logger: JSON, with the request's keys

_FIRST_PAUSE_SECONDS = 0.02
_LONGEST_PAUSE_SECONDS = 0.25


@dataclass(frozen=True)
class Admitted:
    route: Route
    reserved: ReserveResult
    hold: Hold
    optional_held: bool = False  # the `optional` part (the cache judge's worst case) is in the hold


@dataclass(frozen=True)
class Closed:
    """A hold closed after a failed call: what was charged, and how much of it is in doubt."""

    cost: int
    in_doubt: int


def utcnow() -> datetime:
    return datetime.now(UTC)


class BudgetGate:
    def __init__(
        self,
        ledger: BudgetLedger,
        catalog: PricingCatalog,
        *,
        alerts: AlertSink | None = None,
        busy_wait_seconds: float = 1.5,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        stale_seconds: float = STALE_SECONDS,
    ) -> None:
        self._ledger = ledger
        self._catalog = catalog
        self._alerts = alerts
        self._busy_wait = busy_wait_seconds
        self._clock = clock
        self._sleep = sleep
        self._last_state: dict[str, BudgetState] = {}
        self._stopped = StoppedTenants(stale_seconds)

    def reserve(
        self,
        tenant: Tenant,
        use_case: str,
        texts: Sequence[str],
        max_tokens: int,
        request_id: str,
        deadline: Deadline,
        *,
        extra: int = 0,
        optional: int = 0,
        preferred: str | None = None,
        fallback_message: Callable[[], str],
    ) -> Admitted:
        """Hold `extra` plus the worst case of the route the budget state calls for; wait out holds in flight.

        `optional` (the cache judge's worst case) is held too when it fits, but never costs a shopper the route or
        the answer: when the hold with it does not fit, the same route is tried without it first. `preferred` is a
        model the client named (`routing.route`).

        A tenant this instance saw refused as exhausted is refused from memory while the cheapest route still does
        not fit the room it saw (no DynamoDB call; a read once the memory is stale, see `chat.stopped`).
        """
        cheapest = route(self._catalog, use_case, BudgetState.DEGRADED)
        least = extra + worst_case_nanos(self._catalog, cheapest.candidates, texts, max_tokens)
        stop = self._known_stop(tenant.tenant_id, least)
        if stop is not None:
            self._last_state[tenant.tenant_id] = BudgetState.STOPPED
            raise BudgetExceededError(stop.snapshot, self.retry_after(stop.snapshot), fallback_message())
        state = self._last_state.get(tenant.tenant_id, BudgetState.ACTIVE)
        if state is BudgetState.STOPPED:
            state = BudgetState.DEGRADED  # the window may have reset since: ask the ledger
        waiting = deadline.sooner(self._busy_wait)
        pause = _FIRST_PAUSE_SECONDS
        while True:
            chosen = route(self._catalog, use_case, state, preferred)
            amount = extra + optional + worst_case_nanos(self._catalog, chosen.candidates, texts, max_tokens)
            # A refusal of the optional part is not the tenant's hard stop: that is claimed without it, below.
            result = self._ledger.reserve(tenant.tenant_id, amount, hold_id=request_id, claim_stop=not optional)
            self._announce(result.alerts, deadline)  # a hard stop is claimed by a refusal: told before the 429
            fresh = result.state
            self._last_state[tenant.tenant_id] = fresh
            if result.hold is not None:
                self._stopped.forget(tenant.tenant_id)
                better = self._refine(chosen, fresh, use_case, texts, max_tokens, amount - extra - optional, preferred)
                return Admitted(better, result, result.hold, optional_held=optional > 0)
            if result.refusal is Refusal.EXHAUSTED and optional:
                optional = 0  # the same route without the optional part before anything the shopper would notice
                continue  # (when even that does not fit, its refusal claims the hard stop, once, as any refusal)
            if result.refusal is Refusal.EXHAUSTED:
                snapshot = result.snapshot
                retry_after = self.retry_after(snapshot)
                stop = self._stopped.remember(snapshot, self._clock(), retry_after)
                if state is not BudgetState.DEGRADED and not stop.refuses(least):
                    state = BudgetState.DEGRADED  # the cheapest model may still fit what is left
                    continue
                raise BudgetExceededError(snapshot, retry_after, fallback_message())
            if fresh is not BudgetState.STOPPED and fresh.level > state.level:
                state = fresh
            if waiting.remaining() < pause:
                raise BudgetBusyError(retry_after=result.retry_after or 1)
            self._sleep(pause)  # backing off while holds in flight settle; not test synchronization
            pause = min(pause * 2, _LONGEST_PAUSE_SECONDS)

    def _known_stop(self, tenant_id: str, amount: int) -> Stop | None:
        """The remembered stop that refuses `amount`, re-read first once stale; None: ask the ledger."""
        now = self._clock()
        stop = self._stopped.current(tenant_id, now)
        if stop is None:
            return None
        if self._stopped.stale(stop, now):
            try:
                fresh = self._ledger.snapshot(tenant_id)  # a read, not a write: has the cap or the spend moved?
            except StoreUnavailableError:
                return stop if stop.refuses(amount) else None  # refusing as last seen beats waiting on a stall
            if _terms(fresh) != _terms(stop.snapshot):
                self._stopped.forget(tenant_id)  # a policy change may have reopened the window: the ledger decides
                return None
            stop = self._stopped.remember(fresh, now, self.retry_after(fresh))
        if not stop.refuses(amount):
            return None
        return stop

    def settle(
        self,
        hold: Hold,
        cost: int,
        *,
        saved: int = 0,
        in_doubt: int = 0,
        downgraded: bool = False,
        deadline: Deadline | None = None,
    ) -> SettleResult | None:
        """Record what the request cost. None when the ledger cannot be reached: the hold stays and is reclaimed
        later, charged in full as in doubt, so the money is never undercounted (and the shopper keeps the answer)."""
        try:
            settled = self._ledger.settle(hold, cost, saved=saved, in_doubt=in_doubt, downgraded=downgraded)
        except StoreUnavailableError:
            logger.error(
                "settle failed: the hold stays and is charged in doubt when reclaimed",
                extra={"hold_id": hold.hold_id, "cost_nanos": cost, "hold_nanos": hold.amount},
            )
            return None
        self._last_state[hold.tenant_id] = settled.snapshot.state
        if deadline is not None:
            self._announce(settled.alerts, deadline)
        return settled

    def _announce(self, alerts: Sequence[Alert], deadline: Deadline) -> None:
        """Hand the alerts this request claimed to the sink (bounded, never raising); the outbox keeps the rest."""
        if alerts and self._alerts is not None:
            self._alerts.deliver(alerts, deadline)

    def close_failed(
        self, hold: Hold, exc: UpstreamError, spent_before: int, in_doubt_before: int, deadline: Deadline
    ) -> Closed:
        """Close the hold of a failed LLM call: the cost it reported (or its tokens at list price), else the rest of
        the hold in doubt when the provider may have billed it, else nothing more.

        `spent_before` (of which `in_doubt_before`) was already spent on the prompt's embedding.
        """
        cost, doubt = spent_before, in_doubt_before
        known = self._reported_cost(exc)
        if known is not None:
            cost += known
        elif exc.usage is not None or exc.in_doubt:
            cost, doubt = hold.amount, in_doubt_before + hold.amount - spent_before
        self.settle(hold, cost, in_doubt=doubt, deadline=deadline)
        if exc.kind == "credits" and self._alerts is not None:
            self._alerts.provider_out_of_credits(deadline)  # the operator's account, not this tenant's budget
        return Closed(cost, doubt)

    def _reported_cost(self, exc: UpstreamError) -> int | None:
        usage = exc.usage
        if usage is None:
            return None
        if usage.cost_usd is not None:
            return usd_to_nanos(usage.cost_usd, exact=False)
        try:
            return self._catalog.price(exc.model or "").cost_nanos(usage.input_tokens, usage.output_tokens)
        except InvalidInputError:
            return None

    def retry_after(self, snapshot: LedgerSnapshot) -> int:
        """Seconds until the window that binds resets (the tenant's local midnight or first of the month)."""
        now = self._clock()
        tz = snapshot.policy.timezone
        day_short = snapshot.daily.settled_room <= snapshot.monthly.settled_room
        return seconds_to_day_reset(now, tz) if day_short else seconds_to_month_reset(now, tz)

    def _refine(
        self,
        chosen: Route,
        fresh: BudgetState,
        use_case: str,
        texts: Sequence[str],
        max_tokens: int,
        amount: int,
        preferred: str | None,
    ) -> Route:
        """Follow the state the reserve reported, as far as the hold already taken covers it."""
        if fresh is chosen.state or fresh is BudgetState.STOPPED:
            return chosen
        better = route(self._catalog, use_case, fresh, preferred)
        needed = worst_case_nanos(self._catalog, better.candidates, texts, max_tokens)
        return better if needed <= amount else chosen


def _terms(snapshot: LedgerSnapshot) -> tuple[object, ...]:
    """What a policy change moves: caps, thresholds, zone (equal values, however they were parsed)."""
    p = snapshot.policy
    return (p.daily_cap_nanos, p.monthly_cap_nanos, p.soft_cap_percent, p.degrade_percent, p.timezone)
