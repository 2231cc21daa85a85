"""Scheduled sweep: charge (in doubt) the holds of requests that died between reserve and settle."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from spendrail.compose import Components
from spendrail.settings import Settings

logger = Logger()
metrics = Metrics()
tracer = Tracer()
ledger = Components(Settings.from_env()).ledger


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    report = ledger.reclaim_stale_holds()
    metrics.add_metric(name="StaleHoldsReclaimed", unit=MetricUnit.Count, value=report.holds_reclaimed)
    metrics.add_metric(name="StaleHoldNanosInDoubt", unit=MetricUnit.Count, value=report.nanos_in_doubt)
    logger.info("swept stale holds", extra={"report": asdict(report)})
    return asdict(report)
