"""Runtime configuration, modeled once. Values come from environment variables set in template.yaml."""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    budget_table_name: str = Field(default="spendrail-budget", alias="BUDGET_TABLE_NAME", min_length=3)
    default_daily_budget: Decimal = Field(default=Decimal("10.0"), alias="DEFAULT_DAILY_BUDGET")
    default_monthly_budget: Decimal = Field(default=Decimal("100.0"), alias="DEFAULT_MONTHLY_BUDGET")
    # A hold outlives any live request (the chat function times out after 30 s, a request's deadline before that),
    # so only holds of requests that died are reclaimed; and those block a budget for less than a minute.
    # The ledger's own default (ledger.model.DEFAULT_HOLD_TTL_SECONDS) and template.yaml's agree; a test holds them.
    hold_ttl_seconds: int = Field(default=45, alias="HOLD_TTL_SECONDS", ge=35, le=900)
    # The scheduled windows run (docs/windows.md): tenants worked on at once, and reconciliation's tolerance, the
    # larger of an amount and a percentage of the period's spend. Off when the key is shared with other software.
    windows_workers: int = Field(default=16, alias="WINDOWS_WORKERS", ge=1, le=64)
    reconcile_enabled: bool = Field(default=True, alias="RECONCILE_ENABLED")
    reconcile_tolerance_usd: Decimal = Field(default=Decimal("0.01"), alias="RECONCILE_TOLERANCE_USD", ge=0)
    reconcile_tolerance_percent: Decimal = Field(default=Decimal(1), alias="RECONCILE_TOLERANCE_PERCENT", ge=0, le=100)

    tenant_table_name: str = Field(default="spendrail-tenants", alias="TENANT_TABLE_NAME", min_length=3)
    idempotency_table_name: str = Field(default="spendrail-idempotency", alias="IDEMPOTENCY_TABLE_NAME", min_length=3)
    cache_table_name: str = Field(default="spendrail-cache", alias="CACHE_TABLE_NAME", min_length=3)
    cache_enabled: bool = Field(default=True, alias="CACHE_ENABLED")
    # Who embeds the cache's questions (docs/cache.md, "Embedders"): `local` runs all-MiniLM-L6-v2 in this process
    # (384 dimensions, no network call, no cost; the model the layer ships, or the one in LOCAL_EMBEDDER_PATH), and
    # `openrouter` asks EMBEDDING_MODEL at EMBEDDING_DIMENSIONS through OpenRouter (billed, budgeted). Entries one
    # of them stored are never compared with the other's.
    embedder: Literal["local", "openrouter"] = Field(default="local", alias="EMBEDDER")
    local_embedder_path: str = Field(default="", alias="LOCAL_EMBEDDER_PATH")
    embedding_model: str = Field(default="openai/text-embedding-3-small", alias="EMBEDDING_MODEL")
    embedding_dimensions: int = Field(default=512, alias="EMBEDDING_DIMENSIONS", ge=64, le=3072)
    # The judge model a similar answer is put to before it is served (cache/judge.py; when, per tenant: cache_judge).
    # Empty: no judge, the guards alone decide.
    cache_judge_model: str = Field(default="meta-llama/llama-3.3-70b-instruct", alias="CACHE_JUDGE_MODEL")
    cache_ttl_seconds: int = Field(default=7 * 86_400, alias="CACHE_TTL_SECONDS", ge=60, le=90 * 86_400)
    cache_refresh_seconds: float = Field(default=5.0, alias="CACHE_REFRESH_SECONDS", ge=0, le=3600)
    cache_max_entries: int = Field(default=20_000, alias="CACHE_MAX_ENTRIES", ge=10, le=500_000)
    # What one instance's cache indexes may hold together (their own accounting, ~2.9 KiB an entry of 384 dimensions
    # with an 800-character reply): past it the least recently used tenants' indexes are dropped. Sized with the
    # function's memory (docs/benchmarks.md, "What the guardrail costs").
    cache_max_memory_mb: int = Field(default=150, alias="CACHE_MAX_MEMORY_MB", ge=1, le=8192)
    auth_cache_seconds: float = Field(default=60.0, alias="AUTH_CACHE_SECONDS", ge=0, le=900)
    # Locally the admin routes take this bearer token; in AWS it stays unset and IAM authorizes them (admin/auth.py).
    admin_token: SecretStr = Field(default=SecretStr(""), alias="ADMIN_TOKEN")
    busy_wait_seconds: float = Field(default=1.5, alias="BUSY_WAIT_SECONDS", ge=0, le=10)

    openrouter_base_url: str = Field(default="https://openrouter.ai/api/v1", alias="OPENROUTER_BASE_URL")
    # In AWS the key lives in an SSM SecureString named here; locally it may come straight from the environment.
    openrouter_api_key_param: str = Field(default="", alias="OPENROUTER_API_KEY_PARAM")
    openrouter_api_key: SecretStr = Field(default=SecretStr(""), alias="OPENROUTER_API_KEY")
    llm_timeout_seconds: float = Field(default=12.0, alias="LLM_TIMEOUT_SECONDS", gt=0, le=25)
    app_url: str = Field(default="https://github.com/spendrail", alias="APP_URL")
    app_title: str = Field(default="spendrail", alias="APP_TITLE")

    helicone_api_key_param: str = Field(default="", alias="HELICONE_API_KEY_PARAM")
    helicone_api_key: SecretStr = Field(default=SecretStr(""), alias="HELICONE_API_KEY")
    helicone_url: str = Field(default="https://api.worker.helicone.ai/custom/v1/log", alias="HELICONE_URL")
    helicone_timeout_seconds: float = Field(default=0.5, alias="HELICONE_TIMEOUT_SECONDS", gt=0, le=5)

    # Alerts: the SNS topic every alert is published to; the Slack webhooks (secrets: SSM SecureStrings in AWS, the
    # operator's from the environment locally); tenants' webhooks live under <tenant_secrets_prefix>/tenants/<id>/.
    alerts_topic_arn: str = Field(default="", alias="ALERTS_TOPIC_ARN")
    slack_webhook_param: str = Field(default="", alias="SLACK_WEBHOOK_PARAM")
    slack_webhook_url: SecretStr = Field(default=SecretStr(""), alias="SLACK_WEBHOOK_URL")
    tenant_secrets_prefix: str = Field(
        default="/spendrail", alias="TENANT_SECRETS_PREFIX", pattern=r"^/[A-Za-z0-9_./-]*$"
    )
    slack_timeout_seconds: float = Field(default=3.0, alias="SLACK_TIMEOUT_SECONDS", gt=0, le=10)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls.model_validate({k: v for k, v in env.items() if v != ""})

    # The budget page (spendrail.dashboard): links are signed with a secret, an SSM SecureString named here in AWS,
    # or DASHBOARD_SECRET locally (32+ characters); they point at PUBLIC_BASE_URL, the API's own https URL.
    dashboard_secret_param: str = Field(default="", alias="DASHBOARD_SECRET_PARAM")
    dashboard_secret: SecretStr = Field(default=SecretStr(""), alias="DASHBOARD_SECRET")
    public_base_url: str = Field(default="", alias="PUBLIC_BASE_URL", pattern=r"^(https?://[^\s/?#]+(/[^\s?#]*)?)?$")
