"""The ledger item as the code sees it, and how it is read from and written to DynamoDB's attribute format.

Item (pk ``TENANT#<id>``, sk ``LEDGER``), per window ``w`` in ``d`` (daily) and ``m`` (monthly):
``w_key`` window key, ``w_cap`` cap, ``w_spent`` settled, ``w_held`` held, ``w_room`` = cap - spent - held
(DynamoDB cannot add in a condition, so the headroom is kept as its own attribute), ``w_alert`` highest threshold
level announced in this window, ``w_saved`` what cache hits saved, ``w_doubt`` the part of spent charged without
knowing the real cost, ``w_prev_key``/``w_prev_spent``/``w_prev_doubt`` the window before (late settles land
there). Attributes added after the first items were written (saved, doubt) are changed with ADD or read as 0 when
missing. ``hold_map`` maps hold id -> encoded hold (or a tombstone); ``hold_flag`` puts the tenant in a sparse
index the reclaimer reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from spendrail.dynamo.expression import n, s
from spendrail.ledger.model import Hold, LedgerSnapshot, StoredHold, WindowName, WindowSnapshot
from spendrail.policy import BudgetPolicy
from spendrail.state import Level, window_level
from spendrail.windows import WindowKeys

WINDOWS: tuple[tuple[str, WindowName], ...] = (("d", "daily"), ("m", "monthly"))


def item_key(tenant_id: str) -> dict[str, Any]:
    return {"pk": s(f"TENANT#{tenant_id}"), "sk": s("LEDGER")}


@dataclass
class Window:
    key: str
    cap: int
    spent: int = 0
    held: int = 0
    room: int = 0
    alert: int = 0
    alert_prev: int = 0
    alert_by: str = ""
    prev_key: str = ""
    prev_spent: int = 0
    saved: int = 0
    doubt: int = 0
    prev_doubt: int = 0

    @classmethod
    def fresh(cls, key: str, cap: int) -> Window:
        return cls(key, cap, room=cap)

    def rolled_to(self, key: str) -> Window:
        return replace(Window.fresh(key, self.cap), prev_key=self.key, prev_spent=self.spent, prev_doubt=self.doubt)


@dataclass(frozen=True)
class Known:
    """What an instance remembers of a tenant between requests, so the hot path needs no read."""

    policy: BudgetPolicy
    ver: str
    keys: WindowKeys


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

    def stored(self, hold_id: str) -> StoredHold:
        return StoredHold.parse(self.tenant_id, hold_id, self.holds[hold_id])

    def all_stored(self) -> list[StoredHold]:
        return [self.stored(hold_id) for hold_id in self.holds]

    def open_holds(self) -> list[Hold]:
        return [s.hold for s in self.all_stored() if s.reclaimed_at is None]

    def as_of(self, keys: WindowKeys) -> Item:
        """The item as a request at `keys` sees it: a window whose time is over reads as a fresh one."""
        rolled = dict(self.win)
        for w, key in (("d", keys.day), ("m", keys.month)):
            if key > self.win[w].key:
                rolled[w] = self.win[w].rolled_to(key)
        return replace(self, win=rolled)

    def level(self, w: str) -> Level:
        window = self.win[w]
        return window_level(window.spent, window.cap, self.policy.soft_cap_percent, self.policy.degrade_percent)

    def window_snapshot(self, w: str, name: WindowName) -> WindowSnapshot:
        win = self.win[w]
        return WindowSnapshot(name, win.key, win.cap, win.spent, win.held, self.level(w), win.saved, win.doubt)

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
            win[w] = Window(key, cap, spent, held, room, alert, doubt=doubt)
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
        win = {
            w: Window(
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
                num(f"{w}_doubt"),
                num(f"{w}_prev_doubt"),
            )
            for w, _ in WINDOWS
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
        }
        for w, _ in WINDOWS:
            window = self.win[w]
            encoded |= {
                f"{w}_key": s(window.key),
                f"{w}_prev_key": s(window.prev_key or "-"),
                f"{w}_alert_by": s("-"),
            }
            for attr in (
                "cap",
                "spent",
                "held",
                "room",
                "alert",
                "alert_prev",
                "prev_spent",
                "saved",
                "doubt",
                "prev_doubt",
            ):
                encoded[f"{w}_{attr}"] = n(getattr(window, attr))
        return encoded
