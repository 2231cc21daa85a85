"""Who may call the admin API: AWS_IAM in AWS (API Gateway signs the caller in), a bearer ADMIN_TOKEN locally.

In AWS the admin routes carry an AWS_IAM route authorizer, so API Gateway has verified a SigV4 signature before the
function runs and puts the caller in `requestContext.authorizer.iam`; the function still checks it is there, so a
route deployed without the authorizer refuses everyone instead of admitting everyone. Locally (and only where
`ADMIN_TOKEN` is set) a bearer token stands in for it. A tenant's chat key never works here: it is not the admin
token, and chat keys have their own format (`srk_`), which the chat function's check requires and admin tokens lack.
"""

from __future__ import annotations

import hmac
import secrets

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from spendrail.errors import UnauthorizedError

ADMIN_TOKEN_PREFIX = "sra_"  # noqa: S105 - a prefix, not a secret


def new_admin_token() -> str:
    """A local admin token: never a chat key's shape (`srk_`), so neither can pass for the other."""
    return ADMIN_TOKEN_PREFIX + secrets.token_urlsafe(32)


class AdminAuth:
    def __init__(self, admin_token: str = "") -> None:
        self._token = admin_token

    def check(self, event: APIGatewayProxyEventV2) -> None:
        authorizer = event.raw_event.get("requestContext", {}).get("authorizer") or {}
        if authorizer.get("iam"):
            return  # API Gateway verified the caller's SigV4 signature against IAM
        scheme, _, presented = (event.headers.get("authorization") or "").strip().partition(" ")
        if (
            not self._token
            or scheme.lower() != "bearer"
            or not hmac.compare_digest(presented.strip().encode(), self._token.encode())
        ):
            raise UnauthorizedError("admin credentials required")
