"""The windows function, every 5 minutes: close ended windows (history, budget resets), sweep flagged tenants
(expired holds, unclaimed crossings, projected exhaustion, the alerts' outbox) and reconcile against OpenRouter.

Thin: the run is `spendrail.closing.run.WindowsRun`, built by the composition root; this maps its report to metrics.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from spendrail.compose import Components
from spendrail.deadline import Deadline
from spendrail.settings import Settings

logger = Logger()
metrics = Metrics()
tracer = Tracer()
run = Components(Settings.from_env()).windows_run()
# Kept back from the function's timeout: tenants in flight finish their current store calls, the report is logged.
MARGIN_SECONDS = 10.0
_COUNTS = {
    "WindowsClosed": "windows_closed",
    "SummariesWritten": "summaries_written",
    "AlertsClaimed": "alerts_claimed",
    "AlertsPublished": "alerts_published",
    "AlertsFailed": "alerts_failed",
    "StaleHoldsReclaimed": "holds_reclaimed",
    "StaleHoldNanosInDoubt": "nanos_in_doubt",
    "TenantErrors": "tenant_errors",
}


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = run(Deadline.for_request(context, margin_seconds=MARGIN_SECONDS))
    for name, field in _COUNTS.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=getattr(report, field))
    metrics.add_metric(name="PhasesDeferred", unit=MetricUnit.Count, value=len(report.deferred))
    return report.as_dict()
