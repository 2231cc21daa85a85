"""Tenants and their API keys. A key is shown once at creation; only its SHA-256 is ever stored."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from spendrail.cache.model import JudgeMode

KEY_PREFIX = "srk_"
# 32 random bytes -> 43 characters of URL-safe base64.
_KEY_FORMAT = re.compile(r"^srk_[A-Za-z0-9_-]{43}$")
DEFAULT_FALLBACK_MESSAGE = (
    "Our assistant is taking a short break. Please leave your question with our support team and we will get back "
    "to you soon."
)


class KeyStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


DEFAULT_CACHE_THRESHOLD = 0.85  # for OpenRouter's text-embedding-3-small; each embedder has its own (settings)


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    fallback_message: str = DEFAULT_FALLBACK_MESSAGE
    cache_threshold: float | None = None  # cosine similarity a cached answer needs; None: the embedder's default
    uncacheable_use_cases: frozenset[str] = frozenset()
    # The merchant's own products and brands: a cached answer is served only for a question naming the same ones.
    cache_vocabulary: tuple[str, ...] = ()
    # When a similar answer is put to the judge model first: below certainty (default), always, or never.
    cache_judge: JudgeMode = JudgeMode.BAND


@dataclass(frozen=True)
class KeyRecord:
    key_hash: str
    tenant_id: str
    status: KeyStatus
    created_at: str = ""  # ISO 8601 UTC; empty for keys created before it was kept

    @property
    def key_id(self) -> str:
        """How the admin API names a key: a prefix of its hash (the key itself is never kept)."""
        return key_id_of(self.key_hash)


def key_id_of(digest: str) -> str:
    return digest[:16]


def new_api_key() -> str:
    """A new tenant API key: 32 bytes from the OS's CSPRNG."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def is_well_formed(key: str) -> bool:
    return bool(_KEY_FORMAT.fullmatch(key))


def key_hash(key: str) -> str:
    """SHA-256 hex: keys carry 256 bits of entropy, so a fast hash is enough (no guessing to slow down)."""
    return hashlib.sha256(key.encode("ascii")).hexdigest()
