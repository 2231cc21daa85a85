"""The admin API (/v1/admin/..., AWS_IAM in AWS, a bearer ADMIN_TOKEN locally) and the tenant's budget page."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from spendrail.api import errors
from spendrail.compose import Components
from spendrail.settings import Settings

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = APIGatewayHttpResolver()
errors.register(app)
components = Components(Settings.from_env())
admin = components.admin_endpoint(logger)

# Routes carry no @tracer.capture_method: it logs every exception with a traceback, and a 404 is an answer.


@app.put("/v1/admin/tenants/<tenantId>")
def put_tenant(tenantId: str) -> Response[str]:
    return admin.put_tenant(app.current_event, app.lambda_context, tenantId)


@app.get("/v1/admin/tenants")
def list_tenants() -> Response[str]:
    return admin.list_tenants(app.current_event)


@app.get("/v1/admin/tenants/<tenantId>")
def get_tenant(tenantId: str) -> Response[str]:
    return admin.get_tenant(app.current_event, tenantId)


@app.post("/v1/admin/tenants/<tenantId>/keys")
def create_key(tenantId: str) -> Response[str]:
    return admin.create_key(app.current_event, tenantId)


@app.delete("/v1/admin/tenants/<tenantId>/keys/<keyId>")
def revoke_key(tenantId: str, keyId: str) -> Response[str]:
    return admin.revoke_key(app.current_event, tenantId, keyId)


@app.get("/v1/admin/tenants/<tenantId>/budget")
def budget(tenantId: str) -> Response[str]:
    return admin.budget(app.current_event, tenantId)


@app.post("/v1/admin/tenants/<tenantId>/dashboard-links")
def dashboard_link(tenantId: str) -> Response[str]:
    return admin.dashboard_link(app.current_event, tenantId)


@app.get("/dashboard")
def dashboard() -> Response[str]:
    """The tenant's budget page: public, the signed link (?t=) is the credential; every bad link gets one 403 page."""
    return admin.dashboard(app.current_event)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
