"""A thread that feeds events to one function's workers (SNS deliveries, a schedule), as AWS does in the background."""

from __future__ import annotations

import threading
from typing import Self

from local.apigw import FunctionPool


class BackgroundFeed:
    def __init__(self, name: str, pool: FunctionPool) -> None:
        self._pool = pool
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    @property
    def serving(self) -> bool:
        """Whether the feeding thread still runs (it ends only on stop() or a crash)."""
        return self._thread.is_alive()

    def stop(self, grace_s: float = 2.0) -> None:
        self._stopping.set()
        self._pool.shutdown(grace_s)  # an invocation in progress gets grace_s, as a stuck request does
        self._thread.join(2)  # the thread's own wait (a 1 s queue poll, the period) ends at once or within it

    def _run(self) -> None:
        raise NotImplementedError
