from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

# No test may reach AWS: fake credentials and a region before anything builds a client.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
)
for _var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
    os.environ.pop(_var, None)


TABLES = {"BudgetTable": "budget", "TenantTable": "tenants", "IdempotencyTable": "idempotency", "CacheTable": "cache"}


@dataclass
class Clock:
    """A settable clock: tests move time instead of sleeping."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: Any) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 28, 12, 0, tzinfo=UTC))


@pytest.fixture
def moto_dynamodb() -> Iterator[Any]:
    """A DynamoDB client on moto with the template's tables created (sequential behaviour only)."""
    import boto3
    from moto import mock_aws

    from local.tables import create_tables

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(client, TABLES)
        yield client


@pytest.fixture
def stalled_endpoint() -> Iterator[str]:
    """A loopback endpoint that accepts connections and never answers: DynamoDB stalled."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                accepted.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(), which then ends the thread
    thread.join()
    server.close()
    for conn in accepted:
        conn.close()
