"""Where a tenant's alerts go besides the operator's channel: its own e-mail and Slack webhook.

The e-mail becomes an SNS e-mail subscription whose filter policy admits only the tenant's alerts (`tenantId`);
the webhook is a secret (SSM SecureString). The tenant's record says which destinations exist, never the URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Protocol

from spendrail.errors import InvalidInputError, TenantNotFoundError
from spendrail.policy import validate_tenant_id
from spendrail.tenants.port import TenantDirectory

_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


@dataclass(frozen=True)
class AlertDestinations:
    tenant_id: str
    email: str | None = None
    email_subscription: str | None = None  # the SNS subscription's ARN, to replace or remove it
    slack: bool = False  # a webhook is stored (in SSM; never here)


class DestinationStore(Protocol):
    def destinations(self, tenant_id: str) -> AlertDestinations: ...

    def put_destinations(self, destinations: AlertDestinations) -> None: ...


class EmailSubscriptions(Protocol):
    def subscribe(self, tenant_id: str, email: str) -> str:
        """Subscribe the address to the tenant's alerts; returns the subscription ARN."""

    def unsubscribe(self, subscription_arn: str) -> None: ...


class WebhookSecrets(Protocol):
    def put_tenant(self, tenant_id: str, url: str) -> None: ...

    def delete_tenant(self, tenant_id: str) -> None: ...


def check_email(email: str) -> str:
    if not _EMAIL.fullmatch(email.strip()):
        raise InvalidInputError(f"{email!r} is not an e-mail address")
    return email.strip()


class Destinations:
    def __init__(
        self,
        directory: TenantDirectory,
        store: DestinationStore,
        emails: EmailSubscriptions,
        webhooks: WebhookSecrets,
    ) -> None:
        self._directory = directory
        self._store = store
        self._emails = emails
        self._webhooks = webhooks

    def of(self, tenant_id: str) -> AlertDestinations:
        """What the tenant has now (the webhook only as "a webhook is stored")."""
        return self._store.destinations(tenant_id)

    def set(
        self,
        tenant_id: str,
        *,
        email: str | None = None,
        slack_webhook: str | None = None,
        clear_email: bool = False,
        clear_slack: bool = False,
    ) -> AlertDestinations:
        """Change what is given and keep the rest; returns what the tenant has now."""
        validate_tenant_id(tenant_id)
        if self._directory.tenant(tenant_id) is None:
            raise TenantNotFoundError(f"no tenant {tenant_id!r}: create it first")
        email = check_email(email) if email is not None else None
        current = self._store.destinations(tenant_id)
        if slack_webhook is not None:
            self._webhooks.put_tenant(tenant_id, slack_webhook)  # checks it is a Slack webhook first
            current = replace(current, slack=True)
        elif clear_slack:
            self._webhooks.delete_tenant(tenant_id)
            current = replace(current, slack=False)
        if (email is not None and email != current.email) or clear_email:
            if current.email_subscription:
                self._emails.unsubscribe(current.email_subscription)
            current = replace(current, email=None, email_subscription=None)
            if email is not None:
                current = replace(current, email=email, email_subscription=self._emails.subscribe(tenant_id, email))
        self._store.put_destinations(current)
        return current
