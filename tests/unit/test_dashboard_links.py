"""Budget page links: whoever holds one sees that tenant's page until it expires; nobody can forge, stretch or
re-point one without the secret."""

from __future__ import annotations

import base64
import hmac
import struct
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from pydantic import ValidationError

from spendrail.compose import Components
from spendrail.dashboard.links import DEFAULT_LIFETIME, DashboardLinks
from spendrail.errors import DashboardLinkError, DashboardUnavailableError, InvalidInputError, SecretUnavailableError
from spendrail.settings import Settings

SECRET = "k" * 16 + "s" * 16 + "-local-dashboard-secret"
NOW = datetime(2026, 11, 28, 19, 20, tzinfo=UTC)


def issuer(secret: str = SECRET, base_url: str = "https://api.example.com/") -> DashboardLinks:
    return DashboardLinks(lambda: secret, base_url, clock=lambda: NOW)


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["t"][0]


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_a_link_opens_its_tenants_page_until_it_expires() -> None:
    links = issuer()
    url, expires_at = links.issue("maple-and-co", NOW)
    assert url.startswith("https://api.example.com/dashboard?t=")
    assert expires_at == NOW + DEFAULT_LIFETIME == datetime(2026, 12, 5, 19, 20, tzinfo=UTC)
    token = token_of(url)
    assert quote(token, safe="") == token  # nothing in it needs escaping in a URL, an e-mail or Slack
    assert links.verify(token, NOW + DEFAULT_LIFETIME - timedelta(seconds=1)) == "maple-and-co"
    with pytest.raises(DashboardLinkError) as refused:
        links.verify(token, NOW + DEFAULT_LIFETIME)
    assert refused.value.reason == "expired"


def test_the_issuer_sets_the_lifetime_within_bounds() -> None:
    links = issuer()
    url, expires_at = links.issue("maple-and-co", NOW, timedelta(hours=1))
    assert expires_at == NOW + timedelta(hours=1)
    assert links.check(token_of(url), NOW) == ("maple-and-co", expires_at)
    for lifetime in (timedelta(0), timedelta(seconds=59), timedelta(days=91)):
        with pytest.raises(InvalidInputError):
            links.issue("maple-and-co", NOW, lifetime)
    for tenant_id in ("", "x" * 65):
        with pytest.raises(InvalidInputError):
            links.issue(tenant_id, NOW)


def signed(payload: bytes) -> str:
    """A token as the issuer would sign `payload` under SECRET (another version of the format, say)."""
    mac = hmac.new(SECRET.encode(), b"spendrail/budget-page-link\x00" + payload, "sha256").digest()
    return f"{b64(payload)}.{b64(mac)}"


def test_a_correctly_signed_token_in_another_format_is_refused_not_misread() -> None:
    expires = int((NOW + timedelta(days=1)).timestamp())
    for payload in (
        struct.pack(">BQ", 2, expires) + b"maple-and-co",  # a later version of the format
        struct.pack(">BQ", 1, expires),  # no tenant
        b"\x01",  # too short for an expiry
        struct.pack(">BQ", 1, expires) + b"\xff\xfe",  # not UTF-8
    ):
        with pytest.raises(DashboardLinkError) as refused:
            issuer().verify(signed(payload), NOW)
        assert refused.value.reason == "malformed"
    assert issuer().verify(signed(struct.pack(">BQ", 1, expires) + b"maple-and-co"), NOW) == "maple-and-co"


def _respelled(last: str) -> str:
    """The base64url character that decodes to the same bits as `last` but for the two unused at the end."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return alphabet[alphabet.index(last) ^ 1]


def _forgeries(token: str) -> dict[str, str]:
    payload_text, mac_text = token.split(".")
    payload, mac = unb64(payload_text), unb64(mac_text)
    version, expires = struct.unpack(">BQ", payload[:9])
    other_tenant = payload[:9] + b"rival-store"
    stretched = struct.pack(">BQ", version, expires + 86_400 * 365) + payload[9:]
    foreign_url, _ = issuer(secret="x" * 40).issue("maple-and-co", NOW)
    return {
        "another tenant, same signature": f"{b64(other_tenant)}.{mac_text}",
        "a later expiry, same signature": f"{b64(stretched)}.{mac_text}",
        "a flipped signature bit": f"{payload_text}.{b64(bytes([mac[0] ^ 1]) + mac[1:])}",
        "a truncated signature": f"{payload_text}.{mac_text[:20]}",
        "another spelling of the signature": f"{payload_text}.{mac_text[:-1]}{_respelled(mac_text[-1])}",
        "signed under another secret": token_of(foreign_url),
        "no signature": payload_text,
        "an empty token": "",
        "three parts": f"{token}.{mac_text}",
        "standard base64 characters": f"{payload_text}+/.{mac_text}",
        "padding": f"{payload_text}==.{mac_text}",
        "not ASCII": f"{payload_text}é.{mac_text}",
        "far too long": f"{'A' * 600}.{mac_text}",
        "a part of one character": f"{payload_text}.A",
    }


@pytest.mark.parametrize(
    "forgery",
    [
        "another tenant, same signature",
        "a later expiry, same signature",
        "a flipped signature bit",
        "a truncated signature",
        "another spelling of the signature",
        "signed under another secret",
        "no signature",
        "an empty token",
        "three parts",
        "standard base64 characters",
        "padding",
        "not ASCII",
        "far too long",
        "a part of one character",
    ],
)
def test_a_tampered_or_forged_link_is_refused(forgery: str) -> None:
    links = issuer()
    url, _ = links.issue("maple-and-co", NOW)
    with pytest.raises(DashboardLinkError) as refused:
        links.verify(_forgeries(token_of(url))[forgery], NOW)
    assert refused.value.reason in {"malformed", "signature"}


def test_the_signature_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)  # the function links.py calls, looked up per call
    links = issuer()
    token = token_of(links.issue("maple-and-co", NOW)[0])
    assert links.verify(token, NOW) == "maple-and-co"
    with pytest.raises(DashboardLinkError):
        links.verify(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), NOW)
    assert len(compared) == 2
    assert all(len(given) == len(expected) == 32 for given, expected in compared)  # whole HMAC-SHA256 digests


def test_no_link_without_a_long_enough_secret_or_a_base_url() -> None:
    for secret in ("", "short-secret"):
        with pytest.raises(DashboardUnavailableError):
            issuer(secret=secret).issue("maple-and-co", NOW)
    with pytest.raises(DashboardUnavailableError):
        issuer(base_url="").issue("maple-and-co", NOW)
    url, _ = issuer(base_url="").issue("maple-and-co", NOW, fallback_url="https://abc123.execute-api.example.com")
    assert url.startswith("https://abc123.execute-api.example.com/dashboard?t=")


def test_a_configured_custom_domain_wins_over_the_host_a_request_came_in_on() -> None:
    url, _ = issuer(base_url="https://api.shop.example").issue("maple-and-co", NOW, fallback_url="https://x.example")
    assert url.startswith("https://api.shop.example/dashboard?t=")


def test_an_alert_gets_a_fresh_link_or_none_when_it_cannot_be_signed() -> None:
    url = issuer().for_alert("maple-and-co")
    assert url is not None
    assert issuer().verify(token_of(url), NOW + DEFAULT_LIFETIME - timedelta(seconds=1)) == "maple-and-co"

    def ssm_down() -> str:
        raise SecretUnavailableError("SSM parameter '/spendrail/dashboard-secret' is missing or not readable")

    assert DashboardLinks(ssm_down, "https://api.example.com").for_alert("maple-and-co") is None
    assert issuer(base_url="").for_alert("maple-and-co") is None


def test_the_deployment_settings_decide_whether_links_and_alert_links_exist() -> None:
    assert Components(Settings.from_env({})).dashboard_links is None  # no secret: no link is ever issued
    local = Components(Settings.from_env({"DASHBOARD_SECRET": SECRET, "PUBLIC_BASE_URL": "http://127.0.0.1:3000"}))
    links = local.dashboard_links
    assert links is not None and local.alert_dashboard_link is not None
    url, _ = links.issue("demo-store", NOW)
    assert url.startswith("http://127.0.0.1:3000/dashboard?t=")
    assert links.verify(token_of(url), NOW) == "demo-store"
    assert Components(Settings.from_env({"DASHBOARD_SECRET": SECRET})).alert_dashboard_link is None  # nowhere to link
    with pytest.raises(ValidationError):
        Settings.from_env({"PUBLIC_BASE_URL": "ftp://api.example.com"})
