"""What every answered or refused request leaves behind: EMF metrics and one structured log line."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from spendrail.chat.question import Answer
from spendrail.errors import BudgetBusyError, BudgetExceededError, UpstreamError
from spendrail.money import nanos_to_usd

REFUSALS = (BudgetExceededError, BudgetBusyError, UpstreamError)


class Observer:
    def __init__(self, logger: Logger, metrics: Metrics) -> None:
        self._logger = logger
        self._metrics = metrics

    def _count(self, name: str, value: int = 1, unit: MetricUnit = MetricUnit.Count) -> None:
        self._metrics.add_metric(name=name, unit=unit, value=value)

    def answered(self, answer: Answer) -> None:
        self._count("Requests")
        self._count("CostNanoUsd", answer.cost_nanos)
        self._count("InputTokens", answer.input_tokens)
        self._count("OutputTokens", answer.output_tokens)
        self._count("LatencyMs", answer.latency_ms, MetricUnit.Milliseconds)
        self._count(f"State{answer.snapshot.state.value.title()}")
        if answer.cache_tier is not None:
            self._count(f"CacheHits{answer.cache_tier.title()}")
            self._count("SavedNanoUsd", answer.saved_nanos)
        if answer.downgraded:
            self._count("Downgrades")
        if answer.overshoot_nanos:
            self._count("OvershootNanoUsd", answer.overshoot_nanos)
        if answer.in_doubt_nanos:
            self._count("InDoubtNanoUsd", answer.in_doubt_nanos)
        for crossing in answer.crossings:
            self._count(f"Crossed{crossing.state.value.title()}")
            self._logger.warning(
                "budget threshold crossed",
                extra={"window": crossing.window, "window_key": crossing.window_key, "state": crossing.state.value},
            )
        self._logger.info(
            "answered",
            extra={
                "model": answer.model,
                "routed_model": answer.route.primary if answer.route else None,
                "cache": answer.cache_tier,
                "downgraded": answer.downgraded,
                "cost_usd": str(nanos_to_usd(answer.cost_nanos)),
                "budget_state": answer.snapshot.state.value,
                "input_tokens": answer.input_tokens,
                "output_tokens": answer.output_tokens,
                "latency_ms": answer.latency_ms,
            },
        )

    def refused(self, exc: Exception) -> None:
        if isinstance(exc, UpstreamError):
            self._count("UpstreamErrors")
            self._logger.warning("upstream error", extra={"reason": exc.kind, "status": exc.status})
        elif isinstance(exc, BudgetExceededError | BudgetBusyError):
            name = "BudgetExceeded" if isinstance(exc, BudgetExceededError) else "BudgetBusy"
            self._count(name)
            self._logger.info("refused", extra={"reason": name})
