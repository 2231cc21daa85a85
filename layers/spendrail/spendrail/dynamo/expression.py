"""UpdateItem requests built piece by piece, and the low-level attribute values they carry."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


def n(value: int | Decimal) -> dict[str, str]:
    """A number attribute value (DynamoDB carries numbers as strings, so big nano-USD amounts stay exact)."""
    return {"N": str(value)}


def s(value: str) -> dict[str, str]:
    """A string attribute value."""
    return {"S": value}


@dataclass
class Update:
    """An UpdateItem under construction; callers use fixed, underscored names, so none is a reserved word."""

    sets: list[str] = field(default_factory=list)
    removes: list[str] = field(default_factory=list)
    adds: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)

    def expression(self) -> str:
        parts = []
        if self.sets:
            parts.append("SET " + ", ".join(self.sets))
        if self.removes:
            parts.append("REMOVE " + ", ".join(self.removes))
        if self.adds:
            parts.append("ADD " + ", ".join(self.adds))
        return " ".join(parts)

    def request(self, table: str, key: dict[str, Any], return_values: str) -> dict[str, Any]:
        request: dict[str, Any] = {
            "TableName": table,
            "Key": key,
            "UpdateExpression": self.expression(),
            "ReturnValues": return_values,
        }
        if self.conditions:
            request["ConditionExpression"] = " AND ".join(self.conditions)
        if self.names:
            request["ExpressionAttributeNames"] = self.names
        if self.values:
            request["ExpressionAttributeValues"] = self.values
        return request
