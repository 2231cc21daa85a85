"""Tenants this instance knows to be stopped, so a flood of requests against a spent budget costs no DynamoDB write.

After a reserve is refused as exhausted, the instance remembers the refusal's snapshot: the settled room left in
each window (cap - spent) as last seen, and the caps and windows it was seen under. A later request of that tenant
whose amount does not fit that room is refused from memory, with the same 429 (the budget numbers as last seen,
Retry-After from now). Settled spend only grows within a window, so the memory can only be wrong in a tenant's
favour after:

- the window's end (a new day or month): the memory is dropped then and the next request asks the ledger;
- a cap raised by the admin API, or a late settle correcting an in-doubt charge downwards: honoured within
  `STALE_SECONDS`, after which the next request re-reads the item (one consistent GetItem, not a write) and keeps
  refusing from memory only if the room it reads still does not fit.

A refusal from memory claims no crossing: the hard stop was claimed by the ledger's refusal that started it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from spendrail.ledger.model import LedgerSnapshot

STALE_SECONDS = 5.0  # how long a remembered stop is trusted before the item is read again (a raised cap's delay)


@dataclass(frozen=True)
class Stop:
    """A refusal remembered: the snapshot it gave, until when it is trusted, and when its window ends."""

    snapshot: LedgerSnapshot
    checked_until: datetime  # after this, read the item before refusing again
    window_end: datetime  # after this, forget it: the window that bound has reset

    @property
    def room(self) -> int:
        """What a new hold could take once every hold in flight settled: the tighter window's settled room."""
        return min(self.snapshot.daily.settled_room, self.snapshot.monthly.settled_room)

    def refuses(self, amount: int) -> bool:
        return amount > self.room


class StoppedTenants:
    """The instance's memory of refused tenants (one Lambda instance serves one request at a time)."""

    def __init__(self, stale_seconds: float = STALE_SECONDS) -> None:
        self._stale = timedelta(seconds=stale_seconds)
        self._stops: dict[str, Stop] = {}

    def remember(self, snapshot: LedgerSnapshot, now: datetime, retry_after: int) -> Stop:
        """A refusal as exhausted just seen at `now`; `retry_after` seconds until the window that binds resets."""
        stop = Stop(snapshot, now + self._stale, now + timedelta(seconds=retry_after))
        self._stops[snapshot.tenant_id] = stop
        return stop

    def current(self, tenant_id: str, now: datetime) -> Stop | None:
        """The tenant's remembered stop if its window has not ended; the caller re-checks it once `stale`."""
        stop = self._stops.get(tenant_id)
        if stop is not None and now >= stop.window_end:
            del self._stops[tenant_id]
            return None
        return stop

    @staticmethod
    def stale(stop: Stop, now: datetime) -> bool:
        return now >= stop.checked_until

    def forget(self, tenant_id: str) -> None:
        self._stops.pop(tenant_id, None)
