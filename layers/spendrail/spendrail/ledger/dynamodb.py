"""The budget ledger on DynamoDB: one item per tenant holds both windows, so one conditional write decides.

Item (pk ``TENANT#<id>``, sk ``LEDGER``), per window ``w`` in ``d`` (daily) and ``m`` (monthly):
``w_key`` window key, ``w_cap`` cap, ``w_spent`` settled, ``w_held`` held, ``w_room`` = cap - spent - held
(DynamoDB cannot add in a condition, so the headroom is kept as its own attribute), ``w_alert`` highest threshold
level announced in this window, ``w_prev_key``/``w_prev_spent`` the window before (late settles land there).
``hold_map`` maps hold id -> encoded hold; ``hold_flag`` puts the tenant in a sparse index the reclaimer reads.

Every write is conditional on what it assumes, so a replayed write (a retry after a lost response) fails its
condition instead of counting twice; only then is the item read to tell a replay from a refusal.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from spendrail.errors import (
    LedgerConflictError,
    LedgerMisconfiguredError,
    LedgerThrottledError,
    LedgerUnavailableError,
    TenantNotFoundError,
)
from spendrail.ledger.model import (
    Crossing,
    Hold,
    LedgerSnapshot,
    ReclaimReport,
    Refusal,
    ReserveResult,
    SettleResult,
    StoredHold,
    WindowName,
    WindowSnapshot,
    check_amount,
)
from spendrail.policy import BudgetPolicy, validate_tenant_id
from spendrail.state import Level, crossed, window_level
from spendrail.windows import WindowKeys, window_keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

logger = logging.getLogger(__name__)

HOLD_FLAG_INDEX = "hold-flag-index"
TOMBSTONE_TTL_SECONDS = 3600
_WINDOWS: tuple[tuple[str, WindowName], ...] = (("d", "daily"), ("m", "monthly"))
_RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
    }
)
_NETWORK_ERRORS = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)
_MAX_ROUNDS = 8


class _ConditionFailed(Exception):
    pass


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _n(value: int | Decimal) -> dict[str, str]:
    return {"N": str(value)}


def _s(value: str) -> dict[str, str]:
    return {"S": value}


@dataclass
class _Window:
    key: str
    cap: int
    spent: int
    held: int
    room: int
    alert: int
    alert_prev: int
    alert_by: str
    prev_key: str
    prev_spent: int
    saved: int = 0

    def rolled_to(self, key: str) -> _Window:
        return _Window(key, self.cap, 0, 0, self.cap, 0, 0, "", self.key, self.spent)


@dataclass(frozen=True)
class _Known:
    """What an instance remembers of a tenant between requests, so the hot path needs no read."""

    policy: BudgetPolicy
    ver: str
    keys: WindowKeys


@dataclass
class _Item:
    tenant_id: str
    policy: BudgetPolicy
    policy_ver: str
    win: dict[str, _Window]
    holds: dict[str, str] = field(default_factory=dict)
    overshoot_nanos: int | None = None
    overshoot_count: int | None = None
    full: bool = True  # False for a view built from the attributes one write returned

    @property
    def keys(self) -> WindowKeys:
        return WindowKeys(self.win["d"].key, self.win["m"].key)

    def as_of(self, keys: WindowKeys) -> _Item:
        """The item as a request at `keys` sees it: a window whose time is over reads as a fresh one."""
        rolled = dict(self.win)
        for w, key in (("d", keys.day), ("m", keys.month)):
            if key > self.win[w].key:
                rolled[w] = self.win[w].rolled_to(key)
        return replace(self, win=rolled)

    def level(self, w: str) -> Level:
        window = self.win[w]
        return window_level(window.spent, window.cap, self.policy.soft_cap_percent, self.policy.degrade_percent)

    def snapshot(self) -> LedgerSnapshot:
        daily, monthly = (
            WindowSnapshot(
                name,
                self.win[w].key,
                self.win[w].cap,
                self.win[w].spent,
                self.win[w].held,
                self.level(w),
                self.win[w].saved,
            )
            for w, name in _WINDOWS
        )
        open_holds = sum(1 for v in self.holds.values() if not v.startswith("R|")) if self.full else None
        return LedgerSnapshot(
            self.tenant_id,
            self.policy,
            daily,
            monthly,
            open_holds,
            self.overshoot_nanos,
            self.overshoot_count,
        )

    @classmethod
    def from_write(
        cls, known: _Known, tenant_id: str, keys: WindowKeys, attrs: Mapping[str, Any], needed: tuple[str, ...]
    ) -> _Item | None:
        """A view from the attributes an UPDATED_NEW write returned, under a policy the write's condition pinned.

        DynamoDB (and dynalite) return every attribute the expression set; moto returns only those whose value
        changed, so a missing one means "read the item" (None) rather than a guess. Headroom is kept equal to
        cap - spent - held by every write, so spent follows when it was not asked for.
        """
        if any(f"{w}_{attr}" not in attrs for w, _ in _WINDOWS for attr in needed):
            return None
        win = {}
        for w, key in (("d", keys.day), ("m", keys.month)):
            cap = known.policy.daily_cap_nanos if w == "d" else known.policy.monthly_cap_nanos
            held, room = int(attrs[f"{w}_held"]["N"]), int(attrs[f"{w}_room"]["N"])
            spent = int(attrs[f"{w}_spent"]["N"]) if "spent" in needed else cap - room - held
            alert = int(attrs[f"{w}_alert"]["N"]) if "alert" in needed else 0
            win[w] = _Window(key, cap, spent, held, room, alert, 0, "", "", 0)
        return cls(tenant_id, known.policy, known.ver, win, full=False)

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> _Item:
        def num(name: str) -> int:
            return int(raw[name]["N"]) if name in raw else 0

        def text(name: str) -> str:
            return str(raw[name]["S"]) if name in raw else ""

        # Written by put_policy from a validated policy: no need to validate it again on the hot path.
        policy = BudgetPolicy.model_construct(
            daily_cap_usd=Decimal(num("d_cap")).scaleb(-9),
            monthly_cap_usd=Decimal(num("m_cap")).scaleb(-9),
            soft_cap_percent=Decimal(raw["soft_pct"]["N"]),
            degrade_percent=Decimal(raw["degrade_pct"]["N"]),
            timezone=text("time_zone"),
        )
        win = {
            w: _Window(
                text(f"{w}_key"),
                num(f"{w}_cap"),
                num(f"{w}_spent"),
                num(f"{w}_held"),
                num(f"{w}_room"),
                num(f"{w}_alert"),
                num(f"{w}_alert_prev"),
                text(f"{w}_alert_by"),
                text(f"{w}_prev_key"),
                num(f"{w}_prev_spent"),
                num(f"{w}_saved"),
            )
            for w, _ in _WINDOWS
        }
        holds = {k: str(v["S"]) for k, v in raw.get("hold_map", {}).get("M", {}).items()}
        return cls(
            tenant_id=text("pk").removeprefix("TENANT#"),
            policy=policy,
            policy_ver=text("policy_ver"),
            win=win,
            holds=holds,
            overshoot_nanos=num("over_nanos"),
            overshoot_count=num("over_count"),
        )


@dataclass
class _Update:
    """An UpdateItem under construction; names are fixed and underscored, so none is a reserved word."""

    sets: list[str] = field(default_factory=list)
    removes: list[str] = field(default_factory=list)
    adds: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)

    def expression(self) -> str:
        parts = []
        if self.sets:
            parts.append("SET " + ", ".join(self.sets))
        if self.removes:
            parts.append("REMOVE " + ", ".join(self.removes))
        if self.adds:
            parts.append("ADD " + ", ".join(self.adds))
        return " ".join(parts)

    def request(self, table: str, key: dict[str, Any], return_values: str) -> dict[str, Any]:
        request: dict[str, Any] = {
            "TableName": table,
            "Key": key,
            "UpdateExpression": self.expression(),
            "ReturnValues": return_values,
        }
        if self.conditions:
            request["ConditionExpression"] = " AND ".join(self.conditions)
        if self.names:
            request["ExpressionAttributeNames"] = self.names
        if self.values:
            request["ExpressionAttributeValues"] = self.values
        return request


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
        self._client = client
        self._table = table_name
        self._hold_ttl = hold_ttl_seconds
        self._clock = clock
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._base_backoff = base_backoff_seconds
        self._known: dict[str, _Known] = {}

    # ---- public API -------------------------------------------------------------------------------------------

    def put_policy(self, tenant_id: str, policy: BudgetPolicy) -> LedgerSnapshot:
        validate_tenant_id(tenant_id)
        keys = window_keys(self._clock(), policy.timezone)
        fresh = _Item(
            tenant_id,
            policy,
            uuid.uuid4().hex,
            {
                "d": _Window(keys.day, policy.daily_cap_nanos, 0, 0, policy.daily_cap_nanos, 0, 0, "", "", 0),
                "m": _Window(keys.month, policy.monthly_cap_nanos, 0, 0, policy.monthly_cap_nanos, 0, 0, "", "", 0),
            },
        )
        try:
            self._call(
                "put_item",
                TableName=self._table,
                Item=self._encode_new(fresh),
                ConditionExpression="attribute_not_exists(pk)",
            )
            self._known.pop(tenant_id, None)
            return fresh.snapshot()
        except _ConditionFailed:
            pass
        for _ in range(_MAX_ROUNDS):
            current = self._read(tenant_id)
            update = _Update()
            for w, cap in (("d", policy.daily_cap_nanos), ("m", policy.monthly_cap_nanos)):
                # Headroom moves by the cap's change, so holds and spend already counted stay counted.
                update.sets += [f"{w}_cap = :{w}cap", f"{w}_room = {w}_room + :{w}delta"]
                update.conditions.append(f"{w}_cap = :{w}old")
                update.values |= {
                    f":{w}cap": _n(cap),
                    f":{w}delta": _n(cap - current.win[w].cap),
                    f":{w}old": _n(current.win[w].cap),
                }
            # A new version makes every instance's hot-path condition fail once, so each re-reads the policy.
            update.sets += ["soft_pct = :soft", "degrade_pct = :degrade", "time_zone = :tz", "policy_ver = :ver"]
            update.values |= {
                ":soft": _n(policy.soft_cap_percent),
                ":degrade": _n(policy.degrade_percent),
                ":tz": _s(policy.timezone),
                ":ver": _s(uuid.uuid4().hex),
            }
            try:
                item = self._update(tenant_id, update)
            except _ConditionFailed:
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
                attrs = self._write(tenant_id, self._reserve_update(hold, known.ver), "UPDATED_NEW")["Attributes"]
            except _ConditionFailed:
                pass
            else:
                self._known[tenant_id] = replace(known, keys=keys)
                view = _Item.from_write(known, tenant_id, keys, attrs, ("held", "room"))
                return ReserveResult(hold, (view or self._read(tenant_id).as_of(keys)).snapshot())
            item = self._read(tenant_id)
            if hold_id in item.holds:  # our own earlier attempt was applied: a replay, not a second hold
                stored = StoredHold.parse(tenant_id, hold_id, item.holds[hold_id])
                view = item.as_of(stored.hold.windows)
                return ReserveResult(stored.hold, view.snapshot(), self._announce(view, hold_id), replayed=True)
            keys = window_keys(now, item.policy.timezone).later(item.keys)
            if keys != item.keys:
                self._roll(item, keys)
                continue
            if self._reclaim_expired(item, int(now.timestamp())):
                continue
            if all(item.win[w].room >= amount for w, _ in _WINDOWS):
                continue  # room came back between our write and the read: try again
            short = tuple(w for w, _ in _WINDOWS if item.win[w].cap - item.win[w].spent < amount)
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
            update = _Update(
                adds=["d_saved :s", "m_saved :s"],
                conditions=["d_key = :dkey", "m_key = :mkey"],
                values={":s": _n(saved), ":dkey": _s(keys.day), ":mkey": _s(keys.month)},
            )
            try:
                # Not replay-safe, so never resent after a lost response: savings may go uncounted, never double.
                request = update.request(self._table, self._key(tenant_id), "ALL_NEW")
                raw = self._call("update_item", replay_safe=False, **request)["Attributes"]
                return self._remember(_Item.parse(raw)).snapshot()
            except _ConditionFailed:
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
        now = int(self._clock().timestamp())
        report = ReclaimReport()
        for tenant_id in self._tenants_with_holds():
            item = self._read(tenant_id)
            returned = self._reclaim_expired(item, now)
            removed = 0
            for hold_id, value in list(item.holds.items()):
                stored = StoredHold.parse(tenant_id, hold_id, value)
                if stored.reclaimed_at is not None and stored.reclaimed_at + TOMBSTONE_TTL_SECONDS <= now:
                    update = _Update(removes=["hold_map.#h"], conditions=["hold_map.#h = :v"])
                    update.names["#h"] = hold_id
                    update.values[":v"] = _s(value)
                    try:
                        item = self._update(tenant_id, update)
                        removed += 1
                    except _ConditionFailed:
                        pass
            if not item.holds:
                # Leave the index only if no hold arrived meanwhile; a new hold sets the flag again anyway.
                update = _Update(removes=["hold_flag"], conditions=["size(hold_map) = :zero"])
                update.values[":zero"] = _n(0)
                with contextlib.suppress(_ConditionFailed):
                    self._write(tenant_id, update)
            report = ReclaimReport(
                report.tenants_checked + 1,
                report.holds_reclaimed + len(returned),
                report.nanos_returned + sum(returned),
                report.tombstones_removed + removed,
            )
        return report

    # ---- writes -----------------------------------------------------------------------------------------------

    def _reserve_update(self, hold: Hold, policy_ver: str) -> _Update:
        update = _Update(
            sets=["hold_map.#h = :hold", "hold_flag = :flag"],
            conditions=["attribute_not_exists(hold_map.#h)", "policy_ver = :pv"],
            names={"#h": hold.hold_id},
            values={":hold": _s(hold.encode()), ":flag": _s("1"), ":pv": _s(policy_ver), ":a": _n(hold.amount)},
        )
        for w, key in (("d", hold.windows.day), ("m", hold.windows.month)):
            update.sets += [f"{w}_held = {w}_held + :a", f"{w}_room = {w}_room - :a"]
            update.conditions += [f"{w}_key = :{w}key", f"{w}_room >= :a"]
            update.values[f":{w}key"] = _s(key)
        return update

    def _close_update(
        self,
        stored: StoredHold,
        actual: int,
        current: WindowKeys,
        prev: WindowKeys,
        tombstone_at: int | None,
        saved: int = 0,
    ) -> tuple[_Update, int]:
        """Close a hold: record `actual`, give back what the hold still has, drop it (or leave a tombstone).

        Each window is charged where the hold was taken: the current window, the one before it (the window
        rolled while the request ran), or nowhere (older than that; only the history would change).
        """
        hold = stored.hold
        is_open = stored.reclaimed_at is None
        update = _Update(conditions=["hold_map.#h = :stored"], names={"#h": hold.hold_id})
        update.values |= {":stored": _s(hold.encode() if is_open else hold.tombstone(stored.reclaimed_at or 0))}
        for w, hold_key, cur, before in (
            ("d", hold.windows.day, current.day, prev.day),
            ("m", hold.windows.month, current.month, prev.month),
        ):
            update.conditions.append(f"{w}_key = :{w}key")
            update.values[f":{w}key"] = _s(cur)
            if hold_key == cur and is_open:
                update.sets += [
                    f"{w}_spent = {w}_spent + :x",
                    f"{w}_held = {w}_held - :a",
                    f"{w}_room = {w}_room + :r",
                ]
                update.values |= {":x": _n(actual), ":a": _n(hold.amount), ":r": _n(hold.amount - actual)}
            elif hold_key == cur:  # reclaimed: its hold was already given back, so all of `actual` is new
                update.sets += [f"{w}_spent = {w}_spent + :x", f"{w}_room = {w}_room - :x"]
                update.values[":x"] = _n(actual)
            elif hold_key == before:
                update.sets.append(f"{w}_prev_spent = {w}_prev_spent + :x")
                update.values[":x"] = _n(actual)
            if saved and hold_key == cur:
                update.adds.append(f"{w}_saved :saved")  # ADD: items from before savings existed lack it
                update.values[":saved"] = _n(saved)
        if tombstone_at is not None:
            update.sets.append("hold_map.#h = :tomb")
            update.values[":tomb"] = _s(hold.tombstone(tombstone_at))
        else:
            update.removes.append("hold_map.#h")
        overshoot = actual - hold.amount if is_open else actual
        if overshoot > 0:
            update.adds += ["over_nanos :over", "over_count :one"]
            update.values |= {":over": _n(overshoot), ":one": _n(1)}
        return update, max(overshoot, 0)

    def _close(self, hold: Hold, actual: int, saved: int) -> SettleResult:
        """The common case in one write: the hold is open and no window rolled while the call ran."""
        validate_tenant_id(hold.tenant_id)
        known = self._known.get(hold.tenant_id)
        if known is None:  # another instance took the hold
            self._read(hold.tenant_id)
            known = self._known[hold.tenant_id]
        update, overshoot = self._close_update(StoredHold(hold, None), actual, hold.windows, hold.windows, None, saved)
        update.conditions.append("policy_ver = :pv")
        update.values |= {":pv": _s(known.ver), ":zero": _n(0)}
        # Adding zero changes nothing but makes UPDATED_NEW return the announced levels with the counters.
        update.sets += [f"{w}_alert = {w}_alert + :zero" for w, _ in _WINDOWS]
        try:
            attrs = self._write(hold.tenant_id, update, "UPDATED_NEW")["Attributes"]
        except _ConditionFailed:
            return self._close_after_read(hold, actual, saved)
        item = _Item.from_write(known, hold.tenant_id, hold.windows, attrs, ("spent", "held", "room", "alert"))
        item = item or self._read(hold.tenant_id).as_of(hold.windows)
        self._log_overshoot(hold, overshoot)
        return SettleResult(item.snapshot(), self._announce(item, hold.hold_id), overshoot)

    def _close_after_read(self, hold: Hold, actual: int, saved: int) -> SettleResult:
        """Every other case, decided on a fresh read: a replay, a reclaimed hold, a window that rolled."""
        for _ in range(_MAX_ROUNDS):
            item = self._read(hold.tenant_id)
            value = item.holds.get(hold.hold_id)
            if value is None:  # already closed: a replay must not count again
                view = item.as_of(window_keys(self._clock(), item.policy.timezone))
                return SettleResult(view.snapshot(), self._announce(view, hold.hold_id), 0, applied=False)
            stored = StoredHold.parse(hold.tenant_id, hold.hold_id, value)
            prev = WindowKeys(item.win["d"].prev_key, item.win["m"].prev_key)
            update, overshoot = self._close_update(stored, actual, item.keys, prev, None, saved)
            try:
                item = self._update(hold.tenant_id, update)
            except _ConditionFailed:
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

    def _roll(self, item: _Item, keys: WindowKeys) -> None:
        """Start the windows whose time has come; holds still in flight settle into the window before."""
        update = _Update()
        for w, key in (("d", keys.day), ("m", keys.month)):
            update.conditions.append(f"{w}_key = :{w}old")
            update.values[f":{w}old"] = _s(item.win[w].key)
            if key != item.win[w].key:
                update.sets += [
                    f"{w}_prev_key = {w}_key",
                    f"{w}_prev_spent = {w}_spent",
                    f"{w}_key = :{w}new",
                    f"{w}_spent = :zero",
                    f"{w}_held = :zero",
                    f"{w}_room = {w}_cap",
                    f"{w}_alert = :zero",
                    f"{w}_saved = :zero",
                ]
                update.values[f":{w}new"] = _s(key)
        update.values[":zero"] = _n(0)
        with contextlib.suppress(_ConditionFailed):  # another request rolled it first
            self._write(item.tenant_id, update)

    def _reclaim_expired(self, item: _Item, now: int) -> list[int]:
        """Give back the holds of requests that died (expired), leaving tombstones; amounts returned."""
        returned = []
        for hold_id, value in list(item.holds.items()):
            stored = StoredHold.parse(item.tenant_id, hold_id, value)
            if stored.reclaimed_at is not None or stored.hold.expires_at > now:
                continue
            prev = WindowKeys(item.win["d"].prev_key, item.win["m"].prev_key)
            update, _ = self._close_update(stored, 0, item.keys, prev, tombstone_at=now)
            try:
                self._write(item.tenant_id, update)
            except _ConditionFailed:
                continue  # settled or reclaimed meanwhile
            logger.warning("reclaimed a stale hold", extra={"tenant_id": item.tenant_id, "hold_id": hold_id})
            returned.append(stored.hold.amount)
        if returned:
            fresh = self._read(item.tenant_id)
            item.holds, item.win = fresh.holds, fresh.win
        return returned

    def _announce(self, item: _Item, by: str, stopped: tuple[str, ...] = ()) -> tuple[Crossing, ...]:
        """Claim each threshold this request sees crossed, once per window, with a conditional marker write.

        The marker only rises within a window, so of all requests that see a crossing exactly one moves it; a
        replayed claim is recognised by `w_alert_by`.
        """
        crossings: list[Crossing] = []
        for w, name in _WINDOWS:
            level = Level.STOPPED if w in stopped else item.level(w)
            window = item.win[w]
            if level <= window.alert:
                continue
            update = _Update(
                sets=[f"{w}_alert = :lvl", f"{w}_alert_prev = {w}_alert", f"{w}_alert_by = :by"],
                conditions=[f"{w}_key = :key", f"{w}_alert < :lvl"],
                values={":lvl": _n(level), ":by": _s(by), ":key": _s(window.key)},
            )
            try:
                old = self._write(item.tenant_id, update, "UPDATED_OLD")
                previous = Level(int(old.get("Attributes", {}).get(f"{w}_alert", {"N": "0"})["N"]))
            except _ConditionFailed:
                latest = self._read(item.tenant_id).win[w]
                if not (latest.alert_by == by and latest.alert == level and latest.key == window.key):
                    continue
                previous = Level(latest.alert_prev)
            crossings += [Crossing(item.tenant_id, name, window.key, lvl.state) for lvl in crossed(previous, level)]
        return tuple(crossings)

    # ---- plumbing ---------------------------------------------------------------------------------------------

    @staticmethod
    def _key(tenant_id: str) -> dict[str, Any]:
        return {"pk": _s(f"TENANT#{tenant_id}"), "sk": _s("LEDGER")}

    def _encode_new(self, item: _Item) -> dict[str, Any]:
        encoded: dict[str, Any] = self._key(item.tenant_id) | {
            "policy_ver": _s(item.policy_ver),
            "time_zone": _s(item.policy.timezone),
            "soft_pct": _n(item.policy.soft_cap_percent),
            "degrade_pct": _n(item.policy.degrade_percent),
            "hold_map": {"M": {}},
            "over_nanos": _n(0),
            "over_count": _n(0),
        }
        for w, _ in _WINDOWS:
            window = item.win[w]
            encoded |= {
                f"{w}_key": _s(window.key),
                f"{w}_prev_key": _s(window.prev_key or "-"),
                f"{w}_alert_by": _s("-"),
            }
            for attr in ("cap", "spent", "held", "room", "alert", "alert_prev", "prev_spent", "saved"):
                encoded[f"{w}_{attr}"] = _n(getattr(window, attr))
        return encoded

    def _read(self, tenant_id: str) -> _Item:
        raw = self._call("get_item", TableName=self._table, Key=self._key(tenant_id), ConsistentRead=True)
        if "Item" not in raw:
            raise TenantNotFoundError(f"tenant {tenant_id!r} has no budget")
        return self._remember(_Item.parse(raw["Item"]))

    def _write(self, tenant_id: str, update: _Update, return_values: str = "NONE") -> dict[str, Any]:
        return self._call("update_item", **update.request(self._table, self._key(tenant_id), return_values))

    def _update(self, tenant_id: str, update: _Update) -> _Item:
        """Apply `update` and return the whole item as it now is (remembering the tenant's zone and windows)."""
        return self._remember(_Item.parse(self._write(tenant_id, update, "ALL_NEW")["Attributes"]))

    def _remember(self, item: _Item) -> _Item:
        self._known[item.tenant_id] = _Known(item.policy, item.policy_ver, item.keys)
        return item

    def _tenants_with_holds(self) -> Iterator[str]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": HOLD_FLAG_INDEX,
            "KeyConditionExpression": "hold_flag = :flag",
            "ExpressionAttributeValues": {":flag": _s("1")},
        }
        while True:
            page = self._call("query", **kwargs)
            for raw in page.get("Items", []):
                yield str(raw["pk"]["S"]).removeprefix("TENANT#")
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _call(self, operation: str, *, replay_safe: bool = True, **kwargs: Any) -> dict[str, Any]:
        """One DynamoDB call with bounded, jittered retries; errors become the package's own.

        A retry after a timeout or a reset may repeat a write that was applied: every write is conditional on
        the state it expects, so the repeat fails its condition and the caller recognises it as a replay.
        """
        method = getattr(self._client, operation)
        for attempt in range(1, self._max_attempts + 1):
            try:
                result: dict[str, Any] = method(**kwargs)
                return result
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code == "ConditionalCheckFailedException":
                    raise _ConditionFailed from exc
                if code not in _RETRYABLE_CODES:
                    raise LedgerMisconfiguredError(f"DynamoDB {operation} rejected: {code}") from exc
                if attempt == self._max_attempts:
                    raise LedgerThrottledError(f"DynamoDB {operation} throttled {attempt} times") from exc
            except _NETWORK_ERRORS as exc:
                maybe_applied = isinstance(exc, ReadTimeoutError | ConnectionClosedError)
                if attempt == self._max_attempts or (maybe_applied and not replay_safe):
                    raise LedgerUnavailableError(f"DynamoDB {operation} unreachable: {exc}") from exc
            self._sleep(self._base_backoff * (2 ** (attempt - 1)) * (0.5 + random.random()))
        raise AssertionError("unreachable")  # pragma: no cover
