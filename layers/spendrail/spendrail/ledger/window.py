"""One budget window on the ledger item: its counters, the window before it, and what is pending about it.

Attributes ``<w>_<field>`` for ``w`` in ``d`` (daily) and ``m`` (monthly). Fields added after the first items were
written (saved, doubt, the history counters, the summary of the window before, the episode) are changed with ADD or
``if_not_exists``, conditioned on as "missing or 0", and read as 0 / "" when missing, so older items need no
migration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

# Number fields; every other field is a string.
NUMBERS = (
    "cap",
    "spent",
    "held",
    "room",
    "alert",  # highest threshold level claimed (announced) in this window
    "alert_prev",  # the level before the last claim (a replayed claim knows what it passed)
    "saved",  # what answers from the cache saved
    "doubt",  # the part of spent charged without a known cost
    "req",  # requests: settles and releases of holds, reclaimed holds, answers from the cache
    "hits",  # answers from the cache (exact, or semantic with a settle that saved something)
    "down",  # requests routed to a cheaper model than the use case gets with a healthy budget
    "prev_spent",
    "prev_doubt",
    "prev_req",
    "prev_hits",
    "prev_saved",
    "prev_down",
    "prev_alert",
    "prev_cap",
    "ep",  # the window's episode: how many times a policy change reopened it (ledger/reopen.py); a roll starts at 0
    "prev_ep",  # the episode the window before closed in (a crossing of it claimed late carries it)
)
# The summary fields the roll copies from the closing window into prev_<field>.
SUMMARY = ("spent", "doubt", "req", "hits", "saved", "down", "alert", "cap", "ep")


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
    req: int = 0
    hits: int = 0
    down: int = 0
    prev_req: int = 0
    prev_hits: int = 0
    prev_saved: int = 0
    prev_down: int = 0
    prev_alert: int = 0
    prev_cap: int = 0
    ep: int = 0
    prev_ep: int = 0
    hist: str = ""  # the key of the window before, while its history summary is still to be written
    proj: str = ""  # the key of the window whose projected exhaustion was claimed

    @classmethod
    def fresh(cls, key: str, cap: int) -> Window:
        return cls(key, cap, room=cap)

    @property
    def active(self) -> bool:
        """Anything happened in this window: its summary is worth keeping."""
        return bool(self.req or self.spent or self.held or self.saved or self.doubt)

    def rolled_to(self, key: str) -> Window:
        """This window closed and `key` opened: what the roll write makes of it."""
        closed = {f"prev_{name}": getattr(self, name) for name in SUMMARY}
        hist = self.key if self.active else ""
        return replace(Window.fresh(key, self.cap), prev_key=self.key, hist=hist, proj=self.proj, **closed)

    @classmethod
    def parse(cls, raw: Mapping[str, Any], w: str) -> Window:
        values: dict[str, Any] = {}
        for field in fields(cls):
            name = f"{w}_{field.name}"
            if field.name in NUMBERS:
                values[field.name] = int(raw[name]["N"]) if name in raw else 0
            else:
                values[field.name] = str(raw[name]["S"]) if name in raw else ""
        return cls(**values)
