"""Onboarding in one call, for the operator CLI, the local stack and tests: the admin service does the work."""

from __future__ import annotations

from spendrail.admin.service import Ledger, TenantAdmin
from spendrail.policy import BudgetPolicy
from spendrail.tenants.keys import TenantKeys
from spendrail.tenants.model import Tenant
from spendrail.tenants.port import TenantRegistry


def provision_tenant(
    registry: TenantRegistry, ledger: Ledger, tenant: Tenant, policy: BudgetPolicy, key: str | None = None
) -> str:
    """Create or update the tenant and its budget, and register `key` (or a new one); returns the key."""
    return TenantAdmin(ledger, registry).onboard(tenant, policy, key)


def revoke_key(registry: TenantRegistry, key: str) -> None:
    TenantKeys(registry).revoke_secret(key)
