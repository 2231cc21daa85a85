"""POST /v1/chat and POST /v1/chat/completions (OpenAI's format): a shopper's question answered within the
merchant's budget."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from spendrail import snapstart
from spendrail.api import errors
from spendrail.compose import Components
from spendrail.settings import Settings

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = APIGatewayHttpResolver()
errors.register(app)
components = Components(Settings.from_env())
endpoint = components.chat_endpoint(logger, metrics)
snapstart.register(components)  # Lambda's SnapStart hooks; nothing to register with outside Lambda


# No @tracer.capture_method here: it logs every exception with its traceback, and ours (a 429, a 401) are answers,
# not faults. The invocation is traced by capture_lambda_handler; boto3 and HTTP calls are traced by X-Ray's patches.
@app.post("/v1/chat")
def chat() -> Response[str]:
    return endpoint.handle(app.current_event, app.lambda_context)


@app.post("/v1/chat/completions")
def chat_completions() -> Response[str]:  # OpenAI's wire format; its errors are answered in OpenAI's shape
    return endpoint.completions(app.current_event, app.lambda_context)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
