"""TenantDirectory on the tenant table: ``KEY#<sha256>`` items map key hashes to tenants, ``TENANT#<id>`` profiles.

Each key also has an item in its tenant's partition (``TENANT#<id>`` / ``KEYID#<key id>``) so the admin API can list
and revoke a tenant's keys by id; profiles carry ``tenant_list`` so the sparse ``tenant-list-index`` lists tenants.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spendrail.cache.model import JudgeMode
from spendrail.dynamo.call import DynamoCall
from spendrail.tenants.model import KeyRecord, KeyStatus, Tenant, key_id_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


class DynamoDBTenantDirectory:
    """Reads and puts are replay-safe (a put writes the same whole item again), so every call is retried."""

    def __init__(self, client: DynamoDBClient, table_name: str, *, call: DynamoCall | None = None) -> None:
        self._call = call or DynamoCall(client, name="tenant directory")
        self._table = table_name

    def key(self, key_hash: str) -> KeyRecord | None:
        item = self._get(f"KEY#{key_hash}", "KEY")
        if item is None:
            return None
        return KeyRecord(key_hash, item["tenant_id"]["S"], KeyStatus(item["status"]["S"]), _text(item, "created_at"))

    def tenant(self, tenant_id: str) -> Tenant | None:
        item = self._get(f"TENANT#{tenant_id}", "PROFILE")
        return None if item is None else _profile(tenant_id, item)

    def tenants(self, limit: int, cursor: str | None) -> tuple[list[Tenant], str | None]:
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": TENANT_LIST_INDEX,
            "KeyConditionExpression": "tenant_list = :t",
            "ExpressionAttributeValues": {":t": {"S": _LISTED}},
            "Limit": limit,
        }
        if cursor is not None:
            query["ExclusiveStartKey"] = {
                "tenant_list": {"S": _LISTED},
                "pk": {"S": f"TENANT#{cursor}"},
                "sk": {"S": "PROFILE"},
            }
        page = self._call("query", **query)
        tenants = [_profile(item["pk"]["S"].removeprefix("TENANT#"), item) for item in page.get("Items", [])]
        more = "LastEvaluatedKey" in page and bool(tenants)
        return tenants, (tenants[-1].tenant_id if more else None)

    def keys_of(self, tenant_id: str) -> list[KeyRecord]:
        found: list[KeyRecord] = []
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": f"TENANT#{tenant_id}"}, ":prefix": {"S": "KEYID#"}},
        }
        while True:
            page = self._call("query", **query)
            found += [
                KeyRecord(i["key_hash"]["S"], tenant_id, KeyStatus(i["status"]["S"]), _text(i, "created_at"))
                for i in page.get("Items", [])
            ]
            if "LastEvaluatedKey" not in page:
                return sorted(found, key=lambda k: (k.created_at, k.key_hash))
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def put_tenant(self, tenant: Tenant) -> None:
        self._put(
            {
                "pk": {"S": f"TENANT#{tenant.tenant_id}"},
                "sk": {"S": "PROFILE"},
                "tenant_list": {"S": _LISTED},
                "fallback_message": {"S": tenant.fallback_message},
                # Only a threshold the merchant chose; the embedder's default otherwise. (The old `cache_threshold`
                # attribute was never settable: it always held the default of its day, so it is not read.)
                **(
                    {"cache_min_score": {"N": str(tenant.cache_threshold)}}
                    if tenant.cache_threshold is not None
                    else {}
                ),
                **(
                    {"cache_judge": {"S": tenant.cache_judge.value}} if tenant.cache_judge is not JudgeMode.BAND else {}
                ),
                # A string set cannot be empty in DynamoDB: absent means every use case may be cached.
                **(
                    {"uncacheable_use_cases": {"SS": sorted(tenant.uncacheable_use_cases)}}
                    if tenant.uncacheable_use_cases
                    else {}
                ),
                **({"cache_vocabulary": {"SS": sorted(tenant.cache_vocabulary)}} if tenant.cache_vocabulary else {}),
            }
        )

    def put_key(self, record: KeyRecord) -> None:
        created = {"created_at": {"S": record.created_at}} if record.created_at else {}
        status = {"status": {"S": record.status.value}}
        # The tenant's listing first: a key that authenticates is always one the admin API can see and revoke.
        self._put(
            {
                "pk": {"S": f"TENANT#{record.tenant_id}"},
                "sk": {"S": f"KEYID#{key_id_of(record.key_hash)}"},
                "key_hash": {"S": record.key_hash},
                **status,
                **created,
            }
        )
        self._put(
            {"pk": {"S": f"KEY#{record.key_hash}"}, "sk": {"S": "KEY"}, "tenant_id": {"S": record.tenant_id}}
            | status
            | created
        )

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        response = self._call("get_item", TableName=self._table, Key={"pk": {"S": pk}, "sk": {"S": sk}})
        item: dict[str, Any] | None = response.get("Item")
        return item

    def _put(self, item: dict[str, Any]) -> None:
        self._call("put_item", TableName=self._table, Item=item)


TENANT_LIST_INDEX = "tenant-list-index"
_LISTED = "T"


def _text(item: dict[str, Any], name: str) -> str:
    return str(item[name]["S"]) if name in item else ""


def _profile(tenant_id: str, item: dict[str, Any]) -> Tenant:
    return Tenant(
        tenant_id,
        item["fallback_message"]["S"],
        float(item["cache_min_score"]["N"]) if "cache_min_score" in item else None,
        frozenset(item["uncacheable_use_cases"]["SS"]) if "uncacheable_use_cases" in item else frozenset(),
        tuple(sorted(item["cache_vocabulary"]["SS"])) if "cache_vocabulary" in item else (),
        JudgeMode(item["cache_judge"]["S"]) if "cache_judge" in item else JudgeMode.BAND,
    )
