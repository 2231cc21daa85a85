"""The budget ledger on DynamoDB: one item per tenant holds both windows, so one conditional write decides.

Every write is conditional on what it assumes, so a replayed write (a retry after a lost response) fails its
condition instead of counting twice; only then is the item read to tell a replay from a refusal. The item's
layout is in `codec`, the writes in `updates`, expired holds in `reclaim`, crossings in `crossings`.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from spendrail.dynamo.call import ConditionFailed, DynamoCall, StoreErrors
from spendrail.dynamo.expression import Update, n, s
from spendrail.errors import (
    LedgerConflictError,
    LedgerMisconfiguredError,
    LedgerThrottledError,
    LedgerUnavailableError,
)
from spendrail.ledger import reclaim
from spendrail.ledger.codec import WINDOWS, Item, Known, Window
from spendrail.ledger.crossings import announce
from spendrail.ledger.model import (
    Crossing,
    Hold,
    LedgerSnapshot,
    ReclaimReport,
    Refusal,
    ReserveResult,
    SettleResult,
    StoredHold,
    check_amount,
)
from spendrail.ledger.table import HOLD_FLAG_INDEX, LedgerTable
from spendrail.ledger.updates import close_update, policy_update, reserve_update, roll_update
from spendrail.policy import BudgetPolicy, validate_tenant_id
from spendrail.windows import WindowKeys, window_keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = ["HOLD_FLAG_INDEX", "DynamoDBLedger"]

logger = logging.getLogger(__name__)

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
        hold_ttl_seconds: int = 300,
        clock: Callable[[], datetime] = _utcnow,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 5,
        base_backoff_seconds: float = 0.025,
    ) -> None:
        call = DynamoCall(
            client,
            name="budget table",
            errors=LEDGER_ERRORS,
            max_attempts=max_attempts,
            base_backoff_seconds=base_backoff_seconds,
            sleep=sleep,
        )
        self._table = LedgerTable(call, table_name)
        self._hold_ttl = hold_ttl_seconds
        self._clock = clock
        self._known: dict[str, Known] = {}

    def put_policy(self, tenant_id: str, policy: BudgetPolicy) -> LedgerSnapshot:
        validate_tenant_id(tenant_id)
        keys = window_keys(self._clock(), policy.timezone)
        windows = {
            "d": Window.fresh(keys.day, policy.daily_cap_nanos),
            "m": Window.fresh(keys.month, policy.monthly_cap_nanos),
        }
        fresh = Item(tenant_id, policy, uuid.uuid4().hex, windows)
        try:
            self._table.create(fresh)
            self._known.pop(tenant_id, None)
            return fresh.snapshot()
        except ConditionFailed:
            pass
        for _ in range(_MAX_ROUNDS):
            try:
                item = self._update(tenant_id, policy_update(self._read(tenant_id), policy))
            except ConditionFailed:
                continue
            self._known.pop(tenant_id, None)
            return item.as_of(window_keys(self._clock(), policy.timezone)).snapshot()
        raise LedgerConflictError(f"policy of tenant {tenant_id!r} kept changing under concurrent writers")

    def reserve(self, tenant_id: str, amount: int, *, hold_id: str | None = None) -> ReserveResult:
        validate_tenant_id(tenant_id)
        check_amount(amount, "hold amount")
        hold_id = hold_id or uuid.uuid4().hex
        now = self._clock()
        expires_at = int(now.timestamp()) + self._hold_ttl
        if tenant_id not in self._known:
            self._read(tenant_id)
        for _ in range(_MAX_ROUNDS):
            known = self._known[tenant_id]
            keys = window_keys(now, known.policy.timezone).later(known.keys)
            hold = Hold(tenant_id, hold_id, amount, keys, expires_at)
            try:
                attrs = self._table.write(tenant_id, reserve_update(hold, known.ver), "UPDATED_NEW")["Attributes"]
            except ConditionFailed:
                pass
            else:
                self._known[tenant_id] = replace(known, keys=keys)
                view = Item.from_write(known, tenant_id, keys, attrs, ("held", "room"))
                return ReserveResult(hold, (view or self._read(tenant_id).as_of(keys)).snapshot())
            item = self._read(tenant_id)
            if hold_id in item.holds:  # our own earlier attempt was applied: a replay, not a second hold
                stored = item.stored(hold_id)
                view = item.as_of(stored.hold.windows)
                return ReserveResult(stored.hold, view.snapshot(), self._announce(view, hold_id), replayed=True)
            keys = window_keys(now, item.policy.timezone).later(item.keys)
            if keys != item.keys:
                self._roll(item, keys)
                continue
            if reclaim.reclaim_expired(self._table, item, int(now.timestamp())):
                continue
            if all(item.win[w].room >= amount for w, _ in WINDOWS):
                continue  # room came back between our write and the read: try again
            short = tuple(w for w, _ in WINDOWS if item.win[w].cap - item.win[w].spent < amount)
            refusal = Refusal.EXHAUSTED if short else Refusal.BUSY
            return ReserveResult(None, item.snapshot(), self._announce(item, hold_id, stopped=short), refusal)
        item = self._read(tenant_id)
        return ReserveResult(None, item.as_of(window_keys(now, item.policy.timezone)).snapshot(), (), Refusal.BUSY)

    def settle(self, hold: Hold, actual: int, *, saved: int = 0) -> SettleResult:
        check_amount(actual, "actual cost")
        check_amount(saved, "saved amount")
        return self._close(hold, actual, saved)

    def release(self, hold: Hold) -> SettleResult:
        return self._close(hold, 0, 0)

    def record_savings(self, tenant_id: str, saved: int) -> LedgerSnapshot:
        """Count an answer served from cache in both current windows (one write; never counted twice)."""
        validate_tenant_id(tenant_id)
        check_amount(saved, "saved amount")
        if tenant_id not in self._known:
            self._read(tenant_id)
        for _ in range(_MAX_ROUNDS):
            known = self._known[tenant_id]
            keys = window_keys(self._clock(), known.policy.timezone).later(known.keys)
            update = Update(
                adds=["d_saved :s", "m_saved :s"],
                conditions=["d_key = :dkey", "m_key = :mkey"],
                values={":s": n(saved), ":dkey": s(keys.day), ":mkey": s(keys.month)},
            )
            try:
                # Not replay-safe, so never resent after a lost response: savings may go uncounted, never double.
                return self._remember(self._table.update(tenant_id, update, replay_safe=False)).snapshot()
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
        """Sweep the tenants that may have holds (a sparse index, not a table scan) and reclaim expired ones."""
        return reclaim.sweep(self._table, int(self._clock().timestamp()))

    # ---- internals --------------------------------------------------------------------------------------------

    def _close(self, hold: Hold, actual: int, saved: int) -> SettleResult:
        """The common case in one write: the hold is open and no window rolled while the call ran."""
        validate_tenant_id(hold.tenant_id)
        known = self._known.get(hold.tenant_id)
        if known is None:  # another instance took the hold
            self._read(hold.tenant_id)
            known = self._known[hold.tenant_id]
        update, overshoot = close_update(StoredHold(hold, None), actual, hold.windows, hold.windows, None, saved)
        update.conditions.append("policy_ver = :pv")
        update.values |= {":pv": s(known.ver), ":zero": n(0)}
        # Adding zero changes nothing but makes UPDATED_NEW return the announced levels with the counters.
        update.sets += [f"{w}_alert = {w}_alert + :zero" for w, _ in WINDOWS]
        try:
            attrs = self._table.write(hold.tenant_id, update, "UPDATED_NEW")["Attributes"]
        except ConditionFailed:
            return self._close_after_read(hold, actual, saved)
        item = Item.from_write(known, hold.tenant_id, hold.windows, attrs, ("spent", "held", "room", "alert"))
        item = item or self._read(hold.tenant_id).as_of(hold.windows)
        self._log_overshoot(hold, overshoot)
        return SettleResult(item.snapshot(), self._announce(item, hold.hold_id), overshoot)

    def _close_after_read(self, hold: Hold, actual: int, saved: int) -> SettleResult:
        """Every other case, decided on a fresh read: a replay, a reclaimed hold, a window that rolled."""
        for _ in range(_MAX_ROUNDS):
            item = self._read(hold.tenant_id)
            if hold.hold_id not in item.holds:  # already closed: a replay must not count again
                view = item.as_of(window_keys(self._clock(), item.policy.timezone))
                return SettleResult(view.snapshot(), self._announce(view, hold.hold_id), 0, applied=False)
            update, overshoot = close_update(item.stored(hold.hold_id), actual, item.keys, item.prev_keys, None, saved)
            try:
                item = self._update(hold.tenant_id, update)
            except ConditionFailed:
                continue
            self._log_overshoot(hold, overshoot)
            return SettleResult(item.snapshot(), self._announce(item, hold.hold_id), overshoot)
        raise LedgerConflictError(f"hold {hold.hold_id!r} could not be closed under concurrent writers")

    @staticmethod
    def _log_overshoot(hold: Hold, overshoot: int) -> None:
        if overshoot:
            logger.warning(
                "provider cost exceeded the hold",
                extra={"tenant_id": hold.tenant_id, "hold_id": hold.hold_id, "overshoot_nanos": overshoot},
            )

    def _roll(self, item: Item, keys: WindowKeys) -> None:
        with contextlib.suppress(ConditionFailed):  # another request rolled it first
            self._table.write(item.tenant_id, roll_update(item, keys))

    def _announce(self, item: Item, by: str, stopped: tuple[str, ...] = ()) -> tuple[Crossing, ...]:
        return announce(self._table, item, by, stopped)

    def _read(self, tenant_id: str) -> Item:
        return self._remember(self._table.read(tenant_id))

    def _update(self, tenant_id: str, update: Update) -> Item:
        """Apply `update` and return the whole item as it now is (remembering the tenant's zone and windows)."""
        return self._remember(self._table.update(tenant_id, update))

    def _remember(self, item: Item) -> Item:
        self._known[item.tenant_id] = Known(item.policy, item.policy_ver, item.keys)
        return item
