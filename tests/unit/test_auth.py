from __future__ import annotations

import pytest

from spendrail.errors import UnauthorizedError
from spendrail.ledger.memory import InMemoryLedger
from spendrail.policy import BudgetPolicy
from spendrail.tenants.auth import Authenticator
from spendrail.tenants.memory import InMemoryTenantDirectory
from spendrail.tenants.model import Tenant, is_well_formed, key_hash, new_api_key
from spendrail.tenants.provision import provision_tenant, revoke_key

POLICY = BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10")


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def directory() -> InMemoryTenantDirectory:
    return InMemoryTenantDirectory()


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def auth(directory: InMemoryTenantDirectory, ticker: Ticker) -> Authenticator:
    return Authenticator(directory, ttl_seconds=60, negative_ttl_seconds=5, clock=ticker)


def test_keys_carry_32_random_bytes_and_only_their_hash_is_stored(directory: InMemoryTenantDirectory) -> None:
    key = provision_tenant(directory, InMemoryLedger(), Tenant("shop"), POLICY)
    assert is_well_formed(key)
    assert len(key) == 4 + 43
    assert key not in str(directory.keys)
    assert key_hash(key) in directory.keys
    assert new_api_key() != new_api_key()


def test_a_key_resolves_its_tenant_and_is_cached(auth: Authenticator, directory: InMemoryTenantDirectory) -> None:
    key = provision_tenant(directory, InMemoryLedger(), Tenant("shop", "brb"), POLICY)
    assert auth.tenant_for(f"Bearer {key}").tenant_id == "shop"
    assert auth.tenant_for(f"bearer   {key} ").tenant_id == "shop"
    assert directory.lookups == 1  # one read per key, then the cache


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Basic abc", "Bearer srk_short", "Bearer " + "srk_" + "!" * 43, "srk_" + "a" * 43],
)
def test_missing_or_malformed_keys_are_refused_without_a_lookup(
    auth: Authenticator, directory: InMemoryTenantDirectory, header: str | None
) -> None:
    with pytest.raises(UnauthorizedError):
        auth.tenant_for(header)
    assert directory.lookups == 0


def test_unknown_keys_are_refused_and_negatively_cached_briefly(
    auth: Authenticator, directory: InMemoryTenantDirectory, ticker: Ticker
) -> None:
    key = new_api_key()
    for _ in range(3):
        with pytest.raises(UnauthorizedError):
            auth.tenant_for(f"Bearer {key}")
    assert directory.lookups == 1
    ticker.now = 6
    with pytest.raises(UnauthorizedError):
        auth.tenant_for(f"Bearer {key}")
    assert directory.lookups == 2


def test_a_revoked_key_stops_working_within_the_cache_ttl(
    auth: Authenticator, directory: InMemoryTenantDirectory, ticker: Ticker
) -> None:
    key = provision_tenant(directory, InMemoryLedger(), Tenant("shop"), POLICY)
    auth.tenant_for(f"Bearer {key}")  # a warm instance has it cached from t=0
    revoke_key(directory, key)
    ticker.now = 59.9
    assert auth.tenant_for(f"Bearer {key}").tenant_id == "shop"  # the bound, not better: cached answers stand
    ticker.now = 60  # AUTH_CACHE_SECONDS after the lookup: every warm instance looks again, and refuses
    with pytest.raises(UnauthorizedError, match="unknown or revoked"):
        auth.tenant_for(f"Bearer {key}")


def test_the_cache_is_bounded(directory: InMemoryTenantDirectory) -> None:
    auth = Authenticator(directory, max_entries=2)
    keys = [provision_tenant(directory, InMemoryLedger(), Tenant(f"t{i}"), POLICY) for i in range(3)]
    for key in keys:
        auth.tenant_for(f"Bearer {key}")
    assert auth.tenant_for(f"Bearer {keys[0]}").tenant_id == "t0"
    assert directory.lookups == 4  # the first key was evicted and looked up again
