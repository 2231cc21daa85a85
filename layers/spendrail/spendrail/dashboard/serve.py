"""GET /dashboard?t=<token>: from a link to the HTML answer, whatever goes wrong, so the route stays one call.

A link that is missing, malformed, tampered with, expired or names a tenant that no longer exists gets the same plain
403 page (no detail: a link is a bearer credential, and probing it must teach nothing); the log says which it was.
When the secret or the budget store cannot be read now, a plain 503 page says to try again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from aws_lambda_powertools import Logger

from spendrail.admin.models import BudgetReport
from spendrail.dashboard.links import DashboardLinks
from spendrail.dashboard.page import CSP, render_forbidden, render_page, render_unavailable
from spendrail.errors import (
    DashboardLinkError,
    DashboardUnavailableError,
    NotFoundError,
    SecretUnavailableError,
    StoreUnavailableError,
    TenantNotFoundError,
)

logger = Logger(child=True)  # a child of the handler's Powertools Logger: JSON, with the request's keys

# The token is in the URL: no cache may keep the page, no Referer may carry it off, no search engine may list it.
PAGE_HEADERS: Mapping[str, str] = MappingProxyType(
    {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex, nofollow",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": f"{CSP}; frame-ancestors 'none'",
    }
)


@dataclass(frozen=True)
class HtmlPage:
    status: int
    body: str
    headers: Mapping[str, str] = field(default=PAGE_HEADERS)


def budget_page(
    token: str | None, now: datetime, *, links: DashboardLinks, reports: Callable[[str], BudgetReport]
) -> HtmlPage:
    """The answer to GET /dashboard?t=<token>. `reports` gives a tenant's BudgetReport (the admin service's GET
    .../budget); it may raise NotFoundError or TenantNotFoundError (403 page), or StoreUnavailableError (503 page)."""
    try:
        tenant_id, expires_at = links.check(token or "", now)
        report = reports(tenant_id)
    except DashboardLinkError as exc:
        logger.info("budget page link refused", extra={"reason": exc.reason})
        return HtmlPage(403, render_forbidden())
    except (NotFoundError, TenantNotFoundError):
        logger.info("budget page link refused", extra={"reason": "unknown tenant"})
        return HtmlPage(403, render_forbidden())
    except (DashboardUnavailableError, SecretUnavailableError, StoreUnavailableError) as exc:
        logger.error("budget page unavailable", extra={"reason": str(exc)})
        return HtmlPage(503, render_unavailable())
    return HtmlPage(200, render_page(report, link_expires_at=expires_at))
