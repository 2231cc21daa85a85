"""The budget table's reads and writes, on one retrying DynamoDB call: ledger items, history, the operator item,
and the two sparse indexes the scheduled run reads instead of scanning."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from botocore.exceptions import ClientError

from spendrail.dynamo.call import ConditionFailed, DynamoCall
from spendrail.dynamo.expression import Update, n, s
from spendrail.errors import LedgerThrottledError, TenantNotFoundError
from spendrail.ledger.codec import ROLL_SHARDS, Item, item_key

HOLD_FLAG_INDEX = "hold-flag-index"  # tenants that need a sweep (hold_flag = "1")
ROLL_INDEX = "roll-index"  # every tenant by roll_shard, sorted by roll_at (when its day ends)
_BATCH_GET = 100
_BATCH_ROUNDS = 8  # BatchGetItem answers what it could; the rest is asked again, this many times at most


class LedgerTable:
    def __init__(self, call: DynamoCall, table_name: str) -> None:
        self._call = call
        self._name = table_name

    def read(self, tenant_id: str) -> Item:
        raw = self._call("get_item", TableName=self._name, Key=item_key(tenant_id), ConsistentRead=True)
        if "Item" not in raw:
            raise TenantNotFoundError(f"tenant {tenant_id!r} has no budget")
        return Item.parse(raw["Item"])

    def read_raw(self, key: dict[str, Any]) -> dict[str, Any]:
        """Any item by key (the operator's); {} if there is none."""
        item: dict[str, Any] = self._call("get_item", TableName=self._name, Key=key, ConsistentRead=True).get(
            "Item", {}
        )
        return item

    def create(self, item: Item) -> None:
        """Write a new item; ConditionFailed if the tenant has one."""
        self.put_new(item.encode())

    def put_new(self, raw: dict[str, Any]) -> None:
        """Write an item that must not exist yet; ConditionFailed if it does."""
        self._call("put_item", TableName=self._name, Item=raw, ConditionExpression="attribute_not_exists(pk)")

    def write(
        self,
        tenant_id: str,
        update: Update,
        return_values: str = "NONE",
        *,
        replay_safe: bool = True,
        key: dict[str, Any] | None = None,
        old_on_failure: bool = False,
    ) -> dict[str, Any]:
        """`old_on_failure`: a failed condition brings the item as it was (read it with `failed_item`)."""
        request = update.request(self._name, key or item_key(tenant_id), return_values)
        if old_on_failure:
            request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return self._call("update_item", replay_safe=replay_safe, **request)

    @staticmethod
    def failed_item(failed: ConditionFailed) -> Item | None:
        """The item a write asked with `old_on_failure` failed its condition on; None where the answer has none
        (dynalite ignores the parameter; an item that does not exist)."""
        cause = failed.__cause__
        raw: Any = cause.response.get("Item") if isinstance(cause, ClientError) else None
        return Item.parse(raw) if raw else None

    def update(self, tenant_id: str, update: Update, *, replay_safe: bool = True) -> Item:
        """Apply `update` and return the whole item as it now is."""
        return Item.parse(self.write(tenant_id, update, "ALL_NEW", replay_safe=replay_safe)["Attributes"])

    def tenants_with_holds(self) -> Iterator[str]:
        """Tenants in the sparse hold-flag index: those that need a sweep (no table scan)."""
        return self._query(HOLD_FLAG_INDEX, "hold_flag = :flag", {":flag": s("1")})

    def tenants_due(self, now: int) -> Iterator[str]:
        """Tenants whose day has ended by `now` (epoch s), shard by shard, the longest overdue first in each."""
        for shard in range(ROLL_SHARDS):
            yield from self._query(
                ROLL_INDEX, "roll_shard = :shard AND roll_at <= :now", {":shard": s(str(shard)), ":now": n(now)}
            )

    def all_tenants(self) -> Iterator[str]:
        """Every tenant in the roll index."""
        for shard in range(ROLL_SHARDS):
            yield from self._query(ROLL_INDEX, "roll_shard = :shard", {":shard": s(str(shard))})

    def totals(self, tenant_ids: Sequence[str]) -> Iterator[tuple[str, int, int]]:
        """(tenant, total_spent, total_doubt) per tenant, 100 keys a call (eventually consistent: a sum, not a gate)."""
        for start in range(0, len(tenant_ids), _BATCH_GET):
            keys = [item_key(t) for t in tenant_ids[start : start + _BATCH_GET]]
            for _ in range(_BATCH_ROUNDS):
                if not keys:
                    break
                request = {self._name: {"Keys": keys, "ProjectionExpression": "pk, total_spent, total_doubt"}}
                answer = self._call("batch_get_item", RequestItems=request)
                for raw in answer.get("Responses", {}).get(self._name, []):
                    spent, doubt = (int(raw[a]["N"]) if a in raw else 0 for a in ("total_spent", "total_doubt"))
                    yield str(raw["pk"]["S"]).removeprefix("TENANT#"), spent, doubt
                keys = answer.get("UnprocessedKeys", {}).get(self._name, {}).get("Keys", [])
            if keys:
                raise LedgerThrottledError(f"budget table batch_get_item left {len(keys)} keys unread")

    def query_history(self, tenant_id: str, prefix: str, limit: int) -> list[dict[str, Any]]:
        """The newest `limit` history items of a tenant whose sort key starts with `prefix`."""
        answer = self._call(
            "query",
            TableName=self._name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": s(f"TENANT#{tenant_id}"), ":prefix": s(prefix)},
            ScanIndexForward=False,
            Limit=limit,
        )
        items: list[dict[str, Any]] = answer.get("Items", [])
        return items

    def query_events(self, tenant_id: str, since: str, until: str, limit: int) -> list[dict[str, Any]]:
        """The newest `limit` items of a tenant whose sort key is between `since` and `until` (its events)."""
        answer = self._call(
            "query",
            TableName=self._name,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :since AND :until",
            ExpressionAttributeValues={":pk": s(f"TENANT#{tenant_id}"), ":since": s(since), ":until": s(until)},
            ScanIndexForward=False,
            Limit=limit,
            ConsistentRead=True,  # an alert acknowledged a moment ago is no longer in the outbox: it must be here
        )
        items: list[dict[str, Any]] = answer.get("Items", [])
        return items

    def _query(self, index: str, condition: str, values: dict[str, Any]) -> Iterator[str]:
        kwargs: dict[str, Any] = {
            "TableName": self._name,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        while True:
            page = self._call("query", **kwargs)
            for raw in page.get("Items", []):
                pk = str(raw["pk"]["S"])
                if pk.startswith("TENANT#"):
                    yield pk.removeprefix("TENANT#")
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
