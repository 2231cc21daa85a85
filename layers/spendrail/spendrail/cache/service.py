"""The answer cache of a warm Lambda instance: exact lookups in DynamoDB, similar ones in a local vector index.

Each (tenant, use case) has its own index. Its first use loads the newest `first_load` entries (1,000) on the
request's path; the older ones, up to `max_entries`, are read in the background, `first_load` more after each
request until the index is full or nothing older is left, so no request waits for a large index to be built. Every
`refresh_seconds` a request that finds its index stale starts a refresh in the background (a Query of the entries
created since the last one, the cache table's created-index) and searches the index as it is: an answer another
instance stored is found within about that interval (this instance's own answers at once). When the index holds
all of the scope's entries, a due refresh is instead made by the exact lookup, on the request's path, in place of
its GetItem (`exact`): one read does both. At most one update per index is in flight. Indexes are bounded
(`max_entries` each, oldest evicted first), and so are their number (`max_indexes`) and their memory together
(`max_bytes`, the indexes' own accounting): past either, the least recently used indexes are dropped (never the one
in use; a dropped index is loaded again on its next use).

In Lambda a background update runs while the request that started it is being served (mostly while it waits for
the model) and, if not done when the answer is returned, resumes with the instance's next request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from spendrail.cache.index import IndexedEntry, VectorIndex, decode_vector, encode_vector
from spendrail.cache.model import CacheScope, Expected, StoredAnswer
from spendrail.cache.port import CacheStore
from spendrail.cache.rules import Guard, exact_key, guard_reason

logger = logging.getLogger(__name__)

Task = Callable[[], None]
Executor = Callable[[Task], object]
"""Runs a task, later and on another thread in production; tests pass one that runs it inline or on demand."""

# An entry's created_at is taken before its PutItem: one stored by another instance may become visible up to this
# long after its created_at (an operation's DynamoDB budget is 2.5 s at most). A refresh reads again from that long
# before its previous read, never from before the newest entry seen: a tenant with no new entries reads nothing.
SETTLE_MS = 3_000
FIRST_LOAD = 1_000

_workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="spendrail-cache")


def in_background(task: Task) -> object:
    """The default executor: two threads shared by every index of the process."""
    return _workers.submit(task)


@dataclass(frozen=True)
class SimilarAnswer:
    entry: IndexedEntry
    score: float


@dataclass
class _Scoped:
    index: VectorIndex
    synced_at: float  # monotonic time the last refresh was started
    after_ms: int  # the next refresh reads the entries created after this (ms)
    older_than: int | None  # the backfill reads entries created at or before this; None once done
    lock: threading.Lock = field(default_factory=threading.Lock)  # the index, between requests and updates
    busy: bool = False  # an update is in flight


class AnswerCache:
    def __init__(
        self,
        store: CacheStore,
        *,
        dimensions: int,
        ttl_seconds: int,
        refresh_seconds: float,
        max_entries: int,
        embedder: str = "",
        max_indexes: int = 64,
        max_bytes: int | None = None,
        first_load: int = FIRST_LOAD,
        executor: Executor = in_background,
        wall_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if first_load < 1:
            raise ValueError("first_load must be positive")
        self._store = store
        self.dimensions = dimensions
        self.embedder = embedder  # the model of the vectors given; entries of any other are never compared
        self._ttl = ttl_seconds
        self._refresh = refresh_seconds
        self._max_entries = max_entries
        self._max_indexes = max_indexes
        self._max_bytes = max_bytes
        self._first_load = min(first_load, max_entries)
        self._executor = executor
        self._wall_ms = wall_ms
        self._monotonic = monotonic
        self._indexes: OrderedDict[CacheScope, _Scoped] = OrderedDict()
        self._lock = threading.Lock()  # the dictionary of indexes

    def exact(self, scope: CacheScope, prompt: str) -> StoredAnswer | None:
        """The answer stored for this very question (after normalization), if it has not expired.

        One read: a GetItem of its key, or, when the scope's index is complete, does not hold the question and is
        due a refresh, that refresh (a Query of the entries stored since the last one) done here instead of in the
        background: an entry of this key stored before it would be in the index, so the Query answers both."""
        key = exact_key(prompt)
        scoped = self._claim_refresh(scope, key)
        if scoped is None:
            found = self._store.get(scope, key)
        else:
            try:
                answers = self._refresh_now(scope, scoped)
            finally:
                with scoped.lock:
                    scoped.busy = False
            found = next((a for a in answers if a.key == key), None)
        if found is None or found.expired(self._wall_ms() // 1000):
            return None
        return found

    def expected(self, scope: CacheScope, prompt: str) -> Expected:
        """What this instance's index says the exact lookup will find. HIT: it holds the question (no embedding is
        needed). MISS: it holds every entry stored up to its last refresh and not this question, so the reserve need
        not wait for the lookup. UNSURE: not loaded, not complete (still loading, or entries were evicted)."""
        with self._lock:
            scoped = self._indexes.get(scope)
        if scoped is None:
            return Expected.UNSURE
        with scoped.lock:
            if exact_key(prompt) in scoped.index:
                return Expected.HIT
            return Expected.MISS if self._complete(scoped) else Expected.UNSURE

    def _complete(self, scoped: _Scoped) -> bool:
        """Whether the index holds every unexpired entry stored up to its last refresh (its lock held)."""
        index = scoped.index
        return scoped.older_than is None and not index.evicted and len(index) < self._max_entries

    def _claim_refresh(self, scope: CacheScope, key: str) -> _Scoped | None:
        """The scope's index, claimed for a refresh on the request's path when one is due and would also answer the
        exact lookup of `key` (see `exact`); None: look the key up by itself."""
        now = self._monotonic()
        with self._lock:
            scoped = self._indexes.get(scope)
        if scoped is None:
            return None
        with scoped.lock:
            due = now - scoped.synced_at >= self._refresh and not scoped.busy
            if not (due and self._complete(scoped) and key not in scoped.index):
                return None
            scoped.busy = True
            scoped.synced_at = now
        return scoped

    def similar(
        self,
        scope: CacheScope,
        prompt: str,
        vector: npt.NDArray[np.float32],
        threshold: float,
        *,
        guard: Guard = guard_reason,
    ) -> SimilarAnswer | None:
        """The closest stored answer above `threshold` that `guard` (the tenant's guard rules) does not reject."""
        scoped = self._scoped(scope)
        with scoped.lock:
            found = scoped.index.search(vector, threshold, self._wall_ms() // 1000)
        for score, entry in found:
            if guard(prompt, entry.prompt) is None:
                return SimilarAnswer(entry, score)
        return None

    def store(
        self, scope: CacheScope, prompt: str, reply: str, model: str, cost_nanos: int, vector: npt.NDArray[np.float32]
    ) -> StoredAnswer:
        now_ms = self._wall_ms()
        answer = StoredAnswer(
            key=exact_key(prompt),
            prompt=prompt,
            reply=reply,
            model=model,
            cost_nanos=cost_nanos,
            created_at=now_ms,
            expires_at=now_ms // 1000 + self._ttl,
            vector=encode_vector(vector),
            embedder=self.embedder,
        )
        self._store.put(scope, answer)
        with self._lock:
            scoped = self._indexes.get(scope)
        if scoped is not None:  # this instance finds it at once; others at their next refresh
            row = decode_vector(answer.vector, self.dimensions)[None, :]
            with scoped.lock:
                scoped.index.add([self._indexed(answer)], row)
        return answer

    def _scoped(self, scope: CacheScope) -> _Scoped:
        """The scope's index as it is now; loads its newest entries if it has none, starts an update if due."""
        now = self._monotonic()
        with self._lock:
            scoped = self._indexes.get(scope)
            if scoped is not None:
                self._indexes.move_to_end(scope)
        if scoped is None:
            started = self._wall_ms()
            answers = self._store.newest(scope, self._first_load)
            scoped = _Scoped(VectorIndex(self.dimensions, self._max_entries), now, started - SETTLE_MS, None)
            self._load(scoped, answers)
            scoped.after_ms = min(scoped.after_ms, scoped.index.watermark)
            if len(answers) == self._first_load and self._first_load < self._max_entries:
                scoped.older_than = min(a.created_at for a in answers)
            with self._lock:
                self._indexes[scope] = scoped
            self._trim()
        else:
            stale = now - scoped.synced_at >= self._refresh
            with scoped.lock:
                start = (stale or scoped.older_than is not None) and not scoped.busy
                if start:
                    scoped.busy = True
                    if stale:
                        scoped.synced_at = now
            if start:
                self._executor(lambda: self._update(scope, scoped, refresh=stale))
        return scoped

    def _update(self, scope: CacheScope, scoped: _Scoped, *, refresh: bool) -> None:
        """A background update: the entries created since the last refresh, then one more part of the backfill."""
        try:
            if refresh:
                self._refresh_now(scope, scoped)
            if scoped.older_than is not None:
                self._backfill(scope, scoped, scoped.older_than)
        except Exception:  # the cache only saves money: the index stays as it was and the next request tries again
            logger.warning("cache index update failed for %s", scope.partition, exc_info=True)
        finally:
            with scoped.lock:
                scoped.busy = False

    def _refresh_now(self, scope: CacheScope, scoped: _Scoped) -> list[StoredAnswer]:
        """Reads the entries stored since the last refresh into the index; returns them."""
        started = self._wall_ms()
        answers = self._store.since(scope, scoped.after_ms, self._max_entries)
        self._load(scoped, answers)
        with scoped.lock:
            scoped.index.remove_expired(started // 1000)
            if len(answers) == self._max_entries:  # cut short: read again from the last millisecond received
                newest = max(a.created_at for a in answers)
                scoped.after_ms = max(scoped.after_ms, newest - 1)
            else:
                scoped.after_ms = max(scoped.after_ms, min(scoped.index.watermark, started - SETTLE_MS))
        return answers

    def _backfill(self, scope: CacheScope, scoped: _Scoped, older_than: int) -> None:
        answers = self._store.older(scope, older_than, self._first_load)
        self._load(scoped, answers)
        with scoped.lock:
            full = len(scoped.index) >= self._max_entries
        oldest = min((a.created_at for a in answers), default=older_than)
        done = full or len(answers) < self._first_load
        # The next part starts at the oldest millisecond read (it may hold more entries), or before it if the
        # whole part was that one millisecond.
        scoped.older_than = None if done else (oldest if oldest < older_than else oldest - 1)

    def _trim(self) -> None:
        """Drops the least recently used indexes while there are too many or they hold too much memory together;
        the most recently used one always stays."""
        with self._lock:
            while len(self._indexes) > 1:
                over_count = len(self._indexes) > self._max_indexes
                over_bytes = self._max_bytes is not None and self.memory_bytes() > self._max_bytes
                if not (over_count or over_bytes):
                    break
                self._indexes.popitem(last=False)

    @property
    def index_count(self) -> int:
        return len(self._indexes)

    def memory_bytes(self) -> int:
        """What the indexes hold together, by their own accounting."""
        return sum(scoped.index.memory_bytes for scoped in list(self._indexes.values()))

    def _load(self, scoped: _Scoped, answers: list[StoredAnswer]) -> None:
        usable = [a for a in answers if a.comparable(self.embedder, self.dimensions)]
        entries = [self._indexed(a) for a in usable]
        vectors = np.stack([decode_vector(a.vector, self.dimensions) for a in usable]) if usable else None
        with scoped.lock:
            if vectors is not None:
                scoped.index.add(entries, vectors)
            if answers:  # another embedder's entries are skipped, and never read again
                scoped.index.advance(max(a.created_at for a in answers))
        if usable and self._max_bytes is not None:
            self._trim()

    @staticmethod
    def _indexed(answer: StoredAnswer) -> IndexedEntry:
        return IndexedEntry(
            key=answer.key,
            prompt=answer.prompt,
            created_at=answer.created_at,
            expires_at=answer.expires_at,
            reply=answer.reply,
            cost_nanos=answer.cost_nanos,
            model=answer.model,
        )
