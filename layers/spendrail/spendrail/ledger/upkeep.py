"""What the scheduled run asks of the ledger (`LedgerUpkeep`), and the values it gets back.

Both ledgers implement it (`DynamoDBLedger.upkeep()`, `InMemoryLedger.upkeep()`); the run itself
(`spendrail.closing`) decides what to do with them: project exhaustion, deliver alerts, reconcile.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from spendrail.alerts.model import Alert
from spendrail.ledger.model import Crossing, LedgerSnapshot, ReclaimReport
from spendrail.ledger.summary import WindowSummary


@dataclass(frozen=True)
class Review:
    """One tenant as a sweep found and left it: what it did, and what the run decides on."""

    tenant_id: str
    snapshot: LedgerSnapshot  # the current windows, after any roll and reclaim
    recent: dict[int, int]  # spend per 5-minute slot (slot start, epoch s -> nano-USD), the burn rate's input
    projected: frozenset[str]  # windows ("daily", "monthly") whose projected exhaustion was claimed already
    pending: tuple[Alert, ...]  # the outbox, in delivery order (what this review claimed included)
    claimed: tuple[Alert, ...] = ()  # what this review claimed: crossings nobody claimed, budget resets
    crossings: tuple[Crossing, ...] = ()
    rolled: bool = False  # this review closed a window (the request path had not)
    holds_reclaimed: int = 0
    nanos_in_doubt: int = 0
    tombstones_removed: int = 0
    summaries: tuple[WindowSummary, ...] = ()  # history written by this review
    waiting: bool = False  # a summary waits for a hold of its window still in flight
    basis: object = field(default=None, compare=False, repr=False)  # the store's own record of what it read


@dataclass(frozen=True)
class SpendTotals:
    """All-time spend over every tenant, and the tenants with money still in doubt (reconciliation's input)."""

    spent: int
    in_doubt: dict[str, int]  # tenant -> nano-USD in doubt (only tenants with some)
    tenants: int

    @property
    def doubt(self) -> int:
        return sum(self.in_doubt.values())


@dataclass(frozen=True)
class Baseline:
    """Where the last reconciliation left off: OpenRouter's usage and the ledger's total at that moment."""

    usage: int  # nano-USD OpenRouter had billed the key, all time
    ledger: int  # nano-USD the ledger had counted, all tenants, all time
    at: int  # epoch s


class LedgerUpkeep(Protocol):
    def tenants_due(self, now: datetime) -> Iterator[str]:
        """Tenants whose day (in their zone) has ended by `now` and whose windows no one has rolled yet."""

    def tenants_flagged(self) -> Iterator[str]:
        """Tenants that need a sweep: holds, alerts in the outbox, a summary to write, a crossing to check."""

    def review(self, tenant_id: str, *, by: str) -> Review:
        """Roll ended windows, reclaim expired holds, claim crossings nobody claimed, write ready summaries."""

    def claim_projection(self, review: Review, alert: Alert) -> bool:
        """Record a projected exhaustion in the outbox, once per window; False if it was claimed before."""

    def finish(self, review: Review, *, delivered: bool) -> bool:
        """Prune old burn-rate slots and the summaries' marks; take the tenant out of the sweep index if nothing is
        pending (`delivered`: every alert in the outbox was published). True if it left the index."""

    def pending_alerts(self, tenant_id: str) -> tuple[Alert, ...]:
        """The outbox of a tenant (or of the operator), in delivery order."""

    def prune_operator(self, before: int) -> None:
        """Forget operator alerts' once-markers claimed before `before` (epoch s)."""

    def spend_totals(self) -> SpendTotals:
        """Sum every tenant's all-time spend (from the roll index's keys, no scan)."""

    def baseline(self) -> Baseline | None:
        """The last reconciliation's baseline; None before the first."""

    def move_baseline(self, old: Baseline | None, new: Baseline) -> bool:
        """Replace the baseline if it is still `old` (one run per period); False if another run moved it."""

    def resolve_doubt(self, tenant_id: str, amount: int, *, give_back: bool) -> bool:
        """Settle a tenant's `amount` in doubt: confirmed (doubt -> 0, spend stays) or given back (spend and doubt
        go down by it). Only if it is still exactly `amount` and no reclaimed hold can still be corrected; False
        otherwise (left for a later run)."""


def sweep(upkeep: LedgerUpkeep) -> ReclaimReport:
    """Every flagged tenant reviewed and finished, without projections or delivery (alerts stay in the outbox):
    `reclaim_stale_holds`, for callers that do not run the whole scheduled run."""
    report = ReclaimReport()
    for tenant_id in list(upkeep.tenants_flagged()):
        review = upkeep.review(tenant_id, by=f"sweep:{uuid.uuid4().hex}")
        upkeep.finish(review, delivered=not review.pending)
        report = ReclaimReport(
            report.tenants_checked + 1,
            report.holds_reclaimed + review.holds_reclaimed,
            report.nanos_in_doubt + review.nanos_in_doubt,
            report.tombstones_removed + review.tombstones_removed,
            report.crossings + review.crossings,
            report.alerts + review.claimed,
        )
    return report
