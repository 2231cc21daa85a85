"""A tenant's alert destinations on the tenant table, beside its profile: ``TENANT#<id>`` / ``ALERTS``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spendrail.dynamo.call import DynamoCall
from spendrail.tenants.destinations import AlertDestinations

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


class DynamoDBDestinationStore:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._call = DynamoCall(client, name="tenant directory")
        self._table = table_name

    def destinations(self, tenant_id: str) -> AlertDestinations:
        response = self._call("get_item", TableName=self._table, Key=_key(tenant_id))
        item: dict[str, Any] = response.get("Item") or {}
        return AlertDestinations(
            tenant_id,
            email=item["email"]["S"] if "email" in item else None,
            email_subscription=item["email_subscription"]["S"] if "email_subscription" in item else None,
            slack=bool(item.get("slack", {}).get("BOOL", False)),
        )

    def put_destinations(self, destinations: AlertDestinations) -> None:
        item: dict[str, Any] = {**_key(destinations.tenant_id), "slack": {"BOOL": destinations.slack}}
        if destinations.email:
            item["email"] = {"S": destinations.email}
        if destinations.email_subscription:
            item["email_subscription"] = {"S": destinations.email_subscription}
        self._call("put_item", TableName=self._table, Item=item)


def _key(tenant_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"TENANT#{tenant_id}"}, "sk": {"S": "ALERTS"}}
