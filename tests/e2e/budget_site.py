"""A loopback stand-in for the admin function's two routes the budget page needs: GET .../budget (the JSON) and
GET /dashboard?t= (the page, through spendrail.dashboard.serve exactly as the function serves it).

It stands in until the local stack serves /dashboard itself; then the browser test points at `make dev`'s API.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs, urlsplit

from spendrail.admin.models import BudgetReport
from spendrail.dashboard.links import DashboardLinks
from spendrail.dashboard.serve import budget_page
from spendrail.errors import TenantNotFoundError

SECRET = "budget-page-browser-test-secret-0123456789"


class BudgetSite:
    def __init__(self, reports: Mapping[str, BudgetReport]) -> None:
        self.reports = dict(reports)
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site._answer(self)

            def log_message(self, *_: object) -> None:
                pass  # the test's output, not an access log

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.links = DashboardLinks(lambda: SECRET, self.url)
        self._thread = threading.Thread(target=self._server.serve_forever, name="budget-site", daemon=True)

    def report(self, tenant_id: str) -> BudgetReport:
        if tenant_id not in self.reports:
            raise TenantNotFoundError(tenant_id)
        return self.reports[tenant_id]

    def _answer(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        path = parts.path.split("/")
        if parts.path == "/dashboard":
            token = parse_qs(parts.query).get("t", [None])[0]
            page = budget_page(token, datetime.now(UTC), links=self.links, reports=self.report)
            status, body, headers = page.status, page.body.encode(), dict(page.headers)
        elif len(path) == 6 and path[1:4] == ["v1", "admin", "tenants"] and path[5] == "budget":
            found = self.reports.get(path[4])
            status = 200 if found else 404
            report = found.model_dump(mode="json", by_alias=True) if found else {"error": {"code": "not_found"}}
            body, headers = json.dumps(report).encode(), {"Content-Type": "application/json"}
        else:
            status, body, headers = 404, b"", {}
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
