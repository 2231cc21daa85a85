"""SNS alerts topic -> Slack: each alert to the operator's webhook and to the tenant's own, once per destination.

A post Slack cannot take now (429, 5xx, timeout) fails the invocation: Lambda retries it (twice, asynchronously) and
then sends the event to the dead-letter queue. A webhook Slack refuses (revoked) is logged and counted, not retried.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from spendrail.compose import Components
from spendrail.settings import Settings

logger = Logger()
metrics = Metrics()
tracer = Tracer()
components = Components(Settings.from_env())
slack = components.slack_alerts


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=SNSEvent)
def lambda_handler(event: SNSEvent, context: LambdaContext) -> list[str]:
    components.slack_posts.register(context)
    outcomes: list[str] = []
    for record in event.records:
        for delivered in slack.deliver(record.sns.message):
            # SlackPosted, SlackRejected (a revoked webhook: an alarm on it tells the operator), SlackRepeat
            metrics.add_metric(name=f"Slack{delivered.posted.value.title()}", unit=MetricUnit.Count, value=1)
            outcomes.append(f"{delivered.destination}: {delivered.posted.value}")
    return outcomes
