"""Projected exhaustion (tests/unit/test_projection.py) once more, on the DynamoDB ledger (moto): the burn-rate
slots the settles ADD to the item, and the once-per-window marker."""

from __future__ import annotations

from typing import Any

import pytest

from spendrail.ledger.dynamodb import DynamoDBLedger
from tests.conftest import Clock
from tests.unit.test_projection import *  # noqa: F403 - the same tests, with this module's `stack`
from tests.unit.test_projection import new_york_shop
from tests.unit.test_windows_run import Stack


@pytest.fixture
def stack(clock: Clock, moto_dynamodb: Any) -> Stack:
    return new_york_shop(Stack(clock, DynamoDBLedger(moto_dynamodb, "budget", clock=clock, sleep=lambda _: None)))
