"""The chat path's side of the ledger: route by budget state, hold the worst case, settle what it really cost.

Routing needs the tenant's state before the reserve that reports it afresh, so the state each tenant was last seen
in is remembered per instance; the reserve's answer then refines the route as far as the hold already covers it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aws_lambda_powertools import Logger

from spendrail.alerts.model import Alert
from spendrail.alerts.port import AlertSink
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
    ) -> None:
        self._ledger = ledger
        self._catalog = catalog
        self._alerts = alerts
        self._busy_wait = busy_wait_seconds
        self._clock = clock
        self._sleep = sleep
        self._last_state: dict[str, BudgetState] = {}

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
        fallback_message: Callable[[], str],
    ) -> Admitted:
        """Hold `extra` plus the worst case of the route the budget state calls for; wait out holds in flight."""
        state = self._last_state.get(tenant.tenant_id, BudgetState.ACTIVE)
        if state is BudgetState.STOPPED:
            state = BudgetState.DEGRADED  # the window may have reset since: ask the ledger
        waiting = deadline.sooner(self._busy_wait)
        pause = _FIRST_PAUSE_SECONDS
        while True:
            chosen = route(self._catalog, use_case, state)
            amount = extra + worst_case_nanos(self._catalog, chosen.candidates, texts, max_tokens)
            result = self._ledger.reserve(tenant.tenant_id, amount, hold_id=request_id)
            self._announce(result.alerts, deadline)  # a hard stop is claimed by a refusal: told before the 429
            fresh = result.state
            self._last_state[tenant.tenant_id] = fresh
            if result.hold is not None:
                better = self._refine(chosen, fresh, use_case, texts, max_tokens, amount - extra)
                return Admitted(better, result, result.hold)
            if result.refusal is Refusal.EXHAUSTED:
                if state is not BudgetState.DEGRADED:
                    state = BudgetState.DEGRADED  # the cheapest model may still fit what is left
                    continue
                snapshot = result.snapshot
                raise BudgetExceededError(snapshot, self.retry_after(snapshot), fallback_message())
            if fresh is not BudgetState.STOPPED and fresh.level > state.level:
                state = fresh
            if waiting.remaining() < pause:
                raise BudgetBusyError(retry_after=result.retry_after or 1)
            self._sleep(pause)  # backing off while holds in flight settle; not test synchronization
            pause = min(pause * 2, _LONGEST_PAUSE_SECONDS)

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
        self, chosen: Route, fresh: BudgetState, use_case: str, texts: Sequence[str], max_tokens: int, amount: int
    ) -> Route:
        """Follow the state the reserve reported, as far as the hold already taken covers it."""
        if fresh is chosen.state or fresh is BudgetState.STOPPED:
            return chosen
        better = route(self._catalog, use_case, fresh)
        needed = worst_case_nanos(self._catalog, better.candidates, texts, max_tokens)
        return better if needed <= amount else chosen
