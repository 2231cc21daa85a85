"""An in-memory cosine index over one tenant's use case of the semantic answer cache, kept by a warm Lambda.

Rows are unit-normalized float32 vectors in one matrix, so a search is a single matrix-vector product. Each row
has an `IndexedEntry` holding everything needed to serve a hit from memory. The index is bounded: past
`max_entries` the oldest-created entries are evicted first. Support answers go stale, and a question asked again
is answered afresh and cached with a new `created_at`, so the oldest entries are the least worth keeping.
Not thread-safe: one Lambda instance serves one request at a time.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.floating[Any]]
_F16_LE = np.dtype(np.float16).newbyteorder("<")  # DynamoDB readers on any host
# Per entry beyond its own objects: a list slot, a key->row dict slot and two int64 array cells.
_ROW_OVERHEAD_BYTES = 8 + 100 + 16
_INTS_BYTES = 3 * 32  # cost_nanos, created_at, expires_at: each its own int object
_COMPACT_ROWS = 4096
# Below it 1/norm could overflow float32; no real embedding is anywhere near this short.
_MIN_NORM = 1e-30
# Squared lengths a float32 dot computes accurately: far from float32's overflow and denormals (NaN fails both).
_SAFE_SQUARE = 1e30


@dataclass(frozen=True, slots=True)
class IndexedEntry:
    key: str  # the entry's id
    prompt: str  # the cached question, for the caller's guards
    reply: str
    cost_nanos: int
    model: str
    created_at: int  # ms epoch; also the sync watermark
    expires_at: int  # epoch seconds


def _entry_bytes(entry: IndexedEntry) -> int:
    strings = sum(map(sys.getsizeof, (entry.key, entry.prompt, entry.reply, entry.model)))
    return sys.getsizeof(entry) + strings + _INTS_BYTES + _ROW_OVERHEAD_BYTES


def _scales(matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Per row, the factor scaling it to unit length; 0 for rows near zero or not finite: they match nothing."""
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix, dtype=np.float64))  # float64: squares cannot overflow
    usable = np.isfinite(norms) & (norms > _MIN_NORM)
    inverse: npt.NDArray[np.float64] = np.divide(1.0, norms, out=np.zeros_like(norms), where=usable)
    return inverse.astype(np.float32)


class VectorIndex:
    def __init__(self, dimensions: int, max_entries: int) -> None:
        if dimensions < 1 or max_entries < 1:
            raise ValueError("dimensions and max_entries must be positive")
        self.dimensions = dimensions
        self.max_entries = max_entries
        self._vectors = np.empty((0, dimensions), dtype=np.float32)  # capacity rows; the first len(self) are live
        self._created = np.empty(0, dtype=np.int64)
        self._expires = np.empty(0, dtype=np.int64)
        self._entries: list[IndexedEntry] = []
        self._rows: dict[str, int] = {}
        self._meta_bytes = 0
        self._watermark = 0
        self.evicted = False  # an entry was ever dropped for room: the index no longer holds all it was given

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    @property
    def watermark(self) -> int:
        """The newest `created_at` ever added (0 before any). It never goes back when entries are evicted or
        expire: a sync asking for entries newer than it must not fetch what this index already dropped."""
        return self._watermark

    def advance(self, created_at: int) -> None:
        """Moves the watermark past entries read but not added (another embedder's): no sync fetches them again."""
        self._watermark = max(self._watermark, created_at)

    @property
    def memory_bytes(self) -> int:
        """The allocated arrays plus a rough estimate of the entries' Python objects."""
        return self._vectors.nbytes + self._created.nbytes + self._expires.nbytes + self._meta_bytes

    def add(self, entries: Sequence[IndexedEntry], vectors: Vectors) -> None:
        """Adds entries whose key is not present yet (the first of a repeated key wins). Entries with a zero or
        non-finite vector are not stored (they could match nothing) but still advance the watermark."""
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[1] != self.dimensions:
            raise ValueError(f"expected vectors of {self.dimensions} dimensions, got shape {matrix.shape}")
        if matrix.shape[0] != len(entries):
            raise ValueError(f"{len(entries)} entries but {matrix.shape[0]} vectors")
        if not entries:
            return
        self._watermark = max(self._watermark, *(e.created_at for e in entries))
        scale = _scales(matrix)
        usable = (scale > 0).tolist()  # Python bools: indexing numpy per entry would dominate a first load
        seen: set[str] = set()
        picked: list[int] = []
        for i, entry in enumerate(entries):
            if usable[i] and entry.key not in self._rows and entry.key not in seen:
                seen.add(entry.key)
                picked.append(i)
        size = len(self)
        overflow = size + len(picked) - self.max_entries
        freed: list[int] = []
        if overflow > 0:
            # Oldest-created first among the live rows and the newcomers together: a newcomer older than every
            # row kept is itself dropped.
            created = [entries[i].created_at for i in picked]
            combined = np.concatenate((self._created[:size], np.asarray(created, dtype=np.int64)))
            evicted = np.argpartition(combined, overflow - 1)[:overflow]
            freed = sorted(evicted[evicted < size].tolist())
            dropped = set((evicted[evicted >= size] - size).tolist())
            picked = [i for j, i in enumerate(picked) if j not in dropped]
            for row in freed:
                self._forget(row)
            self.evicted = True
        if not picked:
            return
        # Newcomers fill the evicted rows first, then rows past the end (written in place: no copy of a first load).
        appended = len(picked) - len(freed)
        self._reserve(size + appended)
        rows = np.asarray(freed + list(range(size, size + appended)), dtype=np.intp)
        chosen = np.asarray(picked, dtype=np.intp)
        source = matrix if len(picked) == len(matrix) else matrix[chosen]
        factors = scale[chosen, None]
        self._vectors[rows[: len(freed)]] = source[: len(freed)] * factors[: len(freed)]
        np.multiply(source[len(freed) :], factors[len(freed) :], out=self._vectors[size : size + appended])
        placed = [entries[i] for i in picked]
        self._created[rows] = [e.created_at for e in placed]
        self._expires[rows] = [e.expires_at for e in placed]
        for row, entry in zip(freed, placed, strict=False):
            self._entries[row] = entry
        self._entries.extend(placed[len(freed) :])
        for row, entry in zip(rows.tolist(), placed, strict=True):
            self._rows[entry.key] = row
            self._meta_bytes += _entry_bytes(entry)

    def search(self, query: Vectors, threshold: float, now: int, k: int = 5) -> list[tuple[float, IndexedEntry]]:
        """Up to k unexpired entries (expires_at > now, epoch seconds) with cosine >= threshold, best first."""
        if k < 1:
            raise ValueError("k must be positive")
        q = np.asarray(query, dtype=np.float32)
        if q.shape != (self.dimensions,):
            raise ValueError(f"expected a vector of {self.dimensions} dimensions, got shape {q.shape}")
        if not self._entries:
            return []
        square = float(q @ q)  # one float32 dot; the float64 path only for lengths near float32's limits
        safe = 1 / _SAFE_SQUARE < square < _SAFE_SQUARE
        scale = 1.0 / math.sqrt(square) if safe else float(_scales(q[None, :])[0])
        if scale == 0:
            return []
        scores = self._vectors[: len(self)] @ (q * np.float32(scale))
        hits = np.flatnonzero(scores >= threshold)
        hits = hits[self._expires[hits] > now]
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        hits = hits[np.argsort(-scores[hits], kind="stable")]
        return [(float(scores[row]), self._entries[row]) for row in hits.tolist()]

    def remove_expired(self, now: int) -> int:
        """Drops entries with expires_at <= now; returns how many. Capacity is kept for the entries to come."""
        size = len(self)
        live = self._expires[:size] > now
        keep = np.flatnonzero(live)
        for row in np.flatnonzero(~live).tolist():
            self._meta_bytes -= _entry_bytes(self._entries[row])
        if len(keep) < size:
            count = len(keep)
            # In chunks, so the gather's temporary stays small: safe in place as keep[j] >= j (rows only move up).
            for start in range(0, count, _COMPACT_ROWS):
                part = keep[start : start + _COMPACT_ROWS]
                self._vectors[start : start + len(part)] = self._vectors[part]
            self._created[:count] = self._created[keep]
            self._expires[:count] = self._expires[keep]
            self._entries = [self._entries[row] for row in keep.tolist()]
            self._rows = {entry.key: row for row, entry in enumerate(self._entries)}
        return size - len(keep)

    def _forget(self, row: int) -> None:
        entry = self._entries[row]
        del self._rows[entry.key]
        self._meta_bytes -= _entry_bytes(entry)

    def _reserve(self, rows: int) -> None:
        """Doubles capacity (never past max_entries) so that n single adds cost O(n) copies overall."""
        capacity = self._vectors.shape[0]
        if rows <= capacity:
            return
        capacity = min(self.max_entries, max(rows, 2 * capacity, 16))
        size = len(self)
        vectors = np.empty((capacity, self.dimensions), dtype=np.float32)
        vectors[:size] = self._vectors[:size]
        self._vectors = vectors
        self._created = np.resize(self._created, capacity)
        self._expires = np.resize(self._expires, capacity)


def encode_vector(v: Vectors) -> bytes:
    """Little-endian float16 bytes of the vector scaled to unit length (a DynamoDB binary attribute: 2 bytes per
    dimension). Only the direction matters to the index, and unit length keeps every component in float16's range."""
    q = np.asarray(v, dtype=np.float32)
    if q.ndim != 1 or q.size == 0:
        raise ValueError(f"expected one non-empty vector, got shape {q.shape}")
    unit: npt.NDArray[np.float32] = q * _scales(q[None, :])[0]
    return unit.astype(_F16_LE).tobytes()


def decode_vector(b: bytes, dimensions: int) -> npt.NDArray[np.float32]:
    if dimensions < 1 or len(b) != 2 * dimensions:
        raise ValueError(f"expected {2 * dimensions} bytes for {dimensions} dimensions, got {len(b)}")
    return np.frombuffer(b, dtype=_F16_LE).astype(np.float32)
