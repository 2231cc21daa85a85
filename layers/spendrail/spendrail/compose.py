"""The composition root: every adapter is built here, from Settings, once per cold start.

The Lambda handlers, the operator CLI, `make dev` and the test harnesses all build through `Components`, so a
setting (the hold TTL, a table name, a timeout) reaches every place that needs it or none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.config import Config
from pydantic import SecretStr

from spendrail.admin.auth import AdminAuth
from spendrail.admin.service import EventLog, TenantAdmin
from spendrail.alerts.delivery import AlertDelivery
from spendrail.alerts.details import AlertDetails
from spendrail.alerts.details import DashboardLink as AlertDashboardLink
from spendrail.alerts.once import IdempotentPosts
from spendrail.alerts.slack import SlackAlerts
from spendrail.alerts.slack_http import SlackWebhookClient
from spendrail.alerts.slack_secrets import SsmSlackWebhooks
from spendrail.alerts.sns import SnsAlertPublisher
from spendrail.alerts.sns_subscriptions import SnsEmailSubscriptions
from spendrail.api.admin import AdminEndpoint
from spendrail.api.chat import ChatEndpoint, IdempotencyGate
from spendrail.api.observe import Observer
from spendrail.cache.dynamodb import DynamoDBCacheStore
from spendrail.cache.judge import Judge
from spendrail.cache.model import SIMILARITY
from spendrail.cache.port import CacheStore
from spendrail.cache.semantic import SemanticCache
from spendrail.cache.service import AnswerCache
from spendrail.chat.service import ChatService
from spendrail.closing.reconcile import Reconciler, Tolerance
from spendrail.closing.run import WindowsRun
from spendrail.dashboard.links import DashboardLinks
from spendrail.deadline import Deadline
from spendrail.dynamo.call import DynamoCall
from spendrail.embed.local import LocalEmbedder
from spendrail.errors import SecretUnavailableError
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.llm.helicone import HeliconeLogger, LoggedLLM
from spendrail.llm.openrouter import OpenRouterClient
from spendrail.llm.openrouter_account import OpenRouterAccount
from spendrail.llm.port import Embedder, LLMClient
from spendrail.policy import BudgetPolicy
from spendrail.pricing import PricingCatalog
from spendrail.settings import Settings
from spendrail.tenants.auth import Authenticator
from spendrail.tenants.destinations import Destinations
from spendrail.tenants.destinations_dynamodb import DynamoDBDestinationStore
from spendrail.tenants.dynamodb import DynamoDBTenantDirectory
from spendrail.tenants.profiles import Profiles

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sns.client import SNSClient
    from mypy_boto3_ssm.client import SSMClient

# Our stores retry on their own terms, inside the request's deadline (spendrail.dynamo.call), so botocore must not
# retry underneath them; short timeouts leave room for those retries. Requests are built by our code, not by users,
# so botocore's client-side parameter validation is skipped: it was ~6% of the CPU of a ledger call.
_DYNAMODB = Config(
    retries={"total_max_attempts": 1, "mode": "standard"},  # max_attempts would count retries only
    connect_timeout=0.5,
    read_timeout=1,
    tcp_keepalive=True,
    parameter_validation=False,
)
# botocore's standard retries (3 tries) for the one store that retries through botocore; the same short timeouts.
_IDEMPOTENCY_DYNAMODB = Config(
    retries={"total_max_attempts": 3, "mode": "standard"}, connect_timeout=0.5, read_timeout=1, tcp_keepalive=True
)

CACHE_OP_BUDGET_SECONDS = 1.0


def secret(param_name: str, local_value: SecretStr) -> Callable[[], str]:
    """A secret from SSM (decrypted, cached 5 minutes by Powertools) when named, else the local value. Never logged."""
    if not param_name:
        return local_value.get_secret_value

    def fetch() -> str:
        try:
            return str(parameters.get_parameter(param_name, decrypt=True, max_age=300))
        except GetParameterError as exc:
            # The parameter's name is configuration, not a secret; the value never reaches a log.
            raise SecretUnavailableError(f"SSM parameter {param_name!r} is missing or not readable") from exc

    return fetch


@dataclass(frozen=True)
class CacheEmbedder:
    embedder: Embedder
    model: str  # priced by the catalog (the local model at $0), and recorded on every cache entry
    dimensions: int


class Components:
    """The adapters of one process, built lazily and once. Pass `dynamodb` to run on another client (moto, dynalite)."""

    def __init__(self, settings: Settings, *, dynamodb: DynamoDBClient | None = None) -> None:
        self.settings = settings
        self._dynamodb = dynamodb

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        """Honours AWS_ENDPOINT_URL_DYNAMODB (boto3 reads it), so local runs point at dynalite."""
        client: DynamoDBClient = self._dynamodb or boto3.client("dynamodb", config=_DYNAMODB)
        return client

    @cached_property
    def idempotency_dynamodb(self) -> DynamoDBClient:
        """Powertools' idempotency layer calls boto3 itself: it gets botocore's standard retries."""
        client: DynamoDBClient = self._dynamodb or boto3.client("dynamodb", config=_IDEMPOTENCY_DYNAMODB)
        return client

    @cached_property
    def ledger(self) -> DynamoDBLedger:
        return DynamoDBLedger(
            self.dynamodb, self.settings.budget_table_name, hold_ttl_seconds=self.settings.hold_ttl_seconds
        )

    @cached_property
    def directory(self) -> DynamoDBTenantDirectory:
        return DynamoDBTenantDirectory(self.dynamodb, self.settings.tenant_table_name)

    def default_policy(self) -> BudgetPolicy:
        """The policy a new tenant gets when none is given (DEFAULT_DAILY_BUDGET / DEFAULT_MONTHLY_BUDGET)."""
        daily, monthly = self.settings.default_daily_budget, self.settings.default_monthly_budget
        return BudgetPolicy(daily_cap_usd=daily, monthly_cap_usd=monthly)

    @cached_property
    def catalog(self) -> PricingCatalog:
        return PricingCatalog.load()

    @cached_property
    def openrouter(self) -> OpenRouterClient:
        settings = self.settings
        client = partial(
            OpenRouterClient,
            api_key=secret(settings.openrouter_api_key_param, settings.openrouter_api_key),
            base_url=settings.openrouter_base_url,
            referer=settings.app_url,
            title=settings.app_title,
        )
        if settings.embedder != "openrouter":
            return client()  # never asked for an embedding: EMBEDDING_MODEL and EMBEDDING_DIMENSIONS do not apply
        return client(embedding_model=settings.embedding_model, embedding_dimensions=settings.embedding_dimensions)

    @cached_property
    def cache_embedder(self) -> CacheEmbedder:
        """Who embeds the cache's questions (EMBEDDER): all-MiniLM-L6-v2 in this process, loaded here, at init (a
        SnapStart snapshot then holds it loaded, and a model that cannot load fails the cold start, not a request);
        or OpenRouter's EMBEDDING_MODEL at EMBEDDING_DIMENSIONS."""
        settings = self.settings
        if settings.embedder == "local":
            local = LocalEmbedder(settings.local_embedder_path or None)
            local.warm()
            return CacheEmbedder(local, local.model_id, local.dimensions)
        return CacheEmbedder(self.openrouter, settings.embedding_model, settings.embedding_dimensions)

    @cached_property
    def llm(self) -> LLMClient | LoggedLLM:
        """OpenRouter, logged to Helicone when a Helicone key is configured."""
        settings = self.settings
        if not (settings.helicone_api_key_param or settings.helicone_api_key.get_secret_value()):
            return self.openrouter
        helicone = HeliconeLogger(
            secret(settings.helicone_api_key_param, settings.helicone_api_key),
            url=settings.helicone_url,
            timeout_seconds=settings.helicone_timeout_seconds,
        )
        return LoggedLLM(self.openrouter, self.openrouter, helicone, url=settings.openrouter_base_url)

    @cached_property
    def semantic_cache(self) -> SemanticCache | None:
        settings = self.settings
        if not settings.cache_enabled:
            return None
        # The cache only saves money: when its table stalls, give up sooner than the ledger does and answer without it.
        cache_call = DynamoCall(self.dynamodb, name="cache store", op_budget_seconds=CACHE_OP_BUDGET_SECONDS)
        embedder = self.cache_embedder
        answers = self.answer_cache(DynamoDBCacheStore(self.dynamodb, settings.cache_table_name, call=cache_call))
        similarity = SIMILARITY[settings.embedder]
        judge = (
            Judge(self.llm, self.catalog, settings.cache_judge_model, certain=similarity.certain)
            if settings.cache_judge_model
            else None
        )
        return SemanticCache(
            answers, embedder.embedder, self.catalog, embedder.model, threshold=similarity.threshold, judge=judge
        )

    def answer_cache(self, store: CacheStore, **overrides: Any) -> AnswerCache:
        """The answer cache on `store` with the settings' bounds and the embedder in use (benchmarks override the
        refresh interval or the executor)."""
        settings, embedder = self.settings, self.cache_embedder
        return AnswerCache(
            store,
            **{
                "dimensions": embedder.dimensions,
                "embedder": embedder.model,
                "ttl_seconds": settings.cache_ttl_seconds,
                "refresh_seconds": settings.cache_refresh_seconds,
                "max_entries": settings.cache_max_entries,
                "max_bytes": settings.cache_max_memory_mb * 2**20,
                **overrides,
            },
        )

    @cached_property
    def chat_service(self) -> ChatService:
        return ChatService(
            self.ledger,
            self.llm,
            self.catalog,
            cache=self.semantic_cache,
            profiles=Profiles(self.directory),
            alerts=self.alert_delivery,
            busy_wait_seconds=self.settings.busy_wait_seconds,
            llm_timeout_seconds=self.settings.llm_timeout_seconds,
        )

    @cached_property
    def alert_delivery(self) -> AlertDelivery | None:
        """Publishes claimed alerts to the topic; None when no topic is configured (they wait in the outbox)."""
        if not self.settings.alerts_topic_arn:
            return None
        return AlertDelivery(self.alert_publisher, self.ledger, enrich=self.alert_details)

    @cached_property
    def alert_details(self) -> AlertDetails:
        """The model now in use, and a fresh link to the tenant's budget page when the deployment issues them."""
        return AlertDetails(self.catalog, dashboard_link=self.alert_dashboard_link)

    def windows_run(self) -> WindowsRun:
        """The scheduled windows run (functions/windows): its ledger on a client pooled for its worker threads, the
        alerts topic, and OpenRouter's account endpoint for reconciliation (docs/windows.md)."""
        settings = self.settings
        pooled = Config(max_pool_connections=settings.windows_workers + 2)
        client: DynamoDBClient = self._dynamodb or boto3.client("dynamodb", config=_DYNAMODB.merge(pooled))
        ledger = DynamoDBLedger(client, settings.budget_table_name, hold_ttl_seconds=settings.hold_ttl_seconds)
        delivery = AlertDelivery(self.alert_publisher, ledger, enrich=self.alert_details)
        reconciler = None
        if settings.reconcile_enabled:
            key = secret(settings.openrouter_api_key_param, settings.openrouter_api_key)
            tolerance = Tolerance(settings.reconcile_tolerance_usd, settings.reconcile_tolerance_percent)
            account = OpenRouterAccount(key, settings.openrouter_base_url)
            reconciler = Reconciler(ledger.upkeep(), ledger, account, tolerance=tolerance)
        return WindowsRun(ledger.upkeep(), delivery, reconciler=reconciler, workers=settings.windows_workers)

    @cached_property
    def tenant_admin(self) -> TenantAdmin:
        """The admin service: the admin routes and the operator CLI both use this one."""
        return TenantAdmin(
            self.ledger,
            self.directory,
            destinations=self.alert_destinations if self.settings.alerts_topic_arn else None,
            events=self.ledger if isinstance(self.ledger, EventLog) else None,
            links=self.dashboard_links,
            alerts=self.alert_delivery,
        )

    def admin_endpoint(self, logger: Logger) -> AdminEndpoint:
        auth = AdminAuth(self.settings.admin_token.get_secret_value())
        return AdminEndpoint(auth, self.tenant_admin, logger=logger, links=self.dashboard_links)

    def chat_endpoint(self, logger: Logger, metrics: Metrics) -> ChatEndpoint:
        settings = self.settings
        persistence = DynamoDBPersistenceLayer(
            table_name=settings.idempotency_table_name, boto3_client=self.idempotency_dynamodb
        )
        return ChatEndpoint(
            Authenticator(self.directory, ttl_seconds=settings.auth_cache_seconds),
            self.chat_service,
            idempotency=IdempotencyGate(persistence),
            logger=logger,
            observer=Observer(logger, metrics),
            catalog=self.catalog,
            after_request=self.after_request,
        )

    @property
    def after_request(self) -> list[Callable[[Deadline], None]]:
        """What runs after every chat request, answered or not, wherever it came from (the routes, the library):
        Helicone's drain, when request logging is on."""
        llm = self.llm
        return [llm.drain] if isinstance(llm, LoggedLLM) else []

    # ---- alerts: the SNS topic, Slack, tenants' destinations -------------------------------------------------------

    @cached_property
    def sns(self) -> SNSClient:
        """Honours AWS_ENDPOINT_URL_SNS. A chat request waits at most about a second for it: one attempt, short
        timeouts; what is not published then stays in the outbox for the scheduled run."""
        config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=0.5, read_timeout=1)
        client: SNSClient = boto3.client("sns", config=config)
        return client

    @cached_property
    def ssm(self) -> SSMClient:
        """Honours AWS_ENDPOINT_URL_SSM. Webhook secrets are read off the request path: one retry, short timeouts."""
        config = Config(retries={"total_max_attempts": 2, "mode": "standard"}, connect_timeout=0.5, read_timeout=1)
        client: SSMClient = boto3.client("ssm", config=config)
        return client

    @cached_property
    def alert_publisher(self) -> SnsAlertPublisher:
        return SnsAlertPublisher(self.sns, self.settings.alerts_topic_arn)

    @cached_property
    def slack_webhooks(self) -> SsmSlackWebhooks:
        settings = self.settings
        operator = secret(settings.slack_webhook_param, settings.slack_webhook_url)
        return SsmSlackWebhooks(self.ssm, settings.tenant_secrets_prefix, operator)

    @cached_property
    def slack_posts(self) -> IdempotentPosts:
        """Which alert went to which Slack destination: on the idempotency table, with botocore's retries."""
        table = self.settings.idempotency_table_name
        return IdempotentPosts(DynamoDBPersistenceLayer(table_name=table, boto3_client=self.idempotency_dynamodb))

    @cached_property
    def slack_alerts(self) -> SlackAlerts:
        poster = SlackWebhookClient(timeout_seconds=self.settings.slack_timeout_seconds)
        return SlackAlerts(self.slack_webhooks, poster, self.slack_posts)

    @cached_property
    def alert_destinations(self) -> Destinations:
        """Tenants' own e-mail and Slack destinations, as the operator CLI sets them."""
        return Destinations(
            self.directory,
            DynamoDBDestinationStore(self.dynamodb, self.settings.tenant_table_name),
            SnsEmailSubscriptions(self.sns, self.settings.alerts_topic_arn),
            self.slack_webhooks,
        )

    # ---- the budget page: signed links (spendrail.dashboard) --------------------------------------------------------

    @cached_property
    def dashboard_links(self) -> DashboardLinks | None:
        """Signs and checks budget page links; None when the deployment names no secret (then no link is issued)."""
        settings = self.settings
        if not (settings.dashboard_secret_param or settings.dashboard_secret.get_secret_value()):
            return None
        return DashboardLinks(
            secret(settings.dashboard_secret_param, settings.dashboard_secret), settings.public_base_url
        )

    @property
    def alert_dashboard_link(self) -> AlertDashboardLink | None:
        """What AlertDetails(dashboard_link=...) takes: a fresh link per alert, when links and a base URL exist."""
        links = self.dashboard_links
        if links is None or not self.settings.public_base_url:
            return None
        return links.for_alert
