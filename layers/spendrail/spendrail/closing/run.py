"""The scheduled windows run, every 5 minutes: bounded work, idempotent, and never needed for admission.

(a) close: every tenant whose local day has ended (the roll index) is reviewed: its windows rolled by the same
conditional write a request would use, so whichever comes first closes a window, once; (b) sweep: every tenant
flagged for it (holds, alerts in the outbox, a summary to write) is reviewed the same way; each review also
reclaims expired holds, claims crossings nobody claimed, writes ready history summaries, projects exhaustion and
delivers the tenant's outbox, then takes the tenant out of the sweep index if nothing is left; (c) reconcile once
against OpenRouter's usage; then the operator's own outbox. Each phase stops when its share of the time is used
(the deadline from the function's remaining time): what is left is still in the indexes and the next run goes on
from there. Tenants are worked on by a bounded thread pool.
"""

from __future__ import annotations

import contextvars
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from spendrail.alerts.model import OPERATOR, Alert
from spendrail.closing import projection
from spendrail.closing.reconcile import Reconciler, Reconciliation
from spendrail.deadline import Deadline
from spendrail.errors import SpendrailError
from spendrail.ledger.model import delivery_order
from spendrail.ledger.upkeep import LedgerUpkeep, Review

logger = Logger(child=True)  # a child of the handler's Powertools Logger: JSON, with the request's keys

CLOSE_SHARE = 0.6  # phase (a) may use this share of the run's time; the sweep goes on until RECONCILE_SECONDS
RECONCILE_SECONDS = 5.0  # kept for the reconciliation and the operator's alerts
OPERATOR_MARKER_DAYS = 3  # operator alerts' once-markers are kept this long (hourly and daily ids)


class Publisher(Protocol):
    def publish(self, alert: Alert) -> bool:
        """Publish and acknowledge one alert; False if it stays in the outbox (spendrail.alerts.delivery)."""


@dataclass
class RunReport:
    windows_closed: int = 0  # tenants whose windows this run rolled (the request path had not)
    tenants_reviewed: int = 0
    tenants_left_index: int = 0
    summaries_written: int = 0
    alerts_claimed: int = 0  # by this run: crossings nobody claimed, budget resets, projections
    projections: int = 0
    alerts_published: int = 0
    alerts_failed: int = 0
    holds_reclaimed: int = 0
    nanos_in_doubt: int = 0
    tenant_errors: int = 0  # tenants left for the next run after a store error
    deferred: list[str] = field(default_factory=list)  # phases cut short by the deadline
    reconciliation: Reconciliation | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.reconciliation is not None:
            data["reconciliation"] = {k: v for k, v in data["reconciliation"].items() if k != "alert"}
        return data


class WindowsRun:
    def __init__(
        self,
        upkeep: LedgerUpkeep,
        delivery: Publisher,
        *,
        reconciler: Reconciler | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        workers: int = 16,
    ) -> None:
        self._upkeep = upkeep
        self._delivery = delivery
        self._reconciler = reconciler
        self._clock = clock
        self._workers = workers
        self._lock = threading.Lock()

    def __call__(self, deadline: Deadline) -> RunReport:
        report = RunReport()
        by = f"run:{uuid.uuid4().hex}"
        done: set[str] = set()
        now = self._clock()
        total = deadline.remaining()
        closing = deadline.sooner(total * CLOSE_SHARE)
        sweeping = deadline.sooner(total, keep=RECONCILE_SECONDS)
        with deadline.applied():
            if not self._phase(self._upkeep.tenants_due(now), closing, by, done, report):
                report.deferred.append("close")
            if not self._phase(self._upkeep.tenants_flagged(), sweeping, by, done, report):
                report.deferred.append("sweep")
            if self._reconciler is not None and not deadline.expired():
                report.reconciliation = self._reconcile()
            if not deadline.expired():
                self._operator(report)
        logger.info("windows run", extra={"report": report.as_dict()})
        return report

    def _phase(self, tenants: Iterator[str], until: Deadline, by: str, done: set[str], report: RunReport) -> bool:
        """Review the tenants until `until`; True if every one was reached."""
        complete = True
        with ThreadPoolExecutor(self._workers, thread_name_prefix="windows") as pool:
            running: set[Future[None]] = set()
            try:
                for tenant_id in tenants:
                    if tenant_id in done:
                        continue
                    if until.expired():
                        complete = False
                        break
                    done.add(tenant_id)
                    context = contextvars.copy_context()  # the deadline reaches the store calls in the worker
                    running.add(pool.submit(context.run, self._tend, tenant_id, by, report))
                    if len(running) >= self._workers:
                        finished, running = wait(running, return_when=FIRST_COMPLETED)
                        _check(finished)
            except SpendrailError as exc:  # the index could not be read: the next run starts it again
                logger.warning("index query failed", extra={"error": str(exc)})
                complete = False
            _check(wait(running).done)
        return complete

    def _tend(self, tenant_id: str, by: str, report: RunReport) -> None:
        try:
            review = self._upkeep.review(tenant_id, by=by)
            projected = [
                alert
                for alert in projection.alerts(review, self._clock())
                if self._upkeep.claim_projection(review, alert)
            ]
            pending = delivery_order({a.alert_id: a for a in (*review.pending, *projected)}.values())
            published = [self._delivery.publish(alert) for alert in pending]
            left = self._upkeep.finish(review, delivered=all(published))
        except SpendrailError as exc:
            logger.warning("tenant left for the next run", extra={"tenant_id": tenant_id, "error": str(exc)})
            with self._lock:
                report.tenant_errors += 1
            return
        self._count(report, review, projected, published, left)

    def _count(
        self, report: RunReport, review: Review, projected: list[Alert], published: list[bool], left: bool
    ) -> None:
        with self._lock:
            report.tenants_reviewed += 1
            report.windows_closed += int(review.rolled)
            report.tenants_left_index += int(left)
            report.summaries_written += len(review.summaries)
            report.alerts_claimed += len(review.claimed) + len(projected)
            report.projections += len(projected)
            report.alerts_published += sum(published)
            report.alerts_failed += len(published) - sum(published)
            report.holds_reclaimed += review.holds_reclaimed
            report.nanos_in_doubt += review.nanos_in_doubt

    def _reconcile(self) -> Reconciliation:
        assert self._reconciler is not None
        try:
            return self._reconciler()
        except SpendrailError as exc:  # the totals could not be read: the next run compares over a longer period
            logger.warning("reconciliation left for the next run", extra={"error": str(exc)})
            return Reconciliation("unavailable")

    def _operator(self, report: RunReport) -> None:
        """The operator's outbox (provider credits, drift): delivered like a tenant's; old once-markers pruned."""
        try:
            for alert in self._upkeep.pending_alerts(OPERATOR):
                ok = self._delivery.publish(alert)
                report.alerts_published += int(ok)
                report.alerts_failed += int(not ok)
            self._upkeep.prune_operator(int(self._clock().timestamp()) - OPERATOR_MARKER_DAYS * 86_400)
        except SpendrailError as exc:
            logger.warning("operator alerts left for the next run", extra={"error": str(exc)})


def _check(finished: set[Future[None]]) -> None:
    """Re-raise what a worker raised that is not a store's error: a bug must not pass as a slow run."""
    for future in finished:
        future.result()
