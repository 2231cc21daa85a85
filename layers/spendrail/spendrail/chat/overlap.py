"""A small shared thread pool for the waits of one request that may overlap (the embedding beside the exact
lookup and the reserve, the cache write beside the settle).

One Lambda instance serves one request at a time, so a few workers are plenty; the pool is created on first use and
lives as long as the process (a SnapStart snapshot taken before any request holds no threads). Every task runs in a
copy of the submitting thread's context, so the request's deadline (`spendrail.deadline.current()`) bounds the
DynamoDB calls a worker makes just as it does in the handler's thread. Tasks never wait on other tasks of the pool,
so it cannot deadlock however many callers share it.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from spendrail.deadline import Deadline

WORKERS = 4

_P = ParamSpec("_P")
_T = TypeVar("_T")

_lock = threading.Lock()
_pool: list[ThreadPoolExecutor] = []  # at most one, created on first use


def shared() -> Executor:
    """The process's pool, created on first use."""
    with _lock:
        if not _pool:
            _pool.append(ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="spendrail-overlap"))
        return _pool[0]


def start[T](executor: Executor, task: Callable[[], T]) -> Future[T]:
    """Run `task` on `executor` in a copy of this thread's context (the request's deadline comes along)."""
    return executor.submit(contextvars.copy_context().run, task)


def outcome[T](future: Future[T], deadline: Deadline) -> T:
    """The task's result, or its exception raised here as if the task had run in this thread, waiting at most until
    `deadline`: TimeoutError with `future.done()` false if it is still running then."""
    return future.result(timeout=deadline.remaining())


class Sequential(Executor):
    """Runs each task in the thread that first asks for its outcome, then (never, if it was cancelled first): the
    request in its plain one-after-the-other order, as it ran before the overlap (benchmarks, tests)."""

    def submit(self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> Future[_T]:
        return _Deferred(lambda: fn(*args, **kwargs))


class _Deferred[T](Future[T]):
    def __init__(self, task: Callable[[], T]) -> None:
        super().__init__()
        self._task = task

    def result(self, timeout: float | None = None) -> T:
        if not self.done() and self.set_running_or_notify_cancel():
            try:
                value = self._task()
            except BaseException as exc:  # handed to the caller below, as a pool would hand it over
                self.set_exception(exc)
            else:
                self.set_result(value)
        return super().result(timeout)
