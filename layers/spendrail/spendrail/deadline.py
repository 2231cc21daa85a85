"""One deadline per request, taken from the function's remaining time: every wait fits inside it.

The handler opens a deadline for each request (`Deadline.for_request(context)` ... `with deadline.applied():`).
Waits that are explicit in the domain (the LLM call, the embedding, the busy wait) are sized from it by the
service; waits hidden inside adapters (DynamoDB calls and their retries) read the request's deadline through
`current()`, so a stalled store gives up in seconds and the request still answers before the function times out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

# Kept back from the function's own timeout: serializing the answer and handing it to Lambda.
RESPONSE_MARGIN_SECONDS = 1.0
# A request that carries no Lambda context (a library caller, a test) gets this much time.
DEFAULT_REQUEST_SECONDS = 29.0


class _HasRemainingTime(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True)
class Deadline:
    at: float  # on the `clock` scale (monotonic seconds)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)

    @classmethod
    def after(cls, seconds: float, clock: Callable[[], float] = time.monotonic) -> Deadline:
        return cls(clock() + max(0.0, seconds), clock)

    @classmethod
    def for_request(
        cls, context: _HasRemainingTime | None, *, margin_seconds: float = RESPONSE_MARGIN_SECONDS
    ) -> Deadline:
        """The function's remaining time minus the margin the answer needs to get out."""
        if context is None:
            return cls.after(DEFAULT_REQUEST_SECONDS)
        return cls.after(context.get_remaining_time_in_millis() / 1000 - margin_seconds)

    def remaining(self) -> float:
        return max(0.0, self.at - self.clock())

    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def cap(self, seconds: float, *, keep: float = 0.0) -> float:
        """`seconds`, or less if the deadline (minus `keep` seconds saved for what comes after) is nearer."""
        return max(0.0, min(seconds, self.remaining() - keep))

    def sooner(self, seconds: float, *, keep: float = 0.0) -> Deadline:
        """A deadline `seconds` from now, or this one (minus `keep`) if that comes first: a phase of the request."""
        return Deadline(self.clock() + self.cap(seconds, keep=keep), self.clock)

    @contextmanager
    def applied(self) -> Iterator[Deadline]:
        """Make this the deadline `current()` returns for the code inside the block (this thread or task)."""
        token = _current.set(self)
        try:
            yield self
        finally:
            _current.reset(token)


_current: ContextVar[Deadline | None] = ContextVar("spendrail_deadline", default=None)


def current() -> Deadline | None:
    """The deadline of the request being served, if any."""
    return _current.get()
