"""History: each closed window's summary, kept as an item of its own beside the tenant's ledger item.

The roll keeps the closing window's summary on the ledger item (``w_prev_*``) and marks it pending (``w_hist``);
the sweep writes it as ``pk TENANT#<id>, sk HIST#<d|m>#<window key>`` with a conditional put, so it is written
once however many runs (or requests) try, and then clears the mark. A roll that finds the summary of the window
before still pending (no sweep ran for a whole window) writes it first, so no summary is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spendrail.dynamo.call import ConditionFailed
from spendrail.dynamo.expression import n, s
from spendrail.ledger.codec import WINDOWS, Item
from spendrail.ledger.model import WindowName
from spendrail.ledger.summary import WindowSummary
from spendrail.ledger.table import LedgerTable
from spendrail.state import Level
from spendrail.windows import WindowKeys

_NAMES: dict[str, WindowName] = dict(WINDOWS)


def sort_key(w: str, window_key: str) -> str:
    return f"HIST#{w}#{window_key}"


def pending(item: Item, w: str) -> WindowSummary | None:
    """The summary of window `w`'s window before, if it is still to be written."""
    window = item.win[w]
    if not window.hist or window.hist != window.prev_key:
        return None
    highest = max(Level(window.prev_alert), item.prev_level(w))
    return WindowSummary(
        item.tenant_id,
        _NAMES[w],
        window.prev_key,
        window.prev_cap or window.cap,
        window.prev_spent,
        window.prev_req,
        window.prev_hits,
        window.prev_saved,
        window.prev_down,
        highest.state,
        window.prev_doubt,
    )


def ready(item: Item, w: str) -> bool:
    """No hold taken in the window before is still open: its summary can no longer change by a settle."""
    prev = item.win[w].prev_key
    return not any((h.windows.day if w == "d" else h.windows.month) == prev for h in item.open_holds())


def encode(summary: WindowSummary) -> dict[str, Any]:
    w = summary.window[0]
    return {
        "pk": s(f"TENANT#{summary.tenant_id}"),
        "sk": s(sort_key(w, summary.key)),
        "h_window": s(summary.window),
        "h_key": s(summary.key),
        "h_cap": n(summary.cap),
        "h_spent": n(summary.spent),
        "h_req": n(summary.requests),
        "h_hits": n(summary.cache_hits),
        "h_saved": n(summary.saved),
        "h_down": n(summary.downgrades),
        "h_state": s(summary.highest.value),
        "h_doubt": n(summary.in_doubt),
    }


def parse(raw: Mapping[str, Any]) -> WindowSummary:
    def num(name: str) -> int:
        return int(raw[name]["N"])

    window: WindowName = "daily" if raw["h_window"]["S"] == "daily" else "monthly"
    return WindowSummary(
        str(raw["pk"]["S"]).removeprefix("TENANT#"),
        window,
        str(raw["h_key"]["S"]),
        num("h_cap"),
        num("h_spent"),
        num("h_req"),
        num("h_hits"),
        num("h_saved"),
        num("h_down"),
        Level[str(raw["h_state"]["S"]).upper()].state,
        num("h_doubt"),
    )


def write(table: LedgerTable, summary: WindowSummary) -> bool:
    """Put the summary unless it is there already; True if this call wrote it."""
    try:
        table.put_new(encode(summary))
    except ConditionFailed:
        return False
    return True


def flush(table: LedgerTable, item: Item, windows: tuple[str, ...] = ("d", "m")) -> list[str]:
    """Write the pending summaries of `windows` (before a roll overwrites them, or in the sweep once ready)."""
    written = []
    for w in windows:
        summary = pending(item, w)
        if summary is not None:
            write(table, summary)
            written.append(w)
    return written


def read(table: LedgerTable, item: Item, keys: WindowKeys, window: WindowName, limit: int) -> list[WindowSummary]:
    """The last `limit` summaries of `window`, newest first, with those not written yet (still on `item`, or not
    even rolled: `keys` are the current windows), so the history never waits for the scheduled run."""
    w = window[0]
    stored = [parse(raw) for raw in table.query_history(item.tenant_id, f"HIST#{w}#", limit)]
    for waiting in (pending(item, w), pending(item.as_of(keys), w)):
        if waiting is not None and all(s.key != waiting.key for s in stored):
            stored.append(waiting)
    return sorted(stored, key=lambda s: s.key, reverse=True)[:limit]
