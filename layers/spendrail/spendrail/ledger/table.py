"""The budget table's item reads and writes, on one retrying DynamoDB call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from spendrail.dynamo.call import DynamoCall
from spendrail.dynamo.expression import Update, s
from spendrail.errors import TenantNotFoundError
from spendrail.ledger.codec import Item, item_key

HOLD_FLAG_INDEX = "hold-flag-index"


class LedgerTable:
    def __init__(self, call: DynamoCall, table_name: str) -> None:
        self._call = call
        self._name = table_name

    def read(self, tenant_id: str) -> Item:
        raw = self._call("get_item", TableName=self._name, Key=item_key(tenant_id), ConsistentRead=True)
        if "Item" not in raw:
            raise TenantNotFoundError(f"tenant {tenant_id!r} has no budget")
        return Item.parse(raw["Item"])

    def create(self, item: Item) -> None:
        """Write a new item; ConditionFailed if the tenant has one."""
        self._call("put_item", TableName=self._name, Item=item.encode(), ConditionExpression="attribute_not_exists(pk)")

    def write(
        self, tenant_id: str, update: Update, return_values: str = "NONE", *, replay_safe: bool = True
    ) -> dict[str, Any]:
        request = update.request(self._name, item_key(tenant_id), return_values)
        return self._call("update_item", replay_safe=replay_safe, **request)

    def update(self, tenant_id: str, update: Update, *, replay_safe: bool = True) -> Item:
        """Apply `update` and return the whole item as it now is."""
        return Item.parse(self.write(tenant_id, update, "ALL_NEW", replay_safe=replay_safe)["Attributes"])

    def tenants_with_holds(self) -> Iterator[str]:
        """Tenants in the sparse hold-flag index: those that may hold budget (no table scan)."""
        kwargs: dict[str, Any] = {
            "TableName": self._name,
            "IndexName": HOLD_FLAG_INDEX,
            "KeyConditionExpression": "hold_flag = :flag",
            "ExpressionAttributeValues": {":flag": s("1")},
        }
        while True:
            page = self._call("query", **kwargs)
            for raw in page.get("Items", []):
                yield str(raw["pk"]["S"]).removeprefix("TENANT#")
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
