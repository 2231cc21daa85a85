"""SnapStart runtime hooks of the chat function (template.yaml: SnapStart on its published versions).

Lambda runs the function's init once per version, snapshots the process and resumes every new instance from that
snapshot. Before the snapshot: everything a request needs that holds no secret and no connection is built and
imported (the pricing catalog, the adapters and their boto3 clients, the embedding model, the modules a first
request would import: the openai SDK's resources and HTTP transport). After each restore: what must not be shared
between instances is renewed: `random`'s state (the retries' jitter, X-Ray's sampling) and Powertools' SSM cache, so
secrets are read afresh by the restored instance. Nothing before the snapshot calls AWS or OpenRouter: no secret is
ever in it, and no connection is left to go stale. boto3's credentials in Lambda come from the container provider,
which refreshes them.

`snapshot_restore_py` ships with Lambda's Python runtimes only; elsewhere (tests, `make dev`) `register` does nothing
unless given the two registering functions.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities import parameters

if TYPE_CHECKING:
    from spendrail.compose import Components

Hook = Callable[[], None]
Register = Callable[[Hook], object]

# What a first request imports that init does not (measured: sys.modules before and after one request): the SDK's
# chat and embeddings resources, its HTTP transport and its JSON parser. All pinned in the layer.
WARM_IMPORTS = (
    "openai.resources.chat.completions",
    "openai.resources.embeddings",
    "openai.lib.streaming.chat",
    "openai.pagination",
    "httpcore2",
    "h11",
    "jiter",
    "truststore",
)


def _runtime() -> tuple[Register, Register] | None:
    try:
        from snapshot_restore_py import (  # type: ignore[import-not-found]  # noqa: PLC0415 - Lambda's runtime only
            register_after_restore,
            register_before_snapshot,
        )
    except ImportError:
        return None
    return register_before_snapshot, register_after_restore


def before_snapshot(components: Components) -> None:
    """Builds and loads what a request needs, so a restored instance finds it ready (idempotent: most of it was
    built by the handler's module already)."""
    components.catalog  # noqa: B018 - cached_property: built here, kept
    components.dynamodb  # noqa: B018
    components.idempotency_dynamodb  # noqa: B018
    components.chat_service  # noqa: B018 - the ledger, the LLM client, the cache and its embedding model
    for module in WARM_IMPORTS:
        importlib.import_module(module)


def after_restore() -> None:
    """Every restored instance starts from the same memory: give it its own random state and no cached secret."""
    random.seed()  # from os.urandom; uuid and secrets read os.urandom themselves
    # Powertools' SSM providers and their cached values: secrets are read afresh by the restored instance.
    parameters.clear_caches()  # type: ignore[no-untyped-call]


def register(components: Components, hooks: tuple[Register, Register] | None = None) -> bool:
    """Registers both hooks with Lambda's runtime (or with `hooks`: register_before_snapshot,
    register_after_restore); False where there is no runtime to register with."""
    registry = hooks or _runtime()
    if registry is None:
        return False
    register_before_snapshot, register_after_restore = registry
    register_before_snapshot(lambda: before_snapshot(components))
    register_after_restore(after_restore)
    return True
