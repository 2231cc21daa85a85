"""Operator CLI, a thin client of the admin API's service: create a tenant (budget + key), revoke a key, set alert
destinations. The admin API (/v1/admin/...) does the same over HTTP.

    export BUDGET_TABLE_NAME=... TENANT_TABLE_NAME=... ALERTS_TOPIC_ARN=...
    python -m spendrail.tenants.cli create demo-store --daily 10 --monthly 100
    python -m spendrail.tenants.cli alerts demo-store --email ops@shop.example --slack-webhook https://hooks.slack.com/...
    python -m spendrail.tenants.cli revoke srk_...

Uses the standard AWS credential chain (and AWS_ENDPOINT_URL_DYNAMODB / _SNS / _SSM for a local stack).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from spendrail.compose import Components
from spendrail.errors import SpendrailError
from spendrail.policy import BudgetPolicy
from spendrail.settings import Settings
from spendrail.tenants.model import DEFAULT_FALLBACK_MESSAGE, Tenant


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spendrail.tenants.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create or update a tenant and print a new API key")
    create.add_argument("tenant_id")
    create.add_argument("--daily", help="daily cap in USD (default DEFAULT_DAILY_BUDGET)")
    create.add_argument("--monthly", help="monthly cap in USD (default DEFAULT_MONTHLY_BUDGET)")
    create.add_argument("--timezone", default="UTC", help="IANA time zone of the budget windows")
    create.add_argument("--fallback-message", default=DEFAULT_FALLBACK_MESSAGE)
    revoke = commands.add_parser("revoke", help="revoke an API key")
    revoke.add_argument("key")
    alerts = commands.add_parser("alerts", help="set where a tenant's own alerts go (the operator gets all anyway)")
    alerts.add_argument("tenant_id")
    alerts.add_argument("--email", help="subscribe this address to the tenant's alerts (SNS asks it to confirm)")
    alerts.add_argument("--slack-webhook", help="a https://hooks.slack.com/services/... URL, stored as a secret")
    alerts.add_argument("--no-email", action="store_true", help="remove the tenant's e-mail subscription")
    alerts.add_argument("--no-slack", action="store_true", help="remove the tenant's Slack webhook")
    args = parser.parse_args(argv)

    components = Components(Settings.from_env())
    settings, admin = components.settings, components.tenant_admin
    try:
        if args.command == "revoke":
            admin.revoke_secret(args.key)
            print("revoked")
            return 0
        if args.command == "alerts":
            print(set_alert_destinations(components, args))
            return 0
        policy = BudgetPolicy(
            daily_cap_usd=args.daily or settings.default_daily_budget,
            monthly_cap_usd=args.monthly or settings.default_monthly_budget,
            timezone=args.timezone,
        )
        tenant = Tenant(args.tenant_id, args.fallback_message)
        print(admin.onboard(tenant, policy))
    except (SpendrailError, ValidationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def set_alert_destinations(components: Components, args: argparse.Namespace) -> str:
    """Change the destinations given; says what the tenant has now (the webhook never shown)."""
    now = components.alert_destinations.set(
        args.tenant_id,
        email=args.email,
        slack_webhook=args.slack_webhook,
        clear_email=args.no_email,
        clear_slack=args.no_slack,
    )
    email = f"{now.email} (subscribed; SNS sends a confirmation link first)" if now.email else "none"
    slack = "a webhook is stored as a secret" if now.slack else "none"
    return f"alerts for {now.tenant_id}:\n  e-mail  {email}\n  Slack   {slack}"


if __name__ == "__main__":
    sys.exit(main())
