"""How long a hold may outlive its request: long enough that no live request loses it, short enough that a dead
request's hold blocks a small budget for less than a minute."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from local.tables import TEMPLATE, _CfnLoader
from spendrail.ledger.model import DEFAULT_HOLD_TTL_SECONDS
from spendrail.settings import Settings


def _template() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506
    return doc


def test_a_hold_outlives_the_chat_function_and_expires_within_a_minute() -> None:
    template = _template()
    chat_timeout = template["Resources"]["ChatFunction"]["Properties"]["Timeout"]
    parameter = template["Parameters"]["HoldTtlSeconds"]
    deployed = Settings.from_env({}).hold_ttl_seconds
    assert deployed == parameter["Default"] == DEFAULT_HOLD_TTL_SECONDS
    assert chat_timeout < parameter["MinValue"] <= deployed < 60


def test_a_hold_ttl_that_a_live_request_could_outlast_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings.from_env({"HOLD_TTL_SECONDS": "30"})
    assert Settings.from_env({"HOLD_TTL_SECONDS": "35"}).hold_ttl_seconds == 35
