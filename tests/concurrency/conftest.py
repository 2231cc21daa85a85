from __future__ import annotations

from collections.abc import Iterator

import pytest

from local import dynalite


@pytest.fixture(scope="session")
def dynalite_endpoint() -> Iterator[str]:
    """dynalite on a free loopback port for the whole session; it serializes item writes like DynamoDB."""
    with dynalite.running() as endpoint:
        yield endpoint
