"""The answer cache of a warm Lambda instance: exact lookups in DynamoDB, similar ones in a local vector index.

Each (tenant, use case) has its own index, loaded on first use with the newest entries and refreshed every
`refresh_seconds` with only the entries created since the last sync (the cache table's created-index), so an
answer another instance stored is found within that interval. Indexes are bounded (`max_entries` each, oldest
evicted first) and so is their number (`max_indexes`, least recently used dropped).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spendrail.cache.index import IndexedEntry, VectorIndex, decode_vector, encode_vector
from spendrail.cache.model import CacheScope, StoredAnswer
from spendrail.cache.port import CacheStore
from spendrail.cache.rules import Guard, exact_key, guard_reason


@dataclass(frozen=True)
class SimilarAnswer:
    entry: IndexedEntry
    score: float


@dataclass
class _Scoped:
    index: VectorIndex
    synced_at: float  # monotonic time of the last refresh


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
        wall_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self.dimensions = dimensions
        self.embedder = embedder  # the model of the vectors given; entries of any other are never compared
        self._ttl = ttl_seconds
        self._refresh = refresh_seconds
        self._max_entries = max_entries
        self._max_indexes = max_indexes
        self._wall_ms = wall_ms
        self._monotonic = monotonic
        self._indexes: OrderedDict[CacheScope, _Scoped] = OrderedDict()

    def exact(self, scope: CacheScope, prompt: str) -> StoredAnswer | None:
        """The answer stored for this very question (after normalization), if it has not expired."""
        found = self._store.get(scope, exact_key(prompt))
        if found is None or found.expired(self._wall_ms() // 1000):
            return None
        return found

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
        index = self._index(scope)
        for score, entry in index.search(vector, threshold, self._wall_ms() // 1000):
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
        scoped = self._indexes.get(scope)
        if scoped is not None:  # this instance finds it at once; others at their next refresh
            scoped.index.add([self._indexed(answer)], decode_vector(answer.vector, self.dimensions)[None, :])
        return answer

    def _index(self, scope: CacheScope) -> VectorIndex:
        now = self._monotonic()
        scoped = self._indexes.get(scope)
        if scoped is None:
            scoped = _Scoped(VectorIndex(self.dimensions, self._max_entries), now)
            self._load(scoped.index, self._store.newest(scope, self._max_entries))
            self._indexes[scope] = scoped
            if len(self._indexes) > self._max_indexes:
                self._indexes.popitem(last=False)
        elif now - scoped.synced_at >= self._refresh:
            self._load(scoped.index, self._store.since(scope, scoped.index.watermark, self._max_entries))
            scoped.index.remove_expired(self._wall_ms() // 1000)
            scoped.synced_at = now
        self._indexes.move_to_end(scope)
        return scoped.index

    def _load(self, index: VectorIndex, answers: list[StoredAnswer]) -> None:
        usable = [a for a in answers if a.comparable(self.embedder, self.dimensions)]
        if usable:
            vectors = np.stack([decode_vector(a.vector, self.dimensions) for a in usable])
            index.add([self._indexed(a) for a in usable], vectors)
        if answers:  # another embedder's entries are skipped, and never read again
            index.advance(max(a.created_at for a in answers))

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
