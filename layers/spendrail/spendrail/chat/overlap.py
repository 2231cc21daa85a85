"""A few worker threads for the waits of one request that may overlap (the embedding beside the exact lookup and the
reserve, the cache write beside the settle).

One Lambda instance serves one request at a time, so a few workers are plenty; they start on first use and live as
long as the process (a SnapStart snapshot taken before any request holds no threads). Every task runs in a copy of
the starting thread's context, so the request's deadline (`spendrail.deadline.current()`) bounds the DynamoDB calls
a worker makes just as it does in the handler's thread. Tasks never wait on other tasks, so the workers cannot
deadlock however many callers share them.

A task no worker has begun by the time its outcome is asked for runs in the asking thread: a worker only gets to run
while the request's thread waits (for DynamoDB's answer, for another task), so a task still unbegun then had nothing
to overlap with, and handing it over would only cost the CPU of the thread switches. What waits still overlaps: the
reserve's wait for DynamoDB lets a worker begin the exact lookup. The hand-off is a queue and two locks rather than
`concurrent.futures` (a Future's condition variables and the executor's bookkeeping): on the development machine
that cut a miss's own CPU from ~1.65 to ~1.1 ms (`benchmarks.chat_overhead`; docs/benchmarks.md, "Thread hand-offs").
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable
from typing import Protocol

from spendrail.deadline import Deadline

WORKERS = 4


class Started[T]:
    """A task handed to the workers; whichever thread claims it first runs it, exactly once."""

    __slots__ = ("_claim", "_context", "_error", "_finished", "_task", "_value")

    def __init__(self, task: Callable[[], T]) -> None:
        self._task = task
        self._context = contextvars.copy_context()  # the request's deadline comes along to whichever thread runs it
        self._claim = threading.Lock()  # taken once: by the worker that runs the task, or by the thread asking
        self._finished = threading.Lock()  # held until the task has run (or will never run)
        self._finished.acquire()
        self._value: T | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        """A worker's turn: run the task unless the asking thread took it (or it was cancelled)."""
        if not self._claim.acquire(blocking=False):
            return
        try:
            self._value = self._context.run(self._task)
        except BaseException as exc:  # handed to the thread asking for the outcome, raised there
            self._error = exc
        finally:
            self._finished.release()

    def outcome(self, deadline: Deadline) -> T:
        """The task's result, or its exception raised here as if it had run in this thread. Run here if no worker
        has begun it; else wait at most until `deadline`: TimeoutError with `done()` false if it is still running
        then."""
        if self._claim.acquire(blocking=False):
            try:
                return self._context.run(self._task)
            finally:
                self._finished.release()
        if not self._finished.acquire(timeout=max(deadline.remaining(), 0.0)):
            raise TimeoutError("the overlapped task is still running at the deadline")
        self._finished.release()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]  # the task ran to its end: this is its T

    def cancel(self) -> None:
        """Not needed any more: a worker that has not begun it never will (one that has runs it to its end)."""
        if self._claim.acquire(blocking=False):
            self._finished.release()

    def done(self) -> bool:
        return not self._finished.locked()


class Runnable(Protocol):
    def run(self) -> None: ...


class Workers(Protocol):
    def hand(self, started: Runnable) -> None:
        """Let a worker run `started` when it can (`Started.run`)."""


class Pool:
    """`WORKERS` daemon threads taking tasks from one queue, started with the first task."""

    def __init__(self, size: int = WORKERS, name: str = "spendrail-overlap") -> None:
        self._queue: queue.SimpleQueue[Runnable] = queue.SimpleQueue()
        self._size, self._name = size, name
        self._lock = threading.Lock()
        self._started = False

    def hand(self, started: Runnable) -> None:
        if not self._started:
            self._start_threads()
        self._queue.put(started)

    def _start_threads(self) -> None:
        with self._lock:
            if self._started:
                return
            for i in range(self._size):
                threading.Thread(target=self._work, name=f"{self._name}_{i}", daemon=True).start()
            self._started = True

    def _work(self) -> None:
        take = self._queue.get
        while True:
            take().run()


class Sequential:
    """No workers: each task runs in the thread that first asks for its outcome, then (never, if it was cancelled
    first): the request in its plain one-after-the-other order, as it ran before the overlap (benchmarks, tests)."""

    def hand(self, started: Runnable) -> None:
        pass


_shared = Pool()


def shared() -> Pool:
    """The process's workers (their threads start with the first task)."""
    return _shared


def start[T](workers: Workers, task: Callable[[], T]) -> Started[T]:
    """Hand `task` to `workers`, in a copy of this thread's context (the request's deadline comes along)."""
    started = Started(task)
    workers.hand(started)
    return started
