"""How long a request takes to answer when a dependency stalls, with the template's timeouts (issue 7, point 6).

    PYTHONPATH=. .venv/bin/python -m benchmarks.fault_timing

The chat function runs in-process as Lambda loads it (30 s context, LLM_TIMEOUT_SECONDS=12, the cache on) against
dynalite behind a TCP proxy that can be switched to "stall" (connections accepted, nothing forwarded or answered),
and the OpenRouter simulator with delay faults. Scenarios, each a few times:

- DynamoDB stalled before the instance's first request (the key lookup stalls);
- DynamoDB stalls on a warm instance (the cache lookup and the reserve stall);
- DynamoDB stalls while the model is answering (the settle stalls): the shopper should still get the answer;
- a slow embedding (5 s) and a slower answer (20 s): one 12 s LLM budget for both.
The whole run stops after 300 s.
"""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

from benchmarks.chat_overhead import RUN_LIMIT_SECONDS, function_env, patched_env
from local.apigw import LambdaContext, api_gateway_event
from local.dynalite import client as make_client
from local.dynalite import free_port, running
from local.openrouter_sim import Fault, OpenRouterSimulator
from local.tables import chat_tables, create_tables
from spendrail.compose import Components
from spendrail.policy import BudgetPolicy
from spendrail.settings import Settings
from spendrail.tenants.model import Tenant
from spendrail.tenants.provision import provision_tenant
from tests.handlers import load_function

TENANT = "fault-store"
TEMPLATE_LLM_TIMEOUT = "12"
REPEATS = 3


class StallableProxy:
    """A TCP proxy to `target`; while `stalled`, new connections are accepted and never answered."""

    def __init__(self, target: int) -> None:
        self._target = target
        self.stalled = False
        self._server = socket.create_server(("127.0.0.1", free_port()))
        self._server.settimeout(0.1)
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            if self.stalled:
                self._held.append(client)
                continue
            upstream = socket.create_connection(("127.0.0.1", self._target))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while not self._stop.is_set():
                data = source.recv(65536)
                if not data or self.stalled:
                    break  # a stall also freezes connections already open: nothing more gets through
                sink.sendall(data)
        if self.stalled:
            self._held += [source, sink]
            return
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.close()

    def close(self) -> None:
        self._stop.set()
        for held in self._held:
            with contextlib.suppress(OSError):
                held.close()
        self._server.close()


@contextlib.contextmanager
def stack() -> Iterator[tuple[StallableProxy, OpenRouterSimulator, str]]:
    settings = Settings.from_env({})
    with running() as endpoint, OpenRouterSimulator() as sim:
        db = make_client(endpoint)
        create_tables(
            db,
            chat_tables(settings),
        )
        components = Components(settings, dynamodb=db)
        policy = BudgetPolicy(daily_cap_usd="1000", monthly_cap_usd="1000")
        key = provision_tenant(components.directory, components.ledger, Tenant(TENANT), policy)
        proxy = StallableProxy(int(endpoint.rsplit(":", 1)[1]))
        env = function_env(f"http://127.0.0.1:{proxy.port}", sim.base_url, settings)
        # The simulator's embeddings (EMBEDDER=openrouter): the slow-embedding scenario delays that HTTP call.
        env |= {"CACHE_ENABLED": "true", "EMBEDDER": "openrouter", "LLM_TIMEOUT_SECONDS": TEMPLATE_LLM_TIMEOUT}
        try:
            with patched_env(env):
                yield proxy, sim, key
        finally:
            proxy.close()


def ask(module: Any, key: str, index: int) -> tuple[int, float]:
    # A question never asked before: a cache hit would skip the path under test.
    body = {"prompt": f"Question {index}: can I change the delivery address of order batch {index}?", "customerId": "c"}
    headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
    event = api_gateway_event("POST", "/v1/chat", headers=headers, body=body)
    started = time.perf_counter()
    result = module.lambda_handler(event, LambdaContext(function_name="chat", timeout_s=30.0))
    return int(result["statusCode"]), time.perf_counter() - started


def scenario(name: str, runs: list[tuple[int, float]]) -> None:
    statuses = sorted({status for status, _ in runs})
    seconds = [wall for _, wall in runs]
    print(
        f"{name:<58} status {','.join(map(str, statuses)):<8} "
        f"seconds median {statistics.median(seconds):6.2f}  max {max(seconds):6.2f}"
    )


def main() -> int:
    warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)
    started = time.monotonic()
    print("spendrail fault timing: the chat handler in-process, 30 s Lambda context, the template's LLM timeout (12 s)")
    with open(os.devnull, "w") as sink, stack() as (proxy, sim, key):
        results: dict[str, list[tuple[int, float]]] = {}
        for run in range(REPEATS):
            proxy.stalled = True
            with contextlib.redirect_stdout(sink):
                results.setdefault("DynamoDB stalled before the first request", []).append(
                    ask(load_function("chat"), key, run)
                )
            proxy.stalled = False
            with contextlib.redirect_stdout(sink):
                module = load_function("chat")
                ask(module, key, 100 + run)  # warm: the key, the profile and the ledger item are known
                proxy.stalled = True
                results.setdefault("DynamoDB stalls on a warm instance", []).append(ask(module, key, 200 + run))
                proxy.stalled = False
                sim.inject(Fault.delay(0.0), Fault.delay(1.0))  # the embedding at once, the answer after 1 s
                stall = threading.Timer(0.5, lambda: setattr(proxy, "stalled", True))
                stall.start()
                results.setdefault("DynamoDB stalls while the model answers (settle)", []).append(
                    ask(module, key, 300 + run)
                )
                stall.join()
                proxy.stalled = False
            if time.monotonic() - started > RUN_LIMIT_SECONDS:
                print("stopped: over the time limit", file=sys.stderr)
                return 1
        with contextlib.redirect_stdout(sink):
            module = load_function("chat")
            sim.inject(Fault.delay(5.0), Fault.delay(20.0))
            results["embedding 5 s + answer 20 s, LLM timeout 12 s"] = [ask(module, key, 400)]
    for name, runs in results.items():
        scenario(name, runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
