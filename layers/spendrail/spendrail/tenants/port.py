"""Where tenants and key hashes live; DynamoDB and in-memory implementations follow it."""

from __future__ import annotations

from typing import Protocol

from spendrail.tenants.model import KeyRecord, Tenant


class TenantDirectory(Protocol):
    def key(self, key_hash: str) -> KeyRecord | None: ...

    def tenant(self, tenant_id: str) -> Tenant | None: ...

    def put_tenant(self, tenant: Tenant) -> None: ...

    def put_key(self, record: KeyRecord) -> None: ...


class TenantRegistry(TenantDirectory, Protocol):
    """What the admin API needs beyond lookups: every tenant, and every key of a tenant."""

    def tenants(self, limit: int, cursor: str | None) -> tuple[list[Tenant], str | None]:
        """Tenants in id order, `limit` at most, after `cursor`; and the cursor of the next page (None at the end)."""

    def keys_of(self, tenant_id: str) -> list[KeyRecord]:
        """The tenant's keys (active and revoked), oldest first."""
