"""Cached answers and where they belong: one tenant's one use case, never shared across either."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CacheScope:
    tenant_id: str
    use_case: str

    @property
    def partition(self) -> str:
        return f"TENANT#{self.tenant_id}#UC#{self.use_case}"


@dataclass(frozen=True)
class StoredAnswer:
    key: str  # exact-match key: hash of the normalized prompt
    prompt: str
    reply: str
    model: str
    cost_nanos: int  # what the answer cost when it was generated: what a hit saves
    created_at: int  # ms since the epoch; also the index's sync watermark
    expires_at: int  # s since the epoch; DynamoDB's TTL removes it later, reads check it now
    vector: bytes  # float16 little-endian embedding
    embedder: str = ""  # the embedding model that made `vector`; "" on entries stored before it was recorded

    def expired(self, now_s: int) -> bool:
        return self.expires_at <= now_s

    def comparable(self, embedder: str, dimensions: int) -> bool:
        """Whether `vector` can be compared with vectors of `embedder` at `dimensions`. Vectors of another model
        or another length never are (their cosines mean nothing); an entry stored before the embedder was
        recorded is judged by its length alone."""
        return len(self.vector) == 2 * dimensions and self.embedder in ("", embedder)
