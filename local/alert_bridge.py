"""SNS -> Slack function, as Lambda's SNS trigger does it, for `make dev`: every message on the alerts topic is
printed (headline and alertId) and handed to the Slack function as an SNS event, in a worker like a Lambda instance.

A failed invocation is retried after a few seconds, three tries in all, then the message is left in the dead-letter
queue (the redrive in local/aws.py) and a line says so.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from local.apigw import FunctionPool
from local.aws import ATTEMPTS, LocalAws
from local.background import BackgroundFeed
from local.sns_events import sns_lambda_event

SLACK_FUNCTION = "functions/slack:app.lambda_handler"
TIMEOUT_S = 15.0  # the Slack function's Timeout in template.yaml
Say = Callable[[str], None]


class AlertBridge(BackgroundFeed):
    def __init__(self, aws: LocalAws, env: Mapping[str, str], say: Say, instances: int = 2) -> None:
        super().__init__("alert-bridge", FunctionPool(SLACK_FUNCTION, instances, env, TIMEOUT_S, TIMEOUT_S))
        self._aws = aws
        self._sqs = aws.client("sqs")
        self._say = say
        self._instances = instances
        self._invocations = ThreadPoolExecutor(instances, thread_name_prefix="slack")
        self.delivered = 0

    def stop(self, grace_s: float = 2.0) -> None:
        super().stop(grace_s)
        self._invocations.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                messages = self._sqs.receive_message(
                    QueueUrl=self._aws.queue_url,
                    MaxNumberOfMessages=self._instances,  # no more than can run now, each within its visibility
                    WaitTimeSeconds=1,  # short: make dev stops within seconds
                    MessageSystemAttributeNames=["ApproximateReceiveCount"],
                ).get("Messages", [])
            except Exception as exc:
                if self._stopping.is_set() or not self._aws.serving:
                    return  # the local AWS server went away: make dev reports that part
                self._say(f"alerts: could not read the alerts queue ({type(exc).__name__}); trying again")
                self._stopping.wait(1)
                continue
            list(self._invocations.map(self._deliver, messages))

    def _deliver(self, message: dict[str, Any]) -> None:
        envelope = json.loads(message["Body"])
        attempt = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        alert_id = _alert_id(envelope["Message"])
        if attempt == 1:
            self._say(f"SNS   {envelope.get('Subject') or '(no subject)'}  [{alert_id}]")
        failure = self._invoke(sns_lambda_event(envelope))
        if self._stopping.is_set():
            return  # make dev is stopping: the message stays queued (a restart does not keep it: moto is in memory)
        if failure is None:
            self._sqs.delete_message(QueueUrl=self._aws.queue_url, ReceiptHandle=message["ReceiptHandle"])
            self.delivered += 1
            return
        if attempt >= ATTEMPTS:
            self._say(f"Slack failed {attempt} times, left in the dead-letter queue: {failure}  [{alert_id}]")
        else:
            self._say(f"Slack failed (try {attempt} of {ATTEMPTS}), retrying shortly: {failure}  [{alert_id}]")

    def _invoke(self, event: dict[str, Any]) -> str | None:
        """None when the function succeeded (its outcome printed), else one line saying why it failed."""
        try:
            outcome = self._pool.invoke(event)
        except Exception:
            return "the instance died or timed out"
        if "error" in outcome:
            return outcome["error"].strip().splitlines()[-1]
        delivered = outcome["result"] or ["no Slack webhook (set SLACK_WEBHOOK_URL)"]
        self._say(f"      -> Slack {', '.join(delivered)}")
        return None


def _alert_id(message: str) -> str:
    with contextlib.suppress(ValueError, TypeError, KeyError):
        return str(json.loads(message)["alertId"])
    return "not an alert"
