"""Resolves a request's tenant from its bearer key, with a short in-memory cache per Lambda instance."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

from spendrail.errors import UnauthorizedError
from spendrail.tenants.model import KeyStatus, Tenant, is_well_formed, key_hash
from spendrail.tenants.port import TenantDirectory


@dataclass(frozen=True)
class _Entry:
    stored_hash: str | None
    tenant: Tenant | None
    expires: float


class Authenticator:
    """Keys are looked up by hash and cached for `ttl` seconds: a revoked key stops working within `ttl`."""

    def __init__(
        self,
        directory: TenantDirectory,
        *,
        ttl_seconds: float = 60.0,
        negative_ttl_seconds: float = 5.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._directory = directory
        self._ttl = ttl_seconds
        self._negative_ttl = negative_ttl_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._cache: dict[str, _Entry] = {}

    def tenant_for(self, authorization: str | None) -> Tenant:
        scheme, _, key = (authorization or "").strip().partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not is_well_formed(key):
            raise UnauthorizedError("missing or malformed API key: send 'Authorization: Bearer <key>'")
        digest = key_hash(key)
        entry = self._cache.get(digest)
        now = self._clock()
        if entry is None or entry.expires <= now:
            entry = self._load(digest, now)
        # The lookup was by hash; comparing the stored hash in constant time keeps timing independent of the key.
        if entry.tenant is None or entry.stored_hash is None or not hmac.compare_digest(entry.stored_hash, digest):
            raise UnauthorizedError("unknown or revoked API key")
        return entry.tenant

    def _load(self, digest: str, now: float) -> _Entry:
        record = self._directory.key(digest)
        # One read: the profile (fallback message) is only needed on a refusal, and is fetched then.
        tenant = Tenant(record.tenant_id) if record is not None and record.status is KeyStatus.ACTIVE else None
        ttl = self._ttl if tenant is not None else self._negative_ttl
        entry = _Entry(record.key_hash if record else None, tenant, now + ttl)
        if len(self._cache) >= self._max_entries:
            self._cache.clear()  # bounded memory; a full reload costs one lookup per key
        self._cache[digest] = entry
        return entry
