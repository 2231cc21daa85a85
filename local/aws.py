"""SNS, SQS and SSM on loopback for `make dev`: moto's server mode in a thread, called with real boto3 requests.

The alerts topic is created here as template.yaml declares it; an SQS queue subscribed to it stands in for SNS's
push to the Slack function (local/alert_bridge.py polls it), with a redrive to a dead-letter queue after three tries
as Lambda's two async retries and its DLQ would do.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Self

import boto3
from moto.server import ThreadedMotoServer

TOPIC_NAME = "spendrail-alerts"
QUEUE_NAME = "spendrail-alerts-slack"
DLQ_NAME = "spendrail-alerts-slack-dlq"
ATTEMPTS = 3  # the first invocation and Lambda's two async retries
RETRY_AFTER_S = 15  # visibility timeout, the Slack function's timeout: Lambda waits minutes between retries


class LocalAws:
    def __init__(self, port: int = 0) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.endpoint = ""
        self.topic_arn = ""
        self.queue_url = ""
        self.dlq_url = ""

    def start(self) -> Self:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        self._create_alerts_topic()
        return self

    @property
    def serving(self) -> bool:
        thread = self._server._thread  # moto keeps its server thread private
        return thread is not None and thread.is_alive()

    def stop(self) -> None:
        if self.serving:
            self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - moto accepts any
        )

    def _create_alerts_topic(self) -> None:
        sns, sqs = self.client("sns"), self.client("sqs")
        self.topic_arn = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]
        self.dlq_url = sqs.create_queue(QueueName=DLQ_NAME)["QueueUrl"]
        redrive = {"deadLetterTargetArn": self._arn(sqs, self.dlq_url), "maxReceiveCount": str(ATTEMPTS)}
        self.queue_url = sqs.create_queue(
            QueueName=QUEUE_NAME,
            Attributes={"VisibilityTimeout": str(RETRY_AFTER_S), "RedrivePolicy": json.dumps(redrive)},
        )["QueueUrl"]
        sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=self._arn(sqs, self.queue_url))

    @staticmethod
    def _arn(sqs: Any, queue_url: str) -> str:
        return str(sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])
