"""Create DynamoDB tables from template.yaml's definitions, so no schema exists twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"
# What CreateTable accepts; the rest (PITR, SSE, TTL, retention) is deployment-only.
_CREATE_KEYS = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
)


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !GetAtt, ...) as plain values."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node)}
    return {suffix: loader.construct_mapping(node)}  # type: ignore[arg-type]


_CfnLoader.add_multi_constructor("!", _tag)


def table_definitions(template: Path = TEMPLATE) -> dict[str, dict[str, Any]]:
    """Logical id -> CreateTable arguments (without TableName) for each AWS::DynamoDB::Table."""
    doc = yaml.load(template.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 - safe loader subclass
    return {
        logical_id: {k: v for k, v in resource["Properties"].items() if k in _CREATE_KEYS}
        for logical_id, resource in doc["Resources"].items()
        if resource["Type"] == "AWS::DynamoDB::Table"
    }


def create_tables(client: Any, names: dict[str, str], template: Path = TEMPLATE) -> None:
    """Create each table named in `names` (logical id -> table name) and wait until it is active."""
    definitions = table_definitions(template)
    for logical_id, table_name in names.items():
        client.create_table(TableName=table_name, **definitions[logical_id])
    for table_name in names.values():
        client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})


def chat_tables(settings: Any) -> dict[str, str]:
    """The chat function's tables: logical id -> the name `settings` (a spendrail Settings) gives it."""
    return {
        "BudgetTable": settings.budget_table_name,
        "TenantTable": settings.tenant_table_name,
        "IdempotencyTable": settings.idempotency_table_name,
        "CacheTable": settings.cache_table_name,
    }


def function_environment(logical_id: str, template: Path = TEMPLATE) -> dict[str, str]:
    """The literal environment variables a function gets from the template (its own over the Globals'); values
    CloudFormation resolves at deploy time (!Ref, !GetAtt) are left out: the caller's settings supply those."""
    doc = yaml.load(template.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 - safe loader subclass
    merged = {
        **doc["Globals"]["Function"].get("Environment", {}).get("Variables", {}),
        **doc["Resources"][logical_id]["Properties"].get("Environment", {}).get("Variables", {}),
    }
    return {name: value for name, value in merged.items() if isinstance(value, str)}
