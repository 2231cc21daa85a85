"""The admin routes between API Gateway and the admin service: authorize, read the body, answer JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from spendrail.admin.auth import AdminAuth
from spendrail.admin.models import TenantSettingsIn
from spendrail.admin.service import TenantAdmin
from spendrail.api.body import json_object
from spendrail.api.errors import json_body
from spendrail.dashboard.links import DashboardLinks
from spendrail.dashboard.page import render_forbidden
from spendrail.dashboard.serve import PAGE_HEADERS, budget_page
from spendrail.deadline import Deadline
from spendrail.errors import BadRequestError

MAX_ADMIN_BODY_BYTES = 8 * 1024
HTML = "text/html; charset=utf-8"


def _json(status: int, model: BaseModel | None = None) -> Response[str]:
    body = json_body(model.model_dump(mode="json", by_alias=True)) if model is not None else ""
    return Response(status_code=status, content_type="application/json", body=body)


class AdminEndpoint:
    def __init__(
        self, auth: AdminAuth, service: TenantAdmin, *, logger: Logger, links: DashboardLinks | None = None
    ) -> None:
        self._auth = auth
        self._service = service
        self._logger = logger
        self._links = links

    def _authorized(self, event: APIGatewayProxyEventV2, action: str, tenant_id: str | None = None) -> None:
        self._auth.check(event)
        self._logger.append_keys(admin_action=action, tenant_id=tenant_id)

    def put_tenant(self, event: APIGatewayProxyEventV2, context: LambdaContext | None, tenant_id: str) -> Response[str]:
        self._authorized(event, "put_tenant", tenant_id)
        settings = TenantSettingsIn.model_validate(json_object(event, MAX_ADMIN_BODY_BYTES))
        answer, created = self._service.put_tenant(tenant_id, settings, Deadline.for_request(context))
        self._logger.info("tenant saved", extra={"tenant_created": created})
        return _json(201 if created else 200, answer)

    def list_tenants(self, event: APIGatewayProxyEventV2) -> Response[str]:
        self._authorized(event, "list_tenants")
        query: dict[str, Any] = event.query_string_parameters or {}
        raw_limit = query.get("limit", "20")
        if not str(raw_limit).isdigit():
            raise BadRequestError("limit must be a whole number 1-100", [_field("limit")])
        return _json(200, self._service.tenants(int(raw_limit), query.get("cursor") or None))

    def get_tenant(self, event: APIGatewayProxyEventV2, tenant_id: str) -> Response[str]:
        self._authorized(event, "get_tenant", tenant_id)
        return _json(200, self._service.tenant(tenant_id))

    def create_key(self, event: APIGatewayProxyEventV2, tenant_id: str) -> Response[str]:
        self._authorized(event, "create_key", tenant_id)
        created = self._service.create_key(tenant_id)
        self._logger.info("key created", extra={"key_id": created.key_id})  # the id only: the key is never logged
        return _json(201, created)

    def revoke_key(self, event: APIGatewayProxyEventV2, tenant_id: str, key_id: str) -> Response[str]:
        self._authorized(event, "revoke_key", tenant_id)
        self._service.revoke_key(tenant_id, key_id)
        self._logger.info("key revoked", extra={"key_id": key_id})
        return Response(status_code=204, body="")  # no body, so no content type to claim one

    def budget(self, event: APIGatewayProxyEventV2, tenant_id: str) -> Response[str]:
        self._authorized(event, "budget", tenant_id)
        return _json(200, self._service.budget(tenant_id))

    def dashboard_link(self, event: APIGatewayProxyEventV2, tenant_id: str) -> Response[str]:
        self._authorized(event, "dashboard_link", tenant_id)
        # In AWS the API's URL is the host the request came in on (HTTP APIs serve HTTPS only).
        host = event.request_context.domain_name
        fallback = f"https://{host}" if host else None
        return _json(201, self._service.dashboard_link(tenant_id, fallback_url=fallback))

    def dashboard(self, event: APIGatewayProxyEventV2) -> Response[str]:
        if self._links is None:  # no signing secret: no link can be valid
            return Response(403, content_type=HTML, body=render_forbidden(), headers=dict(PAGE_HEADERS))
        token = event.get_query_string_value("t")
        page = budget_page(token, datetime.now(UTC), links=self._links, reports=self._service.budget)
        return Response(page.status, content_type=HTML, body=page.body, headers=dict(page.headers))


def _field(name: str) -> dict[str, str]:
    return {"field": name, "message": "invalid", "type": "value_error"}
