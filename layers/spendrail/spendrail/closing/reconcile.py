"""Reconciliation: the ledger's spend against what OpenRouter billed, once per run (docs/windows.md says why so).

A period runs from the baseline (OpenRouter's all-time usage of the key and the ledger's all-time total over every
tenant, both at the last reconciliation) to now. `billed` is how much OpenRouter's usage grew, `counted` how much
the ledger's total grew, `drift` = counted - billed, and the tolerance is the larger of a fixed amount and a
percentage of the period's spend. Then:

1. |drift| <= tolerance ("agreed"): the bill matches the ledger with its doubt, so the money in doubt was billed:
   confirmed (each tenant's doubt -> 0, spend stays).
2. drift is the doubt or more, within the tolerance ("given_back"): the ledger counted the whole doubt more than
   was billed, so those charges were not billed: given back (spend and doubt go down by them, and the budget has
   that room again). A remainder beyond the tolerance is reported as in 4.
3. 0 < drift < the doubt ("partial"): some of the doubt was billed and some not, and which cannot be told: it all
   stays in doubt, and nothing is reported (the difference is money already marked as unknown).
4. otherwise ("drift": OpenRouter billed more than the ledger counted, or the ledger counted more than the bill
   and there is no doubt to explain it): `reconciliation_drift` to the operator, once per UTC day.

Doubt is resolved per tenant only if it is still exactly what was read and no reclaimed hold can still be
corrected by a late settle (its tombstone lasts an hour): such a tenant waits for a later run. The baseline then
moves to now (less what was given back), conditional on no other run having moved it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal

from aws_lambda_powertools import Logger

from spendrail.alerts.model import OPERATOR, Alert, AlertKind
from spendrail.alerts.port import AlertOutbox
from spendrail.closing.port import ProviderAccount
from spendrail.errors import ProviderAccountError
from spendrail.ledger.upkeep import Baseline, LedgerUpkeep
from spendrail.money import nanos_to_usd, usd_to_nanos

logger = Logger(child=True)  # a child of the handler's Powertools Logger: JSON, with the request's keys


@dataclass(frozen=True)
class Tolerance:
    usd: Decimal = Decimal("0.01")
    percent: Decimal = Decimal(1)

    def of(self, billed: int, counted: int) -> int:
        relative = math.ceil(Decimal(max(billed, counted, 0)) * self.percent / 100)
        return max(usd_to_nanos(self.usd), relative)


@dataclass(frozen=True)
class Reconciliation:
    outcome: str  # baseline | agreed | given_back | partial | drift | skipped | unavailable
    billed: int = 0
    counted: int = 0
    drift: int = 0
    in_doubt: int = 0
    resolved: int = 0  # nano-USD in doubt confirmed or given back
    tenants_resolved: int = 0
    alert: Alert | None = field(default=None, compare=False)


class Reconciler:
    def __init__(
        self,
        upkeep: LedgerUpkeep,
        outbox: AlertOutbox,
        account: ProviderAccount,
        *,
        tolerance: Tolerance = Tolerance(),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._upkeep = upkeep
        self._outbox = outbox
        self._account = account
        self._tolerance = tolerance
        self._clock = clock

    def __call__(self) -> Reconciliation:
        try:
            usage = self._account.usage_nanos()
        except ProviderAccountError as exc:
            logger.warning("OpenRouter's usage is unavailable; reconciliation waits a run", extra={"error": str(exc)})
            return Reconciliation("unavailable")
        totals = self._upkeep.spend_totals()
        base = self._upkeep.baseline()
        now = int(self._clock().timestamp())
        if base is None:
            moved = self._upkeep.move_baseline(None, Baseline(usage, totals.spent, now))
            return Reconciliation("baseline" if moved else "skipped")
        billed, counted = usage - base.usage, totals.spent - base.ledger
        drift, doubt = counted - billed, totals.doubt
        tolerance = self._tolerance.of(billed, counted)
        # What the doubt does not explain (whether or not each tenant's doubt can be resolved yet) is reported.
        if abs(drift) <= tolerance:
            outcome, give_back, unexplained = "agreed", False, 0
        elif doubt and drift >= doubt - tolerance:
            outcome, give_back, unexplained = "given_back", True, drift - doubt
        elif 0 < drift < doubt:
            outcome, give_back, unexplained = "partial", None, 0
        else:
            outcome, give_back, unexplained = "drift", None, drift
        resolved = tenants = 0
        if give_back is not None:
            for tenant_id, amount in totals.in_doubt.items():
                if self._upkeep.resolve_doubt(tenant_id, amount, give_back=give_back):
                    resolved, tenants = resolved + amount, tenants + 1
        given = resolved if give_back else 0
        if not self._upkeep.move_baseline(base, Baseline(usage, totals.spent - given, now)):
            return Reconciliation("skipped")
        result = Reconciliation(outcome, billed, counted, drift, doubt, resolved, tenants)
        if abs(unexplained) > tolerance:
            result = self._report(result, base, now, unexplained)
        logger.info("reconciled", extra={"outcome": outcome, "drift_nanos": drift, "resolved_nanos": resolved})
        return result

    def _report(self, result: Reconciliation, base: Baseline, now: int, drift: int) -> Reconciliation:
        """Tell the operator (once per UTC day): the amounts, and the period they are for."""
        day = datetime.fromtimestamp(now, UTC)

        def usd(nanos: int) -> str:
            return format(nanos_to_usd(nanos).normalize(), "f")

        extra = {
            "ledgerUsd": usd(result.counted),
            "openrouterUsd": usd(result.billed),
            "driftUsd": usd(drift),
            "inDoubtUsd": usd(result.in_doubt),
            "periodStart": datetime.fromtimestamp(base.at, UTC).isoformat(),
            "periodEnd": day.isoformat(),
        }
        kind = AlertKind.RECONCILIATION_DRIFT
        alert = Alert(kind, OPERATOR, "daily", day.date().isoformat(), result.counted, result.billed, now, "UTC", extra)
        self._outbox.claim_operator_alert(alert)
        logger.warning("spend drift", extra={"drift_nanos": drift, "alert_id": alert.alert_id})
        return replace(result, alert=alert)
