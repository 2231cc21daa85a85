"""Every exception the package raises on purpose, in one place.

Adapters translate infrastructure errors (botocore, openai, SSM) into these; `spendrail.api.errors` maps each to one
HTTP answer. Nothing outside that map decides a status code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spendrail.ledger.model import LedgerSnapshot
    from spendrail.llm.port import Usage


class SpendrailError(Exception):
    """Base of every error the package raises on purpose."""


# ---- the caller's input ---------------------------------------------------------------------------------------


class InvalidInputError(SpendrailError, ValueError):
    """Input that no retry can fix (bad tenant id, negative amount, unknown model)."""


class BadRequestError(InvalidInputError):
    """A request that cannot be read (no body, not JSON, too large, a field breaks its rule), with field details."""

    def __init__(self, message: str, details: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.details = details or []


class UnsupportedMediaTypeError(InvalidInputError):
    """A body sent with a content type other than JSON."""


class UnknownModelError(InvalidInputError):
    """A model that the pricing catalog does not price: never treated as free."""


class UnauthorizedError(SpendrailError):
    """Missing, malformed, unknown or revoked key: always the same answer, so keys cannot be probed."""


class ForbiddenError(SpendrailError):
    """The request names a tenant other than the one its key belongs to."""


class NotFoundError(SpendrailError):
    """The admin API was asked about a tenant or key that does not exist."""


class TenantNotFoundError(SpendrailError):
    """The tenant has no budget ledger."""


# ---- the budget ----------------------------------------------------------------------------------------------


class BudgetExceededError(SpendrailError):
    """Settled spend leaves no room for this request until the window resets."""

    def __init__(self, snapshot: LedgerSnapshot, retry_after: int, fallback_message: str) -> None:
        super().__init__("the budget for this period is used up")
        self.snapshot = snapshot
        self.retry_after = retry_after
        self.fallback_message = fallback_message


class BudgetBusyError(SpendrailError):
    """Only requests in flight stand in the way; their holds come back within seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("the budget is fully reserved by requests in flight; retry shortly")
        self.retry_after = retry_after


# ---- infrastructure ------------------------------------------------------------------------------------------


class StoreUnavailableError(SpendrailError):
    """A DynamoDB-backed store could not be reached, or kept throttling, within the request's deadline."""


class StoreThrottledError(StoreUnavailableError):
    """A DynamoDB-backed store kept throttling after every retry the time budget allowed."""


class StoreMisconfiguredError(StoreUnavailableError):
    """A store rejected the request itself (missing table, denied access): a deployment bug, not the caller's.

    Unavailable to its callers all the same, so an optional store (the answer cache) is skipped and a required
    one (the tenant directory) answers 503, as when it cannot be reached. The budget ledger has its own.
    """


class AlertPublishError(SpendrailError):
    """An alert could not be handed to the topic; it stays in the outbox and is delivered later."""


class SecretUnavailableError(SpendrailError):
    """A secret the deployment names (SSM parameter) is missing or unreadable: an operator's fix, not the caller's."""


class LedgerError(SpendrailError):
    """The budget store failed in a way the caller cannot fix by changing its input."""


class LedgerThrottledError(LedgerError, StoreThrottledError):
    """The budget store kept throttling after every retry."""


class LedgerUnavailableError(LedgerError, StoreUnavailableError):
    """The budget store was unreachable or timed out after every retry."""


class LedgerConflictError(LedgerError):
    """Concurrent writers kept changing the ledger item; the operation gave up after bounded retries."""


class LedgerMisconfiguredError(LedgerError):
    """The store rejected the request itself (missing table, invalid expression): a deployment bug.

    Not a StoreUnavailableError: no request may go on without its budget, and a broken deployment must surface as
    an internal error that is logged, not as a passing outage.
    """


# ---- the LLM provider ----------------------------------------------------------------------------------------


class UpstreamError(SpendrailError):
    """The LLM call failed. `status` is what the client gets (502/503/504).

    What it cost: `usage` when the provider reported tokens (settle them); else `in_doubt` when the provider may
    have billed without saying what (a timeout after the request was sent, an unreadable 200): the hold is charged
    and recorded as in doubt until reconciliation; else nothing was billed and the hold is released.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        kind: str,
        usage: Usage | None = None,
        in_doubt: bool = False,
        retryable: bool = False,
        retry_after: int | None = None,
        model: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind  # short metric dimension: timeout, rate_limited, credits, unavailable, malformed, ...
        self.usage = usage
        self.in_doubt = in_doubt
        self.retryable = retryable and not in_doubt and usage is None  # nothing generated: one more try is free
        self.retry_after = retry_after
        self.model = model


class ContentRejectedError(SpendrailError):
    """The provider's moderation refused the prompt: the shopper's input, not an outage."""


# ---- alert delivery ------------------------------------------------------------------------------------------


class MalformedAlertError(InvalidInputError):
    """An SNS message that is not an alert as the contract defines it: no retry can fix it (it ends in the DLQ)."""


class SlackUnavailableError(SpendrailError):
    """Slack did not take a post now (429, 5xx, timeout, no connection): the invocation fails so it is retried."""


class SubscriptionError(SpendrailError):
    """SNS refused or could not take a change to a tenant's alert subscriptions (the operator CLI says which)."""


# ---- the scheduled windows run -------------------------------------------------------------------------------


class ProviderAccountError(SpendrailError):
    """OpenRouter's account endpoint (GET /key) could not tell the key's usage: reconciliation waits a run."""


# ---- the budget page -----------------------------------------------------------------------------------------


class DashboardLinkError(SpendrailError):
    """A budget page link that is malformed, tampered with, signed under another secret or expired.

    The page says only "not valid" (a plain 403); `reason` (malformed, signature, expired) is for the log.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"budget page link refused: {reason}")
        self.reason = reason


class DashboardUnavailableError(SpendrailError):
    """The deployment cannot issue budget page links: no signing secret, or no public base URL to link to."""
