"""The ledger item as the code sees it, and how it is read from and written to DynamoDB's attribute format.

Item (pk ``TENANT#<id>``, sk ``LEDGER``): per window the attributes in `ledger.window` (``w_key`` window key,
``w_cap`` cap, ``w_spent`` settled, ``w_held`` held, ``w_room`` = cap - spent - held, kept as its own attribute
because DynamoDB cannot add in a condition, ``w_alert`` highest level claimed, ``w_ep`` the window's episode (the
reopenings of it so far, in every alert id claimed in it), the history counters and the summary of the window
before). Beside them:

- ``hold_map``: hold id -> encoded hold (or a tombstone);
- ``hold_flag``: the tenant needs a sweep (holds, alerts in the outbox, a history summary, a crossing to check);
  it puts the tenant in the sparse ``hold-flag-index`` the scheduled run reads;
- ``ob#<alert id>``: the outbox, one attribute per claimed alert until it is published (top-level attributes, so
  a claim works on items written before the outbox existed), and ``ob_n`` how many there are;
- ``rs_<epoch of a 5-minute slot>``: spend settled in that slot (the burn rate; pruned by the sweep);
- ``total_spent`` / ``total_doubt``: all-time spend and the part still in doubt (reconciliation);
- ``roll_shard`` / ``roll_at``: the sparse ``roll-index`` the scheduled run finds ended windows in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from spendrail.alerts.model import Alert
from spendrail.dynamo.expression import n, s
from spendrail.ledger.model import Hold, LedgerSnapshot, StoredHold, WindowName, WindowSnapshot, delivery_order
from spendrail.ledger.window import NUMBERS, Window
from spendrail.policy import BudgetPolicy
from spendrail.state import Level, window_level
from spendrail.windows import WindowKeys, day_end

WINDOWS: tuple[tuple[str, WindowName], ...] = (("d", "daily"), ("m", "monthly"))
OUTBOX_PREFIX = "ob#"
SLOT_PREFIX = "rs_"
SLOT_SECONDS = 300
ROLL_SHARDS = 8

__all__ = ["WINDOWS", "Item", "Known", "Window", "item_key"]


def item_key(tenant_id: str) -> dict[str, Any]:
    return {"pk": s(f"TENANT#{tenant_id}"), "sk": s("LEDGER")}


def roll_shard(tenant_id: str) -> str:
    """A fixed shard per tenant, so the roll index spreads over a few partitions."""
    return str(int.from_bytes(hashlib.sha256(tenant_id.encode()).digest()[:4], "big") % ROLL_SHARDS)


def slot_of(epoch: int) -> int:
    return epoch - epoch % SLOT_SECONDS


@dataclass(frozen=True)
class Known:
    """What an instance remembers of a tenant between requests, so the hot path needs no read."""

    policy: BudgetPolicy
    ver: str
    keys: WindowKeys
    # Spent + held was below every threshold in both windows in the last answer seen: a settle (of no more than its
    # hold) that leaves the tenant below them claims nothing, so it need not ask for the announced levels.
    quiet: bool = False


@dataclass
class Item:
    tenant_id: str
    policy: BudgetPolicy
    policy_ver: str
    win: dict[str, Window]
    holds: dict[str, str] = field(default_factory=dict)
    overshoot_nanos: int | None = None
    overshoot_count: int | None = None
    full: bool = True  # False for a view built from the attributes one write returned
    outbox: dict[str, str] = field(default_factory=dict)  # alert id -> Alert.record()
    slots: dict[int, int] = field(default_factory=dict)  # slot start (epoch s) -> nano-USD settled in it
    total_spent: int = 0
    total_doubt: int = 0
    roll_at: int = 0  # 0: not in the roll index yet (an item written before it existed)
    flagged: bool = False
    outbox_count: int = 0  # ob_n: how many alerts the outbox holds (a claim adds, an acknowledgement takes away)

    @classmethod
    def fresh(cls, tenant_id: str, policy: BudgetPolicy, policy_ver: str, keys: WindowKeys) -> Item:
        windows = {
            "d": Window.fresh(keys.day, policy.daily_cap_nanos),
            "m": Window.fresh(keys.month, policy.monthly_cap_nanos),
        }
        return cls(tenant_id, policy, policy_ver, windows)

    @property
    def keys(self) -> WindowKeys:
        return WindowKeys(self.win["d"].key, self.win["m"].key)

    @property
    def prev_keys(self) -> WindowKeys:
        return WindowKeys(self.win["d"].prev_key, self.win["m"].prev_key)

    @property
    def due_at(self) -> int:
        """When the current day ends in the tenant's zone: what `roll_at` should say."""
        return int(day_end(self.win["d"].key, self.policy.timezone).timestamp())

    def stored(self, hold_id: str) -> StoredHold:
        return StoredHold.parse(self.tenant_id, hold_id, self.holds[hold_id])

    def all_stored(self) -> list[StoredHold]:
        return [self.stored(hold_id) for hold_id in self.holds]

    def open_holds(self) -> list[Hold]:
        return [s.hold for s in self.all_stored() if s.reclaimed_at is None]

    def pending_alerts(self) -> tuple[Alert, ...]:
        return delivery_order(Alert.from_record(record) for record in self.outbox.values())

    def as_of(self, keys: WindowKeys) -> Item:
        """The item as a request at `keys` sees it: a window whose time is over reads as a fresh one."""
        rolled = dict(self.win)
        for w, key in (("d", keys.day), ("m", keys.month)):
            if key > self.win[w].key:
                rolled[w] = self.win[w].rolled_to(key)
        return replace(self, win=rolled)

    def level(self, w: str) -> Level:
        return self.level_of(w, self.win[w].spent)

    def prev_level(self, w: str) -> Level:
        """The level the window before reached by its settled spend (claimed or not)."""
        window = self.win[w]
        if not window.prev_key or window.prev_key == "-":
            return Level.ACTIVE
        cap = window.prev_cap or window.cap
        soft, degrade = self.policy.soft_cap_percent, self.policy.degrade_percent
        return window_level(window.prev_spent, cap, soft, degrade) if window.prev_spent else Level.ACTIVE

    def window_snapshot(self, w: str, name: WindowName) -> WindowSnapshot:
        win = self.win[w]
        return WindowSnapshot(name, win.key, win.cap, win.spent, win.held, self.level(w), win.saved, win.doubt)

    def quiet(self) -> bool:
        """Spent + held (cap - room) below every threshold in both windows: no claim is due, however holds settle."""
        return all(self.level_of(w, self.win[w].cap - self.win[w].room) == Level.ACTIVE for w, _ in WINDOWS)

    def level_of(self, w: str, spent: int) -> Level:
        return window_level(spent, self.win[w].cap, self.policy.soft_cap_percent, self.policy.degrade_percent)

    def snapshot(self) -> LedgerSnapshot:
        daily, monthly = (self.window_snapshot(w, name) for w, name in WINDOWS)
        # A view built from one write's answer knows the counters only, not the holds.
        open_holds = sum(1 for v in self.holds.values() if not v.startswith("R|")) if self.full else None
        counts = (open_holds, self.overshoot_nanos, self.overshoot_count)
        return LedgerSnapshot(self.tenant_id, self.policy, daily, monthly, *counts)

    @classmethod
    def from_write(
        cls, known: Known, tenant_id: str, keys: WindowKeys, attrs: Mapping[str, Any], needed: tuple[str, ...]
    ) -> Item | None:
        """A view from the attributes an UPDATED_NEW write returned, under a policy the write's condition pinned.

        DynamoDB (and dynalite) return every attribute the expression set; moto returns only those whose value
        changed, so a missing one means "read the item" (None) rather than a guess. Headroom is kept equal to
        cap - spent - held by every write, so spent follows when it was not asked for.
        """
        if any(f"{w}_{attr}" not in attrs for w, _ in WINDOWS for attr in needed):
            return None
        win = {}
        for w, key in (("d", keys.day), ("m", keys.month)):
            cap = known.policy.daily_cap_nanos if w == "d" else known.policy.monthly_cap_nanos
            held, room = int(attrs[f"{w}_held"]["N"]), int(attrs[f"{w}_room"]["N"])
            spent = int(attrs[f"{w}_spent"]["N"]) if "spent" in needed else cap - room - held
            alert = int(attrs[f"{w}_alert"]["N"]) if "alert" in needed else 0
            doubt = int(attrs[f"{w}_doubt"]["N"]) if "doubt" in needed else 0
            ep = int(attrs[f"{w}_ep"]["N"]) if "ep" in needed else 0
            win[w] = Window(key, cap, spent, held, room, alert, doubt=doubt, ep=ep)
        return cls(tenant_id, known.policy, known.ver, win, full=False)

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Item:
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
        return cls(
            tenant_id=text("pk").removeprefix("TENANT#"),
            policy=policy,
            policy_ver=text("policy_ver"),
            win={w: Window.parse(raw, w) for w, _ in WINDOWS},
            holds={k: str(v["S"]) for k, v in raw.get("hold_map", {}).get("M", {}).items()},
            overshoot_nanos=num("over_nanos"),
            overshoot_count=num("over_count"),
            outbox={k.removeprefix(OUTBOX_PREFIX): str(v["S"]) for k, v in raw.items() if k.startswith(OUTBOX_PREFIX)},
            slots={int(k.removeprefix(SLOT_PREFIX)): int(v["N"]) for k, v in raw.items() if k.startswith(SLOT_PREFIX)},
            total_spent=num("total_spent"),
            total_doubt=num("total_doubt"),
            roll_at=num("roll_at"),
            flagged="hold_flag" in raw,
            outbox_count=num("ob_n"),
        )

    def encode(self) -> dict[str, Any]:
        """A whole new item (put_policy's first write)."""
        encoded: dict[str, Any] = item_key(self.tenant_id) | {
            "policy_ver": s(self.policy_ver),
            "time_zone": s(self.policy.timezone),
            "soft_pct": n(self.policy.soft_cap_percent),
            "degrade_pct": n(self.policy.degrade_percent),
            "hold_map": {"M": {}},
            "over_nanos": n(0),
            "over_count": n(0),
            "total_spent": n(0),
            "total_doubt": n(0),
            "ob_n": n(0),
            "roll_shard": s(roll_shard(self.tenant_id)),
            "roll_at": n(self.due_at),
        }
        for w, _ in WINDOWS:
            window = self.win[w]
            encoded |= {
                f"{w}_key": s(window.key),
                f"{w}_prev_key": s(window.prev_key or "-"),
                f"{w}_alert_by": s("-"),
            }
            encoded |= {f"{w}_{attr}": n(getattr(window, attr)) for attr in NUMBERS}
        return encoded
