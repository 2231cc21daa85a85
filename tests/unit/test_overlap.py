"""The hand-off of a request's overlapping waits: a task runs exactly once, on a worker if one has begun it, else in
the thread that asks for its outcome (no thread switch for work that had nothing to overlap with)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from spendrail.chat.overlap import Pool, Sequential, start
from spendrail.deadline import Deadline, current

WAIT = 5.0  # an event's patience: only a broken test ever waits this long


class Recorder:
    def __init__(self) -> None:
        self.threads: list[str] = []
        self.started = threading.Event()
        self.go = threading.Event()
        self.go.set()

    def task(self) -> str:
        self.threads.append(threading.current_thread().name)
        self.started.set()
        assert self.go.wait(WAIT)
        return "done"


class Hold:
    """A task that keeps its worker until released; tasks are run in the order they were handed over."""

    def __init__(self) -> None:
        self.holding, self.release, self.ran = threading.Event(), threading.Event(), threading.Event()

    def run(self) -> None:
        self.holding.set()
        assert self.release.wait(WAIT)
        self.ran.set()


class Busy:
    """One worker, held: nothing handed to it can begin until `drain`, which waits until all handed over has run."""

    def __init__(self) -> None:
        self.pool = Pool(size=1, name="worker")
        self.hold = Hold()
        self.pool.hand(self.hold)
        assert self.hold.holding.wait(WAIT)

    def drain(self) -> None:
        self.hold.release.set()
        last = Hold()
        last.release.set()
        self.pool.hand(last)
        assert last.ran.wait(WAIT)


@pytest.fixture
def busy() -> Iterator[Busy]:
    busy = Busy()
    yield busy
    busy.hold.release.set()


def test_a_task_no_worker_has_begun_runs_in_the_asking_thread_once(busy: Busy) -> None:
    recorder = Recorder()
    started = start(busy.pool, recorder.task)
    assert started.outcome(Deadline.after(WAIT)) == "done"
    assert started.done()
    busy.drain()  # the worker reaches the task now: it finds it taken
    assert recorder.threads == [threading.current_thread().name]


def test_a_task_a_worker_has_begun_is_waited_for_not_run_again() -> None:
    recorder = Recorder()
    recorder.go.clear()
    started = start(Pool(size=1, name="worker"), recorder.task)
    assert recorder.started.wait(WAIT)
    recorder.go.set()
    assert started.outcome(Deadline.after(WAIT)) == "done"
    assert recorder.threads == ["worker_0"]


def test_a_task_still_running_at_the_deadline_times_out_without_being_done() -> None:
    recorder = Recorder()
    recorder.go.clear()
    started = start(Pool(size=1), recorder.task)
    assert recorder.started.wait(WAIT)
    with pytest.raises(TimeoutError):
        started.outcome(Deadline.after(0))
    assert not started.done()
    recorder.go.set()
    assert started.outcome(Deadline.after(WAIT)) == "done"


def test_a_cancelled_task_never_runs(busy: Busy) -> None:
    recorder = Recorder()
    started = start(busy.pool, recorder.task)
    started.cancel()
    busy.drain()
    assert recorder.threads == []
    assert started.done()


def test_a_workers_error_is_raised_in_the_asking_thread() -> None:
    recorder = Recorder()
    recorder.go.clear()

    def failing() -> None:
        recorder.task()
        raise KeyError("from the worker")

    started = start(Pool(size=1, name="worker"), failing)
    assert recorder.started.wait(WAIT)
    recorder.go.set()
    with pytest.raises(KeyError, match="from the worker"):
        started.outcome(Deadline.after(WAIT))
    assert recorder.threads == ["worker_0"]


def test_without_workers_each_task_runs_when_its_outcome_is_asked_for() -> None:
    recorder = Recorder()
    started = start(Sequential(), recorder.task)
    assert recorder.threads == []
    assert started.outcome(Deadline.after(WAIT)) == "done"
    assert recorder.threads == [threading.current_thread().name]


def test_a_task_taken_by_the_asking_thread_raises_its_own_error_and_keeps_the_requests_deadline(busy: Busy) -> None:
    seen: list[Deadline | None] = []

    def failing() -> None:
        seen.append(current())
        raise TimeoutError("the task's own")

    with Deadline.after(7).applied() as deadline:
        started = start(busy.pool, failing)
    with pytest.raises(TimeoutError, match="the task's own"):
        started.outcome(Deadline.after(WAIT))
    assert started.done()  # so a caller tells the task's TimeoutError from a wait that ran out
    assert seen == [deadline]
