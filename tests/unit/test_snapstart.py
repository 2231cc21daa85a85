"""The chat function's SnapStart hooks, called as Lambda's runtime would, through a fake registry."""

from __future__ import annotations

import random
import sys
from functools import partial
from typing import Any

import pytest
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.base import DEFAULT_PROVIDERS  # type: ignore[attr-defined]

from spendrail import snapstart
from spendrail.compose import Components
from spendrail.settings import Settings


class FakeRuntime:
    def __init__(self) -> None:
        self.before: list[snapstart.Hook] = []
        self.after: list[snapstart.Hook] = []

    @property
    def hooks(self) -> tuple[snapstart.Register, snapstart.Register]:
        return self.before.append, self.after.append


@pytest.fixture
def components(monkeypatch: pytest.MonkeyPatch) -> Components:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("EMBEDDER", "openrouter")  # the model's load is the embedder tests' business
    monkeypatch.setenv("EMBEDDING_MODEL", "openai/text-embedding-3-small")
    monkeypatch.setenv("EMBEDDING_DIMENSIONS", "512")
    return Components(Settings.from_env())


def test_outside_lambda_there_is_nothing_to_register_with(components: Components) -> None:
    assert "snapshot_restore_py" not in sys.modules
    assert snapstart.register(components) is False


def test_before_the_snapshot_the_catalog_clients_service_and_lazy_imports_are_ready(components: Components) -> None:
    runtime = FakeRuntime()
    assert snapstart.register(components, runtime.hooks) is True
    assert len(runtime.before) == 1 and len(runtime.after) == 1
    runtime.before[0]()
    built = vars(components)  # cached_property keeps what it built in the instance
    assert {"catalog", "dynamodb", "idempotency_dynamodb", "chat_service", "llm"} <= built.keys()
    assert all(module in sys.modules for module in snapstart.WARM_IMPORTS)
    service = components.chat_service
    runtime.before[0]()  # idempotent: the same objects
    assert components.chat_service is service


def test_after_a_restore_random_is_reseeded_and_cached_secrets_are_dropped(
    components: Components, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = FakeRuntime()
    snapstart.register(components, runtime.hooks)
    fetched: list[str] = []

    class Provider(parameters.SSMProvider):
        def _get(self, name: str, decrypt: bool = False, **sdk_options: Any) -> str:
            fetched.append(name)
            return f"value-{len(fetched)}"

    monkeypatch.setitem(DEFAULT_PROVIDERS, "ssm", Provider())
    get = partial(parameters.get_parameter, "/spendrail/key", decrypt=True, max_age=300)
    assert get() == get() == "value-1"  # cached: the snapshot's memory would hold it

    random.seed(7)
    snapshot_state = random.getstate()
    runtime.after[0]()
    assert random.getstate() != snapshot_state  # two restored instances no longer draw the same jitter
    assert "ssm" not in DEFAULT_PROVIDERS
    monkeypatch.setitem(DEFAULT_PROVIDERS, "ssm", Provider())
    assert get() == "value-2"  # read afresh
