"""The package's own exceptions. Adapters translate infrastructure errors into these; the HTTP layer maps them."""

from __future__ import annotations


class SpendrailError(Exception):
    """Base of every error the package raises on purpose."""


class InvalidInputError(SpendrailError, ValueError):
    """Input that no retry can fix (bad tenant id, negative amount, unknown model)."""


class UnknownModelError(InvalidInputError):
    """A model that the pricing catalog does not price: never treated as free."""


class TenantNotFoundError(SpendrailError):
    """The tenant has no budget ledger."""


class StoreUnavailableError(SpendrailError):
    """A DynamoDB-backed store could not be reached or kept throttling after its retries."""


class LedgerError(SpendrailError):
    """The budget store failed in a way the caller cannot fix by changing its input."""


class LedgerThrottledError(LedgerError, StoreUnavailableError):
    """The budget store kept throttling after every retry."""


class LedgerUnavailableError(LedgerError, StoreUnavailableError):
    """The budget store was unreachable or timed out after every retry."""


class LedgerConflictError(LedgerError):
    """Concurrent writers kept changing the ledger item; the operation gave up after bounded retries."""


class LedgerMisconfiguredError(LedgerError):
    """The store rejected the request itself (missing table, invalid expression): a deployment bug."""
