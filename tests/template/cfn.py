"""template.yaml as the tests read it: the document, its functions, and the environment each function gets in AWS.

CloudFormation's intrinsic functions are evaluated just far enough for a function to start on the values a deploy
would give it: parameters take their defaults, conditions are evaluated on them, and a resource reference becomes a
stand-in of the right shape (a table name, a topic ARN).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from local.tables import TEMPLATE, _CfnLoader

__all__ = ["TEMPLATE", "as_list", "condition", "environment", "functions", "resolve", "resources", "template"]

ROOT = TEMPLATE.parent
REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK = "spendrail-test"
# Every optional feature on (Helicone, the operator's Slack and e-mail, a custom domain): what a function reads then.
EVERYTHING_ON = {
    "HeliconeApiKeyParam": "/spendrail/helicone-api-key",
    "SlackWebhookParam": "/spendrail/slack-webhook",
    "OperatorEmail": "ops@example.com",
    "PublicBaseUrl": "https://api.example.com",
}


@cache
def template() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506
    return doc


def resources(kind: str | None = None) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = template()["Resources"]
    return {k: v for k, v in found.items() if kind is None or v["Type"] == kind}


def functions() -> dict[str, dict[str, Any]]:
    return resources("AWS::Serverless::Function")


def function_dir(logical_id: str) -> Path:
    return ROOT / str(functions()[logical_id]["Properties"]["CodeUri"])


def statements(logical_id: str) -> list[dict[str, Any]]:
    """The function's inline policy statements, conditional ones (Fn::If) with their true branch."""
    found: list[dict[str, Any]] = []
    for policy in functions()[logical_id]["Properties"].get("Policies", []):
        for statement in policy["Statement"]:
            found.append(statement["If"][1] if "If" in statement else statement)
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _stand_in(logical_id: str, attribute: str | None = None) -> str:
    kind = resources()[logical_id]["Type"]
    if kind == "AWS::SNS::Topic":
        return f"arn:aws:sns:{REGION}:{ACCOUNT}:{STACK}-{logical_id}"
    if kind == "AWS::DynamoDB::Table" and attribute is None:
        return f"{STACK}-{logical_id}"
    return f"arn:aws:test:{REGION}:{ACCOUNT}:{logical_id}" + (f"/{attribute}" if attribute else "")


def condition(name: str, given: Mapping[str, str] | None = None) -> bool:
    return bool(resolve(template()["Conditions"][name], given))


def resolve(value: Any, given: Mapping[str, str] | None = None) -> Any:
    """Evaluate the intrinsic functions in `value` with the `given` parameters, the others at their defaults."""
    given = given or {}
    parameters = template()["Parameters"]

    def sub(name: str) -> Any:
        if "." in name and not name.startswith("AWS::"):
            return resolve({"GetAtt": name}, given)
        if name == "AWS::URLSuffix":
            return "amazonaws.com"
        return resolve({"Ref": name}, given)

    if isinstance(value, list):
        return [resolve(v, given) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        return {k: resolve(v, given) for k, v in value.items()}
    [(name, arg)] = value.items()
    if name == "Ref":
        pseudo = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::StackName": STACK, "AWS::Partition": "aws"}
        if arg in pseudo:
            return pseudo[arg]
        if arg == "AWS::NoValue":
            return None
        if arg in parameters:
            return given.get(arg, str(parameters[arg].get("Default", "")))
        return _stand_in(arg)
    if name == "GetAtt":
        logical_id, _, attribute = (arg if isinstance(arg, str) else ".".join(arg)).partition(".")
        return _stand_in(logical_id, attribute)
    if name == "Sub":
        text = arg if isinstance(arg, str) else arg[0]
        return re.sub(r"\$\{([^}]+)\}", lambda m: str(sub(m.group(1))), text)
    if name == "If":
        return resolve(arg[1] if condition(arg[0], given) else arg[2], given)
    if name == "Equals":
        return resolve(arg[0], given) == resolve(arg[1], given)
    if name == "Not":
        return not resolve(arg[0], given)
    if name == "Condition":
        return condition(arg, given)
    return {name: resolve(arg, given)}


def environment(logical_id: str) -> dict[str, Any]:
    """The function's variables as written (Globals, then its own), unresolved."""
    merged = dict(template()["Globals"]["Function"]["Environment"]["Variables"])
    merged |= functions()[logical_id]["Properties"].get("Environment", {}).get("Variables", {})
    return merged


def resolved_environment(logical_id: str, given: Mapping[str, str] | None = None) -> dict[str, str]:
    """What the function's process would see in AWS with the `given` parameters; unset values left out."""
    env = {name: resolve(value, given) for name, value in environment(logical_id).items()}
    return {name: str(value) for name, value in env.items() if value is not None}


def http_routes(logical_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(METHOD, path) -> the HttpApi event's properties, for the function's API routes."""
    events = functions()[logical_id]["Properties"].get("Events", {})
    return {
        (e["Properties"]["Method"].upper(), e["Properties"]["Path"]): e["Properties"]
        for e in events.values()
        if e["Type"] == "HttpApi"
    }
