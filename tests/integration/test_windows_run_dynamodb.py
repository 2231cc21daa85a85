"""The windows run's behaviours (tests/unit/test_windows_run.py) once more, on the DynamoDB ledger (moto)."""

from __future__ import annotations

from typing import Any

import pytest

from spendrail.ledger.dynamodb import DynamoDBLedger
from tests.conftest import Clock
from tests.unit.test_windows_run import *  # noqa: F403 - the same tests, with this module's `stack`
from tests.unit.test_windows_run import Stack


@pytest.fixture
def stack(clock: Clock, moto_dynamodb: Any) -> Stack:
    return Stack(clock, DynamoDBLedger(moto_dynamodb, "budget", clock=clock, sleep=lambda _: None))
