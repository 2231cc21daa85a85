"""Cached answers and where they belong: one tenant's one use case, never shared across either."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Similarity:
    """How an embedder's cosine scores are read: the default threshold of a hit (a tenant's own wins) and the score
    from which the judge is not asked in `JudgeMode.BAND`. Measured on the evaluation set (docs/cache-eval.md)."""

    threshold: float
    certain: float


SIMILARITY = {
    "local": Similarity(threshold=0.75, certain=0.95),  # all-MiniLM-L6-v2: docs/cache-eval.md
    "openrouter": Similarity(threshold=0.85, certain=0.95),  # text-embedding-3-small
}


class JudgeMode(StrEnum):
    """When a tenant's similar answers are put to the judge model (cache/judge.py): never, only below certainty
    (the default), or always."""

    OFF = "off"
    BAND = "band"
    ALWAYS = "always"


class Expected(StrEnum):
    """What this instance's index says an exact lookup will find (`AnswerCache.expected`)."""

    HIT = "hit"  # the index holds the question: the lookup almost surely finds it
    MISS = "miss"  # the index holds every entry up to its last refresh, and not this one: almost surely new
    UNSURE = "unsure"  # no index yet, still loading, or entries were evicted


@dataclass(frozen=True)
class CacheScope:
    tenant_id: str
    use_case: str
    # Set when the chatbot sent its own system prompt or named a model: answers made under other instructions, or by
    # another model than the one asked for, are never shared with it (a hash of both; "" for the use case's own).
    variant: str = ""

    @property
    def partition(self) -> str:
        base = f"TENANT#{self.tenant_id}#UC#{self.use_case}"
        return f"{base}#V#{self.variant}" if self.variant else base


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
