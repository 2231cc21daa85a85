"""In-memory TenantDirectory for unit tests."""

from __future__ import annotations

from spendrail.tenants.model import KeyRecord, Tenant


class InMemoryTenantDirectory:
    def __init__(self) -> None:
        self.keys: dict[str, KeyRecord] = {}
        self.profiles: dict[str, Tenant] = {}
        self.lookups = 0

    def key(self, key_hash: str) -> KeyRecord | None:
        self.lookups += 1
        return self.keys.get(key_hash)

    def tenant(self, tenant_id: str) -> Tenant | None:
        return self.profiles.get(tenant_id)

    def put_tenant(self, tenant: Tenant) -> None:
        self.profiles[tenant.tenant_id] = tenant

    def put_key(self, record: KeyRecord) -> None:
        self.keys[record.key_hash] = record

    def tenants(self, limit: int, cursor: str | None) -> tuple[list[Tenant], str | None]:
        ids = sorted(t for t in self.profiles if cursor is None or t > cursor)
        page = [self.profiles[t] for t in ids[:limit]]
        return page, (page[-1].tenant_id if len(ids) > limit else None)

    def keys_of(self, tenant_id: str) -> list[KeyRecord]:
        mine = [k for k in self.keys.values() if k.tenant_id == tenant_id]
        return sorted(mine, key=lambda k: (k.created_at, k.key_hash))
