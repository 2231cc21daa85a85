"""The budget ledger interface the domain talks to; DynamoDB and in-memory implementations follow it."""

from __future__ import annotations

from typing import Protocol

from spendrail.ledger.events import LedgerEvent
from spendrail.ledger.model import (
    Hold,
    LedgerSnapshot,
    PolicyChange,
    ReclaimReport,
    ReserveResult,
    SettleResult,
    WindowName,
)
from spendrail.ledger.summary import WindowSummary
from spendrail.policy import BudgetPolicy


class BudgetLedger(Protocol):
    def put_policy(self, tenant_id: str, policy: BudgetPolicy) -> LedgerSnapshot:
        """Create the tenant's ledger, or change its policy; a cap change applies to the next request.

        The same as `change_policy(...).snapshot`: the alerts it records wait in the outbox for the scheduled run.
        """

    def change_policy(self, tenant_id: str, policy: BudgetPolicy) -> PolicyChange:
        """Create the tenant's ledger, or change its policy, and say which alerts that recorded.

        A window whose new caps or thresholds put its level below the level already announced in it reopens: the
        announced level comes down to the new one (later crossings are announced again) and `budget_reset` is
        recorded in the outbox by the same conditional write, once per window however many PUTs race. A window
        that has ended is left to the roll, which records its reset as every midnight.
        """

    def reserve(
        self, tenant_id: str, amount: int, *, hold_id: str | None = None, claim_stop: bool = True
    ) -> ReserveResult:
        """Hold `amount` nano-USD in both windows, or refuse (BUSY with `retry_after`). Idempotent per hold id.

        Expired holds standing in the way are reclaimed first, as `reclaim_stale_holds` would.
        """

    def settle(
        self, hold: Hold, actual: int, *, saved: int = 0, in_doubt: int = 0, downgraded: bool = False
    ) -> SettleResult:
        """Record the real cost (and what a cache hit saved); give back the rest of the hold. Idempotent per hold.

        `in_doubt` (at most `actual`) is the part of `actual` charged without knowing the real cost, such as the
        hold of a call that timed out after it was sent. A settle for a hold already reclaimed (charged in doubt)
        puts `actual` in place of that charge. `downgraded`: the request was routed to a cheaper model than its use
        case gets with a healthy budget (counted for the history). Every crossing it claims comes with its alert,
        recorded in the outbox by the same write (`SettleResult.alerts`).
        """

    def record_savings(self, tenant_id: str, saved: int) -> LedgerSnapshot:
        """Count what an answer served from the cache, with no hold, would have cost; returns the windows."""

    def release(self, hold: Hold) -> SettleResult:
        """Return the whole hold (the call failed and cost nothing). Idempotent per hold."""

    def snapshot(self, tenant_id: str) -> LedgerSnapshot:
        """The tenant's windows as of now (a window past its end reads as a fresh one)."""

    def reclaim_stale_holds(self) -> ReclaimReport:
        """Charge the expired holds of requests that died between reserve and settle, as spent and in doubt.

        Such a request most likely reached the provider, so its hold is not given back: a late settle corrects it.
        """


class BudgetHistory(Protocol):
    def history(self, tenant_id: str, window: WindowName = "daily", limit: int = 30) -> list[WindowSummary]:
        """The last `limit` closed windows' summaries (spend, requests, cache hits, savings, downgrades, highest
        state, in doubt), newest first, including those the scheduled run has not written yet."""


class BudgetEvents(Protocol):
    def events(self, tenant_id: str, limit: int = 50) -> list[LedgerEvent]:
        """The tenant's last `limit` alerts (crossings, resets, projections), newest first, from the last 60 days:
        those published (recorded when acknowledged) and those still waiting in the outbox (`delivered=False`)."""
