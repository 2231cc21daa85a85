"""Where tenants and key hashes live; DynamoDB and in-memory implementations follow it."""

from __future__ import annotations

from typing import Protocol

from spendrail.tenants.model import KeyRecord, Tenant


class TenantDirectory(Protocol):
    def key(self, key_hash: str) -> KeyRecord | None: ...

    def tenant(self, tenant_id: str) -> Tenant | None: ...

    def put_tenant(self, tenant: Tenant) -> None: ...

    def put_key(self, record: KeyRecord) -> None: ...
