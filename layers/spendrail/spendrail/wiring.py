"""Builds the real adapters from Settings; handlers call this once per cold start."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# The ledger retries on its own terms (every write is replay-safe), so botocore must not retry underneath it;
# short timeouts leave the retries room inside the function's timeout. Requests are built by our code, not by
# users, so botocore's client-side parameter validation is skipped: it was ~6% of the CPU of a ledger call.
_DYNAMODB_CONFIG = Config(
    retries={"max_attempts": 1, "mode": "standard"},
    connect_timeout=1,
    read_timeout=2,
    tcp_keepalive=True,
    parameter_validation=False,
)


def dynamodb_client() -> DynamoDBClient:
    """Honours AWS_ENDPOINT_URL_DYNAMODB (boto3 reads it), so local runs point at dynalite."""
    client: DynamoDBClient = boto3.client("dynamodb", config=_DYNAMODB_CONFIG)
    return client


def budget_ledger(settings: Settings, client: DynamoDBClient | None = None) -> DynamoDBLedger:
    return DynamoDBLedger(
        client or dynamodb_client(), settings.budget_table_name, hold_ttl_seconds=settings.hold_ttl_seconds
    )
