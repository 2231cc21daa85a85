"""In-memory CacheStore for unit tests."""

from __future__ import annotations

from collections import defaultdict

from spendrail.cache.model import CacheScope, StoredAnswer


class InMemoryCacheStore:
    def __init__(self) -> None:
        self.entries: dict[str, dict[str, StoredAnswer]] = defaultdict(dict)
        self.calls = 0
        self.read = 0  # entries returned by since, newest and older: what the Queries would read

    def get(self, scope: CacheScope, key: str) -> StoredAnswer | None:
        self.calls += 1
        return self.entries[scope.partition].get(key)

    def put(self, scope: CacheScope, answer: StoredAnswer) -> None:
        self.calls += 1
        self.entries[scope.partition].setdefault(answer.key, answer)

    def since(self, scope: CacheScope, created_at: int, limit: int) -> list[StoredAnswer]:
        found = sorted((a for a in self.entries[scope.partition].values() if a.created_at > created_at), key=_age)
        return self._read(found[:limit])

    def newest(self, scope: CacheScope, limit: int) -> list[StoredAnswer]:
        return self._read(sorted(self.entries[scope.partition].values(), key=_age)[-limit:])

    def older(self, scope: CacheScope, created_at: int, limit: int) -> list[StoredAnswer]:
        found = sorted((a for a in self.entries[scope.partition].values() if a.created_at <= created_at), key=_age)
        return self._read(found[::-1][:limit])

    def _read(self, found: list[StoredAnswer]) -> list[StoredAnswer]:
        self.calls += 1
        self.read += len(found)
        return found


def _age(answer: StoredAnswer) -> int:
    return answer.created_at
