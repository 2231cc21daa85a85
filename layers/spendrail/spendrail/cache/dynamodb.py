"""CacheStore on the cache table (see template.yaml's CacheTable)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from spendrail.cache.model import CacheScope, StoredAnswer
from spendrail.dynamo.call import ConditionFailed, DynamoCall

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

CREATED_INDEX = "created-index"


def _decode(item: dict[str, Any]) -> StoredAnswer:
    return StoredAnswer(
        key=item["sk"]["S"].removeprefix("E#"),
        prompt=item["prompt"]["S"],
        reply=item["reply"]["S"],
        model=item["model"]["S"],
        cost_nanos=int(item["cost_nanos"]["N"]),
        created_at=int(item["created_at"]["N"]),
        expires_at=int(item["expires_at"]["N"]),
        vector=bytes(item["vector"]["B"]),
        embedder=item.get("embedder", {}).get("S", ""),
    )


class DynamoDBCacheStore:
    """Reads and the conditional put are replay-safe (a repeated put fails its condition), so all are retried."""

    def __init__(self, client: DynamoDBClient, table_name: str, *, call: DynamoCall | None = None) -> None:
        self._call = call or DynamoCall(client, name="cache store")
        self._table = table_name

    def get(self, scope: CacheScope, key: str) -> StoredAnswer | None:
        response = self._call(
            "get_item", TableName=self._table, Key={"pk": {"S": scope.partition}, "sk": {"S": f"E#{key}"}}
        )
        return _decode(response["Item"]) if "Item" in response else None

    def put(self, scope: CacheScope, answer: StoredAnswer) -> None:
        item = {
            "pk": {"S": scope.partition},
            "sk": {"S": f"E#{answer.key}"},
            "prompt": {"S": answer.prompt},
            "reply": {"S": answer.reply},
            "model": {"S": answer.model},
            "cost_nanos": {"N": str(answer.cost_nanos)},
            "created_at": {"N": str(answer.created_at)},
            "expires_at": {"N": str(answer.expires_at)},
            "vector": {"B": answer.vector},
        }
        if answer.embedder:
            item["embedder"] = {"S": answer.embedder}
        with contextlib.suppress(ConditionFailed):  # stored already, by another instance or our own lost attempt
            self._call("put_item", TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(sk)")

    def since(self, scope: CacheScope, created_at: int, limit: int) -> list[StoredAnswer]:
        return self._query(scope, "pk = :pk AND created_at > :after", {":after": {"N": str(created_at)}}, limit, True)

    def newest(self, scope: CacheScope, limit: int) -> list[StoredAnswer]:
        return list(reversed(self._query(scope, "pk = :pk", {}, limit, False)))

    def older(self, scope: CacheScope, created_at: int, limit: int) -> list[StoredAnswer]:
        return self._query(scope, "pk = :pk AND created_at <= :at", {":at": {"N": str(created_at)}}, limit, False)

    def _query(
        self, scope: CacheScope, condition: str, values: dict[str, Any], limit: int, forward: bool
    ) -> list[StoredAnswer]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": CREATED_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": {":pk": {"S": scope.partition}, **values},
            "ScanIndexForward": forward,
            "ConsistentRead": True,  # an LSI reads consistently: an entry another instance just wrote is seen
        }
        found: list[StoredAnswer] = []
        while len(found) < limit:
            page = self._call("query", Limit=limit - len(found), **kwargs)
            found += [_decode(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found
