"""Each function as template.yaml deploys it: its handler imports and is callable with exactly the environment the
template gives it, every setting it reads is set there (no default meant for a laptop reaches AWS), every variable
the template sets is one it reads (no typo goes unnoticed), local-only secrets are never set in AWS, and every route
the function serves is routed to it by the API."""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from spendrail import settings as settings_module
from spendrail.settings import Settings
from tests.handlers import load_function
from tests.template import cfn

FUNCTIONS = sorted(cfn.functions())
# Read in every process but only ever set locally: in AWS a secret comes from SSM (its *_PARAM variable) and the
# admin routes are authorized by IAM. Setting one of these in the template would put a secret (or a bypass) in
# Lambda's configuration.
LOCAL_ONLY = {"OPENROUTER_API_KEY", "HELICONE_API_KEY", "SLACK_WEBHOOK_URL", "DASHBOARD_SECRET", "ADMIN_TOKEN"}
# Read by Powertools itself, not through Settings.
POWERTOOLS = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}


class RecordingSettings(Settings):
    """Settings that remember which fields the composition root reads."""

    read: ClassVar[set[str]] = set()

    def __getattribute__(self, name: str) -> Any:
        if name in type(self).model_fields:
            RecordingSettings.read.add(name)
        return super().__getattribute__(name)


@dataclass
class Loaded:
    logical_id: str
    everything_on: bool
    module: Any
    aliases_read: set[str]
    env: dict[str, str]


def _alias(field: str) -> str:
    alias = Settings.model_fields[field].alias
    assert alias is not None
    return alias


CASES = [(f, on) for f in FUNCTIONS for on in (False, True)]
ALL_ON = [(f, True) for f in FUNCTIONS]
ROUTED = [(f, on) for f, on in CASES if cfn.http_routes(f)]
UNROUTED = [(f, on) for f, on in CASES if not cfn.http_routes(f)]


def _case_id(case: tuple[str, bool]) -> str:
    return case[0] + ("+all" * case[1])


@pytest.fixture(params=CASES, ids=_case_id)
def loaded(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Loaded:
    """The function's module imported with only the template's variables in the environment: with the parameters'
    defaults, and with every optional feature on (some settings are read only when their feature is)."""
    logical_id, everything_on = request.param
    env = cfn.resolved_environment(logical_id, cfn.EVERYTHING_ON if everything_on else None)
    for name in list(os.environ):
        if name in Settings.model_json_schema(by_alias=True)["properties"] or name.startswith("POWERTOOLS_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")  # outside Lambda, X-Ray has no daemon to talk to
    RecordingSettings.read = set()
    monkeypatch.setattr(settings_module, "Settings", RecordingSettings)
    monkeypatch.setattr(Settings, "from_env", RecordingSettings.from_env)
    module = load_function(cfn.function_dir(logical_id).name)
    return Loaded(logical_id, everything_on, module, {_alias(f) for f in RecordingSettings.read}, env)


def test_every_handler_resolves_to_a_callable_with_the_templates_environment(loaded: Loaded) -> None:
    module_name, _, attribute = cfn.functions()[loaded.logical_id]["Properties"]["Handler"].partition(".")
    assert module_name == "app"
    assert callable(getattr(loaded.module, attribute))


def test_every_setting_a_function_reads_is_set_by_the_template(loaded: Loaded) -> None:
    missing = loaded.aliases_read - LOCAL_ONLY - set(loaded.env)
    assert not missing, f"{loaded.module.__file__} reads {sorted(missing)}, which template.yaml does not set"


# With every optional feature on: a variable of a feature that is off goes unread, rightly.
@pytest.mark.parametrize("loaded", ALL_ON, ids=_case_id, indirect=True)
def test_every_variable_a_function_is_given_is_one_it_reads(loaded: Loaded) -> None:
    own = set(cfn.functions()[loaded.logical_id]["Properties"].get("Environment", {}).get("Variables", {}))
    unread = own - loaded.aliases_read - POWERTOOLS
    assert not unread, f"template.yaml gives {loaded.logical_id} {sorted(unread)}, which it never reads"


def test_local_only_secrets_are_never_set_in_aws() -> None:
    for logical_id in FUNCTIONS:
        assert not set(cfn.environment(logical_id)) & LOCAL_ONLY, logical_id


def _environ_reads(path: Path) -> set[str]:
    """Names read with os.environ[...], os.environ.get(...) or os.getenv(...) as string literals."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            key = node.slice
        elif isinstance(node, ast.Call) and ast.unparse(node.func) in {"os.environ.get", "os.getenv"} and node.args:
            key = node.args[0]
        else:
            continue
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names


def test_no_deployed_code_reads_a_variable_the_template_leaves_unset() -> None:
    deployed = list((cfn.ROOT / "functions").rglob("*.py")) + list((cfn.ROOT / "layers").rglob("*.py"))
    read = {name for path in deployed for name in _environ_reads(path)}
    # Lambda's own variables, and the endpoint overrides the local stack sets.
    provided_by_lambda = {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME", "_X_AMZN_TRACE_ID"}
    set_somewhere = {name for f in FUNCTIONS for name in cfn.environment(f)}
    unset = {n for n in read - set_somewhere - provided_by_lambda if not n.startswith("AWS_ENDPOINT_URL")}
    assert not unset, f"deployed code reads {sorted(unset)} outside Settings and template.yaml never sets them"


def _served_routes(module: Any) -> set[tuple[str, str]]:
    app = module.app
    return {(route.method, route.openapi_path) for route in app._static_routes + app._dynamic_routes}


@pytest.mark.parametrize("loaded", ROUTED, ids=_case_id, indirect=True)
def test_every_route_a_function_serves_is_routed_to_it_and_no_other(loaded: Loaded) -> None:
    served, routed = _served_routes(loaded.module), set(cfn.http_routes(loaded.logical_id))
    assert not served - routed, f"{loaded.logical_id} serves {sorted(served - routed)}, which the API never sends it"
    assert not routed - served, f"the API sends {loaded.logical_id} {sorted(routed - served)}, which it does not serve"


@pytest.mark.parametrize("loaded", UNROUTED, ids=_case_id, indirect=True)
def test_a_function_the_api_never_calls_serves_no_routes(loaded: Loaded) -> None:
    assert not hasattr(loaded.module, "app") or not _served_routes(loaded.module), loaded.logical_id
