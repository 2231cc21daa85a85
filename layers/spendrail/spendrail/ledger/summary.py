"""A closed window's summary: what the history keeps of each daily and monthly window."""

from __future__ import annotations

from dataclasses import dataclass

from spendrail.ledger.model import WindowName
from spendrail.state import BudgetState


@dataclass(frozen=True)
class WindowSummary:
    tenant_id: str
    window: WindowName
    key: str  # 2026-11-28, or 2026-11
    cap: int
    spent: int
    requests: int  # settles and releases of holds, reclaimed holds, answers from the cache
    cache_hits: int
    saved: int  # what answers from the cache saved
    downgrades: int  # requests routed to a cheaper model because of the budget
    highest: BudgetState  # the highest state the window reached
    in_doubt: int  # the part of `spent` charged without a known cost, when the window closed
