"""A tenant's API keys: issued once (only the hash is kept), listed and revoked by id.

Revocation is effective everywhere within the chat function's key cache (AUTH_CACHE_SECONDS, 60 s): a warm instance
that looked the key up just before keeps its answer that long, then looks again and finds it revoked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from spendrail.errors import BadRequestError, NotFoundError
from spendrail.tenants.model import KeyRecord, KeyStatus, is_well_formed, key_hash, new_api_key
from spendrail.tenants.port import TenantRegistry


class TenantKeys:
    def __init__(self, registry: TenantRegistry, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._registry = registry
        self._clock = clock

    def issue(self, tenant_id: str, key: str | None = None) -> tuple[str, str]:
        """A new key for the tenant (or register `key`); returns (key id, key). The key is never kept."""
        if key is not None and not is_well_formed(key):
            raise BadRequestError("an API key is 'srk_' followed by 43 URL-safe base64 characters")
        key = key or new_api_key()
        record = KeyRecord(key_hash(key), tenant_id, KeyStatus.ACTIVE, self._clock().isoformat(timespec="seconds"))
        self._registry.put_key(record)
        return record.key_id, key

    def revoke(self, tenant_id: str, key_id: str) -> None:
        record = next((k for k in self._registry.keys_of(tenant_id) if k.key_id == key_id), None)
        if record is None:
            raise NotFoundError(f"tenant {tenant_id!r} has no key {key_id!r}")
        self._registry.put_key(KeyRecord(record.key_hash, tenant_id, KeyStatus.REVOKED, record.created_at))

    def revoke_secret(self, key: str) -> None:
        """Revoke by the key itself (the operator CLI holds keys, not ids)."""
        record = self._registry.key(key_hash(key)) if is_well_formed(key) else None
        if record is None:
            raise NotFoundError("no such key")
        self.revoke(record.tenant_id, record.key_id)
