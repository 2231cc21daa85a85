"""Where cached answers are kept; DynamoDB and in-memory implementations follow it."""

from __future__ import annotations

from typing import Protocol

from spendrail.cache.model import CacheScope, StoredAnswer


class CacheStore(Protocol):
    def get(self, scope: CacheScope, key: str) -> StoredAnswer | None: ...

    def put(self, scope: CacheScope, answer: StoredAnswer) -> None:
        """Keep the first answer for a key: a concurrent second one is dropped, not an error."""

    def since(self, scope: CacheScope, created_at: int, limit: int) -> list[StoredAnswer]:
        """Entries created after `created_at` (ms), oldest first, at most `limit`."""

    def newest(self, scope: CacheScope, limit: int) -> list[StoredAnswer]:
        """The `limit` most recently created entries, oldest first."""

    def older(self, scope: CacheScope, created_at: int, limit: int) -> list[StoredAnswer]:
        """Entries created at or before `created_at` (ms), newest first, at most `limit`."""
