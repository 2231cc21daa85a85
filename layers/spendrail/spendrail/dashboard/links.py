"""Signed, expiring links to a tenant's budget page: whoever holds the link sees that tenant's page, no login.

A token is base64url(payload) "." base64url(HMAC-SHA256(secret, purpose + payload)), the payload being a version
byte, the expiry (Unix seconds, 8 bytes big-endian) and the tenant id (UTF-8). The signature is checked in constant
time before anything in the payload is believed; the expiry is inside the signed bytes, so it cannot be extended.
Changing the secret invalidates every link issued under it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools import Logger

from spendrail.errors import DashboardLinkError, DashboardUnavailableError, InvalidInputError, SpendrailError

logger = Logger(child=True)  # a child of the handler's Powertools Logger: JSON, with the request's keys

DEFAULT_LIFETIME = timedelta(days=7)
MAX_LIFETIME = timedelta(days=90)
MIN_SECRET_CHARS = 32  # 32 random characters or more: guessing the key is no shortcut to forging a link
_VERSION = 1
_HEADER = struct.Struct(">BQ")  # version, expiry in Unix seconds
_PURPOSE = b"spendrail/budget-page-link\x00"  # a MAC made with this secret for another purpose never verifies here
_MAX_TOKEN_CHARS = 512  # a tenant id is at most 64 characters; anything longer is not ours
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    if not _BASE64URL.fullmatch(text):
        raise DashboardLinkError("malformed")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise DashboardLinkError("malformed") from exc
    if _encode(raw) != text:  # one spelling per token: unused trailing bits must be zero
        raise DashboardLinkError("malformed")
    return raw


class DashboardLinks:
    """Issues and verifies budget page links. `secret` is read per use (compose.secret caches SSM for minutes)."""

    def __init__(
        self,
        secret: Callable[[], str],
        base_url: str,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._secret = secret
        self._base_url = base_url.rstrip("/")
        self._clock = clock

    def issue(
        self, tenant_id: str, now: datetime, lifetime: timedelta = DEFAULT_LIFETIME, *, fallback_url: str | None = None
    ) -> tuple[str, datetime]:
        """The page's URL, `<base_url>/dashboard?t=<token>`, and when it stops working (UTC, whole seconds).

        The configured PUBLIC_BASE_URL (a custom domain) wins; without one, `fallback_url` (the host an admin request
        came in on: in AWS the API's own URL, which the template cannot give a route of the API)."""
        if not timedelta(minutes=1) <= lifetime <= MAX_LIFETIME:
            raise InvalidInputError(f"a budget page link lives from one minute to {MAX_LIFETIME.days} days")
        if not tenant_id or len(tenant_id) > 64:
            raise InvalidInputError("a tenant id has 1 to 64 characters")
        root = (self._base_url or fallback_url or "").rstrip("/")
        if not root:
            raise DashboardUnavailableError("no public base URL to link to (PUBLIC_BASE_URL)")
        expires = int((now + lifetime).timestamp())
        payload = _HEADER.pack(_VERSION, expires) + tenant_id.encode("utf-8")
        token = f"{_encode(payload)}.{_encode(self._mac(payload))}"
        return f"{root}/dashboard?t={token}", datetime.fromtimestamp(expires, UTC)

    def verify(self, token: str, now: datetime) -> str:
        """The tenant a link was issued for; DashboardLinkError if it is malformed, tampered with or expired."""
        return self.check(token, now)[0]

    def check(self, token: str, now: datetime) -> tuple[str, datetime]:
        """As verify, with the link's expiry (UTC) too."""
        if not token or len(token) > _MAX_TOKEN_CHARS or token.count(".") != 1:
            raise DashboardLinkError("malformed")
        encoded_payload, encoded_mac = token.split(".")
        payload, mac = _decode(encoded_payload), _decode(encoded_mac)
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise DashboardLinkError("signature")
        if len(payload) <= _HEADER.size:
            raise DashboardLinkError("malformed")
        version, expires = _HEADER.unpack_from(payload)
        if version != _VERSION:
            raise DashboardLinkError("malformed")
        if now.timestamp() >= expires:
            raise DashboardLinkError("expired")
        try:
            tenant_id = payload[_HEADER.size :].decode("utf-8")
        except UnicodeDecodeError as exc:  # signed by us, so never; but a page must not crash on it
            raise DashboardLinkError("malformed") from exc
        return tenant_id, datetime.fromtimestamp(expires, UTC)

    def for_alert(self, tenant_id: str) -> str | None:
        """A fresh link for an alert (alerts.details.DashboardLink), valid DEFAULT_LIFETIME; None when none can be
        issued now: an alert without its link is better than an alert that is not sent."""
        try:
            url, _ = self.issue(tenant_id, self._clock())
        except SpendrailError as exc:
            logger.warning("no budget page link for the alert", extra={"tenant_id": tenant_id, "reason": str(exc)})
            return None
        return url

    def _mac(self, payload: bytes) -> bytes:
        secret = self._secret()
        if len(secret) < MIN_SECRET_CHARS:
            raise DashboardUnavailableError(
                f"the budget page secret is missing or shorter than {MIN_SECRET_CHARS} characters"
            )
        return hmac.new(secret.encode("utf-8"), _PURPOSE + payload, hashlib.sha256).digest()
