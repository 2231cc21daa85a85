"""TenantDirectory on the tenant table: ``KEY#<sha256>`` items map key hashes to tenants, ``TENANT#<id>`` profiles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spendrail.dynamo.call import DynamoCall
from spendrail.tenants.model import DEFAULT_CACHE_THRESHOLD, KeyRecord, KeyStatus, Tenant

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
        return KeyRecord(key_hash, item["tenant_id"]["S"], KeyStatus(item["status"]["S"]))

    def tenant(self, tenant_id: str) -> Tenant | None:
        item = self._get(f"TENANT#{tenant_id}", "PROFILE")
        if item is None:
            return None
        return Tenant(
            tenant_id,
            item["fallback_message"]["S"],
            float(item["cache_threshold"]["N"]) if "cache_threshold" in item else DEFAULT_CACHE_THRESHOLD,
            frozenset(item["uncacheable_use_cases"]["SS"]) if "uncacheable_use_cases" in item else frozenset(),
        )

    def put_tenant(self, tenant: Tenant) -> None:
        self._put(
            {
                "pk": {"S": f"TENANT#{tenant.tenant_id}"},
                "sk": {"S": "PROFILE"},
                "fallback_message": {"S": tenant.fallback_message},
                "cache_threshold": {"N": str(tenant.cache_threshold)},
                # A string set cannot be empty in DynamoDB: absent means every use case may be cached.
                **(
                    {"uncacheable_use_cases": {"SS": sorted(tenant.uncacheable_use_cases)}}
                    if tenant.uncacheable_use_cases
                    else {}
                ),
            }
        )

    def put_key(self, record: KeyRecord) -> None:
        self._put(
            {
                "pk": {"S": f"KEY#{record.key_hash}"},
                "sk": {"S": "KEY"},
                "tenant_id": {"S": record.tenant_id},
                "status": {"S": record.status.value},
            }
        )

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        response = self._call("get_item", TableName=self._table, Key={"pk": {"S": pk}, "sk": {"S": sk}})
        item: dict[str, Any] | None = response.get("Item")
        return item

    def _put(self, item: dict[str, Any]) -> None:
        self._call("put_item", TableName=self._table, Item=item)
