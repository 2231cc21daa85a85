"""In-memory TenantDirectory for unit tests."""

from __future__ import annotations

from spendrail.tenants.model import KeyRecord, Tenant


class InMemoryTenantDirectory:
    def __init__(self) -> None:
        self.keys: dict[str, KeyRecord] = {}
        self.tenants: dict[str, Tenant] = {}
        self.lookups = 0

    def key(self, key_hash: str) -> KeyRecord | None:
        self.lookups += 1
        return self.keys.get(key_hash)

    def tenant(self, tenant_id: str) -> Tenant | None:
        return self.tenants.get(tenant_id)

    def put_tenant(self, tenant: Tenant) -> None:
        self.tenants[tenant.tenant_id] = tenant

    def put_key(self, record: KeyRecord) -> None:
        self.keys[record.key_hash] = record
