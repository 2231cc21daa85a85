"""Creating a tenant: its profile, its budget and an API key (returned once, stored only as a hash)."""

from __future__ import annotations

from spendrail.errors import InvalidInputError
from spendrail.ledger.port import BudgetLedger
from spendrail.policy import BudgetPolicy, validate_tenant_id
from spendrail.tenants.model import KeyRecord, KeyStatus, Tenant, is_well_formed, key_hash, new_api_key
from spendrail.tenants.port import TenantDirectory


def provision_tenant(
    directory: TenantDirectory, ledger: BudgetLedger, tenant: Tenant, policy: BudgetPolicy, key: str | None = None
) -> str:
    """Create or update the tenant and its budget, and register `key` (or a new one); returns the key."""
    validate_tenant_id(tenant.tenant_id)
    if key is not None and not is_well_formed(key):
        raise InvalidInputError("an API key is 'srk_' followed by 43 URL-safe base64 characters")
    key = key or new_api_key()
    directory.put_tenant(tenant)
    ledger.put_policy(tenant.tenant_id, policy)
    directory.put_key(KeyRecord(key_hash(key), tenant.tenant_id, KeyStatus.ACTIVE))
    return key


def revoke_key(directory: TenantDirectory, key: str) -> None:
    record = directory.key(key_hash(key))
    if record is not None:
        directory.put_key(KeyRecord(record.key_hash, record.tenant_id, KeyStatus.REVOKED))
