"""Builds the real adapters from Settings; handlers call this once per cold start."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from botocore.config import Config
from pydantic import SecretStr

from spendrail.api.chat import ChatEndpoint, IdempotencyGate
from spendrail.cache.dynamodb import DynamoDBCacheStore
from spendrail.cache.service import AnswerCache
from spendrail.chat.service import ChatService
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.llm.openrouter import OpenRouterClient
from spendrail.pricing import PricingCatalog
from spendrail.settings import Settings
from spendrail.telemetry.helicone import HeliconeLogger
from spendrail.tenants.auth import Authenticator
from spendrail.tenants.dynamodb import DynamoDBTenantDirectory

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


def secret(param_name: str, local_value: SecretStr) -> Callable[[], str]:
    """A secret from SSM (decrypted, cached 5 minutes by Powertools) when named, else the local value. Never logged."""
    if param_name:
        return lambda: str(parameters.get_parameter(param_name, decrypt=True, max_age=300))
    return local_value.get_secret_value


def chat_endpoint(settings: Settings, logger: Logger, metrics: Metrics) -> ChatEndpoint:
    client = dynamodb_client()
    helicone = None
    if settings.helicone_api_key_param or settings.helicone_api_key.get_secret_value():
        helicone = HeliconeLogger(
            secret(settings.helicone_api_key_param, settings.helicone_api_key),
            url=settings.helicone_url,
            timeout_seconds=settings.helicone_timeout_seconds,
        )
    llm = OpenRouterClient(
        api_key=secret(settings.openrouter_api_key_param, settings.openrouter_api_key),
        base_url=settings.openrouter_base_url,
        timeout_seconds=settings.llm_timeout_seconds,
        referer=settings.app_url,
        title=settings.app_title,
        embedding_model=settings.embedding_model,
        embedding_dimensions=settings.embedding_dimensions,
    )
    cache = None
    if settings.cache_enabled:
        cache = AnswerCache(
            DynamoDBCacheStore(client, settings.cache_table_name),
            dimensions=settings.embedding_dimensions,
            ttl_seconds=settings.cache_ttl_seconds,
            refresh_seconds=settings.cache_refresh_seconds,
            max_entries=settings.cache_max_entries,
        )
    directory = DynamoDBTenantDirectory(client, settings.tenant_table_name)
    service = ChatService(
        budget_ledger(settings, client),
        llm,
        PricingCatalog.load(),
        helicone=helicone,
        cache=cache,
        embedder=llm if cache is not None else None,
        embedding_model=settings.embedding_model,
        profiles=directory,
        llm_url=settings.openrouter_base_url,
        busy_wait_seconds=settings.busy_wait_seconds,
    )
    authenticator = Authenticator(directory, ttl_seconds=settings.auth_cache_seconds)
    persistence = DynamoDBPersistenceLayer(table_name=settings.idempotency_table_name, boto3_client=client)
    return ChatEndpoint(
        authenticator, service, idempotency=IdempotencyGate(persistence), logger=logger, metrics=metrics
    )
