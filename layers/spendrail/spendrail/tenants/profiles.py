"""A tenant's settings (fallback message, cache rules), read once a minute per instance rather than per request."""

from __future__ import annotations

import time
from collections.abc import Callable

from spendrail.tenants.model import Tenant
from spendrail.tenants.port import TenantDirectory


class Profiles:
    def __init__(
        self,
        directory: TenantDirectory | None,
        *,
        ttl_seconds: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._directory = directory
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._cache: dict[str, tuple[Tenant, float]] = {}

    def of(self, tenant: Tenant) -> Tenant:
        """The stored profile of `tenant`, or `tenant` itself (defaults) when none is stored."""
        if self._directory is None:
            return tenant
        now = self._monotonic()
        cached = self._cache.get(tenant.tenant_id)
        if cached is None or cached[1] <= now:
            cached = (self._directory.tenant(tenant.tenant_id) or tenant, now + self._ttl)
            self._cache[tenant.tenant_id] = cached
        return cached[0]
