"""`make dev`: the whole stack on one machine, no AWS account: dynalite, the functions behind a local API Gateway,
OpenRouter (the real one when OPENROUTER_API_KEY is set, else the offline simulator), SNS/SSM (moto's server) with
the alerts topic delivering to the Slack function, and the windows function on a short period.

Ctrl-C or SIGTERM stops all of it within seconds; a part that dies on its own (dynalite, the API server) stops the
rest with one line saying which and how; a bad setting gets one line and a non-zero exit.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Self

from pydantic import ValidationError

from local import dynalite, tables
from local.alert_bridge import AlertBridge
from local.apigw import LocalApiGateway, Route, describe_exit
from local.aws import LocalAws
from local.openrouter_sim import OpenRouterSimulator
from local.schedule import Schedule
from spendrail.admin.auth import new_admin_token
from spendrail.compose import Components
from spendrail.errors import TenantNotFoundError
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.money import nanos_to_usd
from spendrail.policy import BudgetPolicy
from spendrail.settings import Settings
from spendrail.tenants.model import Tenant
from spendrail.tenants.provision import provision_tenant

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / ".local-data"  # LOCAL_DATA_DIR moves it
SIM_PORT = 8787  # the simulator's own default (python -m local.openrouter_sim); OPENROUTER_SIM_PORT moves it
STOP_GRACE_S = 2.0  # how long a request still running when make dev stops may finish before its worker is killed
ROUTES = [
    Route("POST", "/v1/chat/completions", "functions/chat:app.lambda_handler"),
    Route("POST", "/v1/chat", "functions/chat:app.lambda_handler"),
    Route("ANY", "/v1/admin/", "functions/admin:app.lambda_handler"),
    Route("GET", "/dashboard", "functions/admin:app.lambda_handler"),
]
# Handed to the functions as is (the rest of the environment is not, as in Lambda).
_PASSED_THROUGH = (
    "DEFAULT_DAILY_BUDGET",
    "DEFAULT_MONTHLY_BUDGET",
    "HOLD_TTL_SECONDS",
    "BUSY_WAIT_SECONDS",
    "AUTH_CACHE_SECONDS",
    "LLM_TIMEOUT_SECONDS",
    "HELICONE_API_KEY",
    "HELICONE_URL",
    "POWERTOOLS_LOG_LEVEL",
    "POWERTOOLS_METRICS_DISABLED",
    "CACHE_ENABLED",
    "CACHE_REFRESH_SECONDS",
    "CACHE_TTL_SECONDS",
    "EMBEDDER",
    "LOCAL_EMBEDDER_PATH",
    "EMBEDDING_MODEL",
    "EMBEDDING_DIMENSIONS",
    "SLACK_TIMEOUT_SECONDS",
)
AWS_PORT = 4566  # where local AWS stand-ins usually listen; LOCAL_AWS_PORT moves it


def function_env(dynamodb_endpoint: str, settings: Settings, llm_base_url: str, llm_api_key: str) -> dict[str, str]:
    """What the functions find in their environment locally: dynalite, the tables, the LLM, fake credentials."""
    return {
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "BUDGET_TABLE_NAME": settings.budget_table_name,
        "TENANT_TABLE_NAME": settings.tenant_table_name,
        "IDEMPOTENCY_TABLE_NAME": settings.idempotency_table_name,
        "CACHE_TABLE_NAME": settings.cache_table_name,
        "OPENROUTER_API_KEY": llm_api_key,
        "POWERTOOLS_SERVICE_NAME": "spendrail",
        "POWERTOOLS_METRICS_NAMESPACE": "Spendrail",
        "POWERTOOLS_TRACE_DISABLED": "true",
        **({"OPENROUTER_BASE_URL": llm_base_url} if llm_base_url else {}),
    }


class ConfigError(ValueError):
    """A setting make dev cannot use; the message is the one line the developer sees."""


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip() or str(default)
    if not raw.isdigit() or int(raw) > 65535:
        raise ConfigError(f"{name} must be a port number from 0 (any free port) to 65535, not {raw!r}")
    return int(raw)


def _instances(environ: Mapping[str, str]) -> int:
    raw = environ.get("LOCAL_INSTANCES", "").strip() or "4"
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise ConfigError(f"LOCAL_INSTANCES must be a number of workers from 1 to 64, not {raw!r}")
    return int(raw)


def _period(environ: Mapping[str, str]) -> float:
    raw = environ.get("WINDOWS_PERIOD_SECONDS", "").strip() or "30"
    try:
        period = float(raw)
    except ValueError:
        period = -1.0
    if not 1 <= period <= 3600:
        raise ConfigError(f"WINDOWS_PERIOD_SECONDS must be a number of seconds from 1 to 3600, not {raw!r}")
    return period


def _webhook(environ: Mapping[str, str]) -> str:
    url = environ.get("SLACK_WEBHOOK_URL", "").strip()
    if url and not url.startswith(("https://", "http://")):
        raise ConfigError("SLACK_WEBHOOK_URL must be an http(s) URL (a Slack incoming webhook)")  # never echoed
    return url


def _check_settings(env: Mapping[str, str]) -> None:
    """The functions' settings as they will read them, so a bad one stops make dev before anything starts."""
    try:
        Settings.from_env(env)
    except ValidationError as error:
        first = error.errors()[0]
        name = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{name}={first.get('input')!r}: {first['msg']}") from None


def _check_free(port: int, name: str) -> None:
    if port == 0:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind: only a listener blocks it
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise ConfigError(f"{name} {port} is already in use: stop what listens there or set {name}") from None


@dataclass
class StackConfig:
    port: int = 3000
    dynamodb_port: int = 0
    sim_port: int = 0
    data_dir: Path | None = None  # None keeps DynamoDB in memory (tests)
    tenant_id: str = "demo-store"
    tenant_key: str | None = None
    policy: BudgetPolicy | None = None
    instances: int = 4
    openrouter_api_key: str = ""
    openrouter_base_url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    aws_port: int = 0
    slack_webhook_url: str = ""  # the operator's alert channel
    windows_period_s: float = 30.0
    admin_token: str = field(default_factory=new_admin_token)  # ADMIN_TOKEN, or a new one printed at start
    admin_token_given: bool = False
    # Signs budget-page links (DASHBOARD_SECRET); a new one each start unless given, so old local links expire then.
    dashboard_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> StackConfig:
        """make dev's settings from its environment; raises ConfigError (one line) for a value it cannot use."""
        env = {name: environ[name] for name in _PASSED_THROUGH if name in environ}
        _check_settings(env)
        return cls(
            port=_port(environ, "PORT", 3000),
            dynamodb_port=_port(environ, "DYNAMODB_PORT", 8000),
            sim_port=_port(environ, "OPENROUTER_SIM_PORT", SIM_PORT),
            data_dir=Path(environ.get("LOCAL_DATA_DIR") or DATA_DIR) / "dynalite",
            tenant_id=environ.get("DEV_TENANT_ID", "demo-store"),
            tenant_key=environ.get("DEV_TENANT_KEY") or None,
            instances=_instances(environ),
            openrouter_api_key=environ.get("OPENROUTER_API_KEY", ""),
            openrouter_base_url=environ.get("OPENROUTER_BASE_URL", ""),
            env=env,
            aws_port=_port(environ, "LOCAL_AWS_PORT", AWS_PORT),
            slack_webhook_url=_webhook(environ),
            windows_period_s=_period(environ),
            admin_token=environ.get("ADMIN_TOKEN") or new_admin_token(),
            admin_token_given=bool(environ.get("ADMIN_TOKEN")),
            dashboard_secret=environ.get("DASHBOARD_SECRET") or secrets.token_urlsafe(32),
        )

    @property
    def simulated(self) -> bool:
        """Neither a real OpenRouter nor another endpoint is set: the stack works offline with the simulator."""
        return not self.openrouter_api_key and not self.openrouter_base_url

    def check_ports(self) -> None:
        """Each fixed port is free now (a clear line beats a bind error halfway through starting)."""
        _check_free(self.port, "PORT")
        _check_free(self.dynamodb_port, "DYNAMODB_PORT")
        _check_free(self.aws_port, "LOCAL_AWS_PORT")
        if self.simulated:
            _check_free(self.sim_port, "OPENROUTER_SIM_PORT")


class LocalStack:
    def __init__(self, config: StackConfig, say: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.say = say or _say  # the console: every SNS message and what Slack made of it
        self.settings = Settings.from_env(config.env)
        self._exit = contextlib.ExitStack()
        self.dynamodb_endpoint = ""
        self.dynalite: dynalite.Dynalite | None = None
        self.simulator: OpenRouterSimulator | None = None
        self.gateway: LocalApiGateway | None = None
        self.aws: LocalAws | None = None
        self.alerts: AlertBridge | None = None
        self.schedule: Schedule | None = None
        self.tenant_key = ""
        self.client: Any = None

    @property
    def url(self) -> str:
        assert self.gateway is not None
        return self.gateway.url

    def start(self) -> Self:
        try:
            self._start()
        except BaseException:
            self._exit.close()
            raise
        return self

    def _start(self) -> None:
        config, settings = self.config, self.settings
        self.dynalite = self._exit.enter_context(
            dynalite.started(port=config.dynamodb_port or None, data_dir=config.data_dir)
        )
        self.dynamodb_endpoint = self.dynalite.endpoint
        self.client = dynalite.client(self.dynamodb_endpoint)
        self._create_tables()
        self.tenant_key = self._seed()
        base_url, api_key = config.openrouter_base_url, config.openrouter_api_key
        if config.simulated:
            self.simulator = self._exit.enter_context(OpenRouterSimulator(port=config.sim_port))
            base_url = self.simulator.base_url
        api_key = api_key or "sk-or-local-no-key"
        self.aws = self._exit.enter_context(LocalAws(config.aws_port))
        port = config.port or dynalite.free_port()  # known before the workers start: links name the API's URL
        env = function_env(self.dynamodb_endpoint, settings, base_url, api_key) | self._alerts_env() | config.env
        env |= {
            "ADMIN_TOKEN": config.admin_token,
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "DASHBOARD_SECRET": config.dashboard_secret,
        }
        self.gateway = LocalApiGateway(ROUTES, port=port, instances=config.instances, env=env).start()
        # Functions that run in the background print no metrics lines into the console unless asked to.
        background = {"POWERTOOLS_METRICS_DISABLED": "true"} | env
        slack_env = background | ({"SLACK_WEBHOOK_URL": config.slack_webhook_url} if config.slack_webhook_url else {})
        self.alerts = AlertBridge(self.aws, slack_env, self.say).start()
        self.schedule = Schedule(config.windows_period_s, background, self.say).start()
        self._exit.callback(self._stop_functions)

    def _stop_functions(self) -> None:
        """Every function's workers at once: each gets the same few seconds to finish, not one after the other."""
        parts = (part for part in (self.schedule, self.alerts, self.gateway) if part is not None)
        stopping = [threading.Thread(target=part.stop, args=(STOP_GRACE_S,)) for part in parts]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()

    def _alerts_env(self) -> dict[str, str]:
        """The functions reach SNS and SSM on the local server, as AWS_ENDPOINT_URL_* tells boto3 to."""
        assert self.aws is not None
        endpoint = self.aws.endpoint
        return {
            "AWS_ENDPOINT_URL_SNS": endpoint,
            "AWS_ENDPOINT_URL_SSM": endpoint,
            "AWS_ENDPOINT_URL_SQS": endpoint,
            "ALERTS_TOPIC_ARN": self.aws.topic_arn,
        }

    def stop(self) -> None:
        self._exit.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def failure(self) -> str | None:
        """Which part of the stack has stopped on its own, and how; None while every part runs."""
        if self.dynalite is not None and (code := self.dynalite.process.poll()) is not None:
            return f"dynalite {describe_exit(code)}"
        if self.gateway is not None and not self.gateway.serving:
            return "the API server thread ended"
        if self.simulator is not None and not self.simulator.serving:
            return "the OpenRouter simulator's server thread ended"
        if self.aws is not None and not self.aws.serving:
            return "the local SNS/SSM server thread ended"
        if self.alerts is not None and not self.alerts.serving:
            return "the alert delivery thread ended"
        if self.schedule is not None and not self.schedule.serving:
            return "the windows schedule thread ended"
        return None

    def watch(self, every_s: float = 0.25) -> str:
        """Block until a part of the stack stops on its own; returns which and how. Signals interrupt the wait."""
        while (failure := self.failure()) is None:
            time.sleep(every_s)
        return failure

    @property
    def components(self) -> Components:
        """The adapters as the functions build them (same settings), on the stack's DynamoDB."""
        return Components(self.settings, dynamodb=self.client)

    def ledger(self) -> DynamoDBLedger:
        return self.components.ledger

    def _create_tables(self) -> None:
        wanted = {
            "BudgetTable": self.settings.budget_table_name,
            "TenantTable": self.settings.tenant_table_name,
            "IdempotencyTable": self.settings.idempotency_table_name,
            "CacheTable": self.settings.cache_table_name,
        }
        existing = set(self.client.list_tables()["TableNames"])
        tables.create_tables(self.client, {k: v for k, v in wanted.items() if v not in existing})

    def _seed(self) -> str:
        """The dev tenant with the default budget (kept if it exists: budgets survive a restart) and a key."""
        config, components = self.config, self.components
        policy = config.policy or components.default_policy()
        with contextlib.suppress(TenantNotFoundError):
            policy = config.policy or components.ledger.snapshot(config.tenant_id).policy
        tenant = Tenant(config.tenant_id)
        return provision_tenant(components.directory, components.ledger, tenant, policy, config.tenant_key)


def _say(line: str) -> None:
    print(line, flush=True)


def _stop_requested(signum: int, frame: FrameType | None) -> None:
    # Stopping takes a few seconds at most (STOP_GRACE_S); a second Ctrl-C must not cut it short and leave workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _banner(stack: LocalStack) -> str:
    config = stack.config
    snapshot = stack.ledger().snapshot(config.tenant_id)
    llm = f"simulator at {stack.simulator.base_url}" if stack.simulator else config.openrouter_base_url
    llm = llm or "OpenRouter (OPENROUTER_API_KEY)"
    slack = "SLACK_WEBHOOK_URL" if config.slack_webhook_url else "none (set SLACK_WEBHOOK_URL); alerts print here"
    return f"""
spendrail local stack
  API        {stack.url}  (POST /v1/chat, POST /v1/chat/completions; admin routes under /v1/admin/)
  DynamoDB   {stack.dynamodb_endpoint}  (dynalite, data in {config.data_dir})
  LLM        {llm}
  Alerts     SNS topic {stack.aws.topic_arn if stack.aws else ""}
             at {stack.aws.endpoint if stack.aws else ""} (also SSM); Slack: {slack}
  Windows    the windows function every {config.windows_period_s:g} s
  tenant     {config.tenant_id}: {snapshot.state.value}, daily ${nanos_to_usd(snapshot.daily.spent):f} of \
${nanos_to_usd(snapshot.daily.cap):f} spent
  key        {stack.tenant_key}
  admin      {config.admin_token}{"" if config.admin_token_given else "  (generated: set ADMIN_TOKEN to keep one)"}

Try it:
  curl -s -X POST {stack.url}/v1/chat \\
    -H 'Authorization: Bearer {stack.tenant_key}' -H 'Content-Type: application/json' \\
    -d '{{"prompt":"How do I track my order?","customerId":"cust-1"}}'
  curl -s {stack.url}/v1/admin/tenants/{config.tenant_id}/budget -H 'Authorization: Bearer {config.admin_token}'
  An OpenAI SDK: base_url="{stack.url}/v1", api_key="{stack.tenant_key}", model="auto"

Ctrl-C stops everything."""


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")  # e.g. a worker that died, in one line
    signal.signal(signal.SIGINT, _stop_requested)
    signal.signal(signal.SIGTERM, _stop_requested)
    try:
        config = StackConfig.from_env(os.environ)
        config.check_ports()
        with LocalStack(config) as stack:
            print(_banner(stack), flush=True)
            failure = stack.watch()
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # as in _stop_requested: let the stop finish
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            print(f"{failure}; stopping", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("Stopped.", flush=True)
        return 0
    except (ConfigError, OSError, RuntimeError) as error:  # a bad setting, or a part that could not start
        print(f"make dev: {str(error).splitlines()[0]}", file=sys.stderr, flush=True)
        return 2 if isinstance(error, ConfigError) else 1


if __name__ == "__main__":
    sys.exit(main())
