"""The budget ledger on DynamoDB: one item per tenant holds both windows, so one conditional write decides.

Every write is conditional on what it assumes, so a replayed write (a retry after a lost response) fails its
condition instead of counting twice; only then is the item read to tell a replay from a refusal. The item's
layout is in `codec`, the writes in `updates`, rolls in `rolls`, expired holds in `reclaim`, crossings in
`crossings`, the alerts' outbox in `outbox`, policy changes that reopen a window in `reopen`, history in `history`,
budget events in `events`, the scheduled run's side in `dynamodb_upkeep`.
(Over 250 lines: the port's operations and their retry rounds share the instance's memory of each tenant, so they
stay together; every piece that stands alone lives beside this module.)
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger

from spendrail.alerts.model import Alert
from spendrail.dynamo.call import ConditionFailed, DynamoCall, StoreErrors
from spendrail.errors import (
    LedgerConflictError,
    LedgerMisconfiguredError,
    LedgerThrottledError,
    LedgerUnavailableError,
)
from spendrail.ledger import events as event_log
from spendrail.ledger import history, reclaim, reopen, rolls, updates
from spendrail.ledger.codec import WINDOWS, Item, Known
from spendrail.ledger.crossings import announce
from spendrail.ledger.dynamodb_upkeep import DynamoDBUpkeep
from spendrail.ledger.events import LedgerEvent
from spendrail.ledger.model import (
    DEFAULT_HOLD_TTL_SECONDS,
    Crossing,
    Hold,
    LedgerSnapshot,
    PolicyChange,
    ReclaimReport,
    Refusal,
    ReserveResult,
    SettleResult,
    WindowName,
    busy_retry_after,
    check_amount,
    check_settle,
)
from spendrail.ledger.summary import WindowSummary
from spendrail.ledger.table import HOLD_FLAG_INDEX, LedgerTable
from spendrail.policy import BudgetPolicy, validate_tenant_id
from spendrail.state import Level
from spendrail.windows import WindowKeys, window_keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = ["HOLD_FLAG_INDEX", "DynamoDBLedger"]

logger = Logger(child=True)  # a child of the handler's Powertools Logger: JSON, with the request's keys

LEDGER_ERRORS = StoreErrors(LedgerThrottledError, LedgerUnavailableError, LedgerMisconfiguredError)
_MAX_ROUNDS = 8


def _utcnow() -> datetime:
    return datetime.now(UTC)


class DynamoDBLedger:
    """BudgetLedger on a DynamoDB table (see template.yaml's BudgetTable)."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        hold_ttl_seconds: int = DEFAULT_HOLD_TTL_SECONDS,
        clock: Callable[[], datetime] = _utcnow,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 5,
        base_backoff_seconds: float = 0.025,
        op_budget_seconds: float = 2.5,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        call = DynamoCall(
            client,
            name="budget table",
            errors=LEDGER_ERRORS,
            max_attempts=max_attempts,
            base_backoff_seconds=base_backoff_seconds,
            op_budget_seconds=op_budget_seconds,
            sleep=sleep,
            monotonic=monotonic,
        )
        self._table = LedgerTable(call, table_name)
        self._hold_ttl = hold_ttl_seconds
        self._clock = clock
        self._known: dict[str, Known] = {}
        self._upkeep = DynamoDBUpkeep(self._table, clock)

    def put_policy(self, tenant_id: str, policy: BudgetPolicy) -> LedgerSnapshot:
        return self.change_policy(tenant_id, policy).snapshot

    def change_policy(self, tenant_id: str, policy: BudgetPolicy) -> PolicyChange:
        validate_tenant_id(tenant_id)
        now = self._clock()
        fresh = Item.fresh(tenant_id, policy, uuid.uuid4().hex, window_keys(now, policy.timezone))
        try:
            self._table.create(fresh)
            self._known.pop(tenant_id, None)
            return PolicyChange(fresh.snapshot(), created=True)
        except ConditionFailed:
            pass
        item = self._read(tenant_id)
        for _ in range(_MAX_ROUNDS):
            ver = uuid.uuid4().hex
            keys = window_keys(now, item.policy.timezone).later(item.keys)
            update, alerts = reopen.change_update(item, policy, keys, ver, int(now.timestamp()))
            try:
                item = self._table.update(tenant_id, update)
            except ConditionFailed:
                item = self._read(tenant_id)
                if item.policy_ver != ver:
                    continue
                # Applied, its answer lost and the retry refused: the item carries our version and our alerts.
            self._known.pop(tenant_id, None)
            return PolicyChange(item.as_of(window_keys(now, policy.timezone)).snapshot(), alerts)
        raise LedgerConflictError(f"policy of tenant {tenant_id!r} kept changing under concurrent writers")

    def reserve(
        self, tenant_id: str, amount: int, *, hold_id: str | None = None, claim_stop: bool = True
    ) -> ReserveResult:
        validate_tenant_id(tenant_id)
        check_amount(amount, "hold amount")
        hold_id = hold_id or uuid.uuid4().hex
        now = self._clock()
        expires_at = int(now.timestamp()) + self._hold_ttl
        if tenant_id not in self._known:
            self._read(tenant_id)
        reclaimed: Item | None = None  # the item after this request charged expired holds in doubt
        reset: tuple[Alert, ...] = ()  # budget resets this request's roll claimed
        for _ in range(_MAX_ROUNDS):
            known = self._known[tenant_id]
            keys = window_keys(now, known.policy.timezone).later(known.keys)
            hold = Hold(tenant_id, hold_id, amount, keys, expires_at)
            try:
                update = updates.reserve_update(hold, known.ver)
                attrs = self._table.write(tenant_id, update, "UPDATED_NEW", old_on_failure=True)["Attributes"]
            except ConditionFailed as failed:
                old = self._table.failed_item(failed)  # DynamoDB sends the item with the failure: no GetItem
            else:
                view = Item.from_write(known, tenant_id, keys, attrs, ("held", "room"))
                self._known[tenant_id] = replace(known, keys=keys, quiet=view is not None and view.quiet())
                # Thresholds the reclaimed charges crossed are announced like any other.
                crossings = self._announce(reclaimed, hold_id) if reclaimed else ()
                snapshot = (view or self._read(tenant_id).as_of(keys)).snapshot()
                return ReserveResult(hold, snapshot, crossings, alerts=reset + _alerts(crossings))
            item = self._remember(old) if old is not None else self._read(tenant_id)
            if hold_id in item.holds:  # our own earlier attempt was applied: a replay, not a second hold
                stored = item.stored(hold_id)
                view = item.as_of(stored.hold.windows)
                crossings = self._announce(view, hold_id)
                return ReserveResult(stored.hold, view.snapshot(), crossings, replayed=True, alerts=_alerts(crossings))
            keys = window_keys(now, item.policy.timezone).later(item.keys)
            if keys != item.keys:
                reset += self._roll(item, keys)
                continue
            try:
                # Expired holds in the way are charged in doubt by this request, all in one write; no sweep needed.
                after = reclaim.reclaim_expired(self._table, item, int(now.timestamp()))
            except ConditionFailed:
                continue  # the item changed under us: decide again
            if after is not None:
                item = reclaimed = self._remember(after)
                if reclaim.expired(item, int(now.timestamp())):
                    continue  # more than one batch had expired
            if all(item.win[w].room >= amount for w, _ in WINDOWS):
                continue  # room came back between our write and the read: try again
            refused = self._refuse(item, amount, hold_id, int(now.timestamp()), claim_stop)
            return replace(refused, alerts=reset + refused.alerts)
        item = self._read(tenant_id)
        view = item.as_of(window_keys(now, item.policy.timezone))
        wait = busy_retry_after(item.open_holds(), view.keys, int(now.timestamp()))
        return ReserveResult(None, view.snapshot(), (), Refusal.BUSY, retry_after=wait, alerts=reset)

    def settle(
        self, hold: Hold, actual: int, *, saved: int = 0, in_doubt: int = 0, downgraded: bool = False
    ) -> SettleResult:
        check_settle(actual, saved, in_doubt)
        return self._close(hold, actual, saved, in_doubt, downgraded)

    def release(self, hold: Hold) -> SettleResult:
        return self._close(hold, 0, 0, 0, False)

    def record_savings(self, tenant_id: str, saved: int) -> LedgerSnapshot:
        """Count an answer served from cache in both current windows (one write; never counted twice)."""
        validate_tenant_id(tenant_id)
        check_amount(saved, "saved amount")
        if tenant_id not in self._known:
            self._read(tenant_id)
        for _ in range(_MAX_ROUNDS):
            known = self._known[tenant_id]
            keys = window_keys(self._clock(), known.policy.timezone).later(known.keys)
            try:
                # Not replay-safe, so never resent after a lost response: savings may go uncounted, never double.
                item = self._table.update(tenant_id, updates.savings_update(saved, keys), replay_safe=False)
                return self._remember(item).snapshot()
            except ConditionFailed:
                item = self._read(tenant_id)
                if keys > item.keys:
                    self._roll(item, keys)
        raise LedgerConflictError(f"savings of tenant {tenant_id!r} could not be recorded under concurrent writers")

    def snapshot(self, tenant_id: str) -> LedgerSnapshot:
        validate_tenant_id(tenant_id)
        item = self._read(tenant_id)
        return item.as_of(window_keys(self._clock(), item.policy.timezone)).snapshot()

    def reclaim_stale_holds(self) -> ReclaimReport:
        """Sweep the tenants flagged for it (a sparse index, not a table scan): what the scheduled run does to each,
        without projections or delivery (alerts stay in the outbox)."""
        return self._upkeep.sweep_all()

    def upkeep(self) -> DynamoDBUpkeep:
        """The scheduled run's side of this ledger (spendrail.ledger.upkeep.LedgerUpkeep)."""
        return self._upkeep

    def history(self, tenant_id: str, window: WindowName = "daily", limit: int = 30) -> list[WindowSummary]:
        """The last `limit` closed windows' summaries, newest first (also those the scheduled run has not written)."""
        validate_tenant_id(tenant_id)
        item = self._read(tenant_id)
        return history.read(self._table, item, window_keys(self._clock(), item.policy.timezone), window, limit)

    def events(self, tenant_id: str, limit: int = 50) -> list[LedgerEvent]:
        """The tenant's last `limit` alerts, newest first (`BudgetEvents`): published ones and those still waiting."""
        validate_tenant_id(tenant_id)
        return event_log.read(self._table, self._read(tenant_id), int(self._clock().timestamp()), limit)

    # ---- the alerts' outbox (spendrail.alerts.port.AlertOutbox) -----------------------------------------------

    def ack(self, alert: Alert) -> None:
        self._upkeep.ack(alert)

    def claim_operator_alert(self, alert: Alert) -> bool:
        return self._upkeep.claim_operator_alert(alert)

    def pending_alerts(self, tenant_id: str) -> tuple[Alert, ...]:
        return self._upkeep.pending_alerts(tenant_id)

    # ---- internals --------------------------------------------------------------------------------------------

    def _refuse(self, item: Item, amount: int, hold_id: str, now: int, claim_stop: bool = True) -> ReserveResult:
        """EXHAUSTED if settled spend leaves no room, else BUSY with when the first hold in the way expires. A hard
        stop is claimed only with `claim_stop` (not for an amount with an optional part the caller will drop)."""
        short = tuple(w for w, _ in WINDOWS if item.win[w].cap - item.win[w].spent < amount)
        crossings = self._announce(item, hold_id, stopped=short if claim_stop else ())
        if short:
            return ReserveResult(None, item.snapshot(), crossings, Refusal.EXHAUSTED, alerts=_alerts(crossings))
        wait = busy_retry_after(item.open_holds(), item.keys, now)
        return ReserveResult(
            None, item.snapshot(), crossings, Refusal.BUSY, retry_after=wait, alerts=_alerts(crossings)
        )

    def _close(self, hold: Hold, actual: int, saved: int, in_doubt: int, downgraded: bool) -> SettleResult:
        """The common case in one write: the hold is open and no window rolled while the call ran."""
        validate_tenant_id(hold.tenant_id)
        known = self._known.get(hold.tenant_id)
        if known is None:  # another instance took the hold
            self._read(hold.tenant_id)
            known = self._known[hold.tenant_id]
        now = int(self._clock().timestamp())
        # Below every threshold when last seen, and settling no more than held: unless other requests' spend carried
        # the tenant past one meanwhile (then the answer shows it, and the item is read), no claim is due.
        levels = not (known.quiet and actual <= hold.amount)
        update, overshoot = updates.settle_update(
            hold, known.ver, actual, saved, in_doubt, downgraded=downgraded, now=now, levels=levels
        )
        try:
            attrs = self._table.write(hold.tenant_id, update, "UPDATED_NEW")["Attributes"]
        except ConditionFailed:
            return self._close_after_read(hold, actual, saved, in_doubt, downgraded)
        needed = ("spent", "held", "room", "doubt") + ("alert", "ep") * levels
        item = Item.from_write(known, hold.tenant_id, hold.windows, attrs, needed)
        if item is not None and not levels and not all(item.level(w) == Level.ACTIVE for w, _ in WINDOWS):
            item = None  # past a threshold: the claim needs the announced level and the episode
        item = item or self._read(hold.tenant_id).as_of(hold.windows)
        self._known[hold.tenant_id] = replace(self._known[hold.tenant_id], quiet=item.quiet())
        self._log_overshoot(hold, overshoot)
        crossings = self._announce(item, hold.hold_id)
        return SettleResult(item.snapshot(), crossings, overshoot, alerts=_alerts(crossings))

    def _close_after_read(self, hold: Hold, actual: int, saved: int, in_doubt: int, downgraded: bool) -> SettleResult:
        """Every other case, decided on a fresh read: a replay, a reclaimed hold, a window that rolled."""
        for _ in range(_MAX_ROUNDS):
            item = self._read(hold.tenant_id)
            if hold.hold_id not in item.holds:  # already closed: a replay must not count again
                view = item.as_of(window_keys(self._clock(), item.policy.timezone))
                crossings = self._announce(view, hold.hold_id)
                return SettleResult(view.snapshot(), crossings, 0, applied=False, alerts=_alerts(crossings))
            stored = item.stored(hold.hold_id)
            now = int(self._clock().timestamp())
            update, overshoot = updates.close_update(
                stored, actual, item.keys, item.prev_keys, saved, in_doubt, downgraded=downgraded, now=now
            )
            try:
                item = self._remember(self._table.update(hold.tenant_id, update))
            except ConditionFailed:
                continue
            self._log_overshoot(hold, overshoot)
            crossings = self._announce(item, hold.hold_id)
            return SettleResult(item.snapshot(), crossings, overshoot, alerts=_alerts(crossings))
        raise LedgerConflictError(f"hold {hold.hold_id!r} could not be closed under concurrent writers")

    @staticmethod
    def _log_overshoot(hold: Hold, overshoot: int) -> None:
        if overshoot:
            logger.warning(
                "provider cost exceeded the hold",
                extra={"tenant_id": hold.tenant_id, "hold_id": hold.hold_id, "overshoot_nanos": overshoot},
            )

    def _roll(self, item: Item, keys: WindowKeys) -> tuple[Alert, ...]:
        """Roll to `keys`; the budget resets this roll claimed (none if another writer rolled first)."""
        rolled = rolls.roll(self._table, item, keys, int(self._clock().timestamp()))
        return rolled[1] if rolled else ()

    def _announce(self, item: Item, by: str, stopped: tuple[str, ...] = ()) -> tuple[Crossing, ...]:
        return announce(self._table, item, by, int(self._clock().timestamp()), stopped)

    def _read(self, tenant_id: str) -> Item:
        return self._remember(self._table.read(tenant_id))

    def _remember(self, item: Item) -> Item:
        self._known[item.tenant_id] = Known(item.policy, item.policy_ver, item.keys, item.quiet())
        return item


def _alerts(crossings: tuple[Crossing, ...]) -> tuple[Alert, ...]:
    return tuple(c.alert for c in crossings)
