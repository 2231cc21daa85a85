"""The chat function's own cost around its LLM call, beside the bare openai SDK call, on dynalite and the simulator.

    PYTHONPATH=. .venv/bin/python -m benchmarks.chat_overhead [--requests N] [--warmup W]

Everything runs in this process except dynalite: the chat module is loaded as Lambda loads it and its handler is
called with API Gateway events one at a time (one Lambda instance serves one request at a time). Each request's
total wall and thread-CPU time is split at `OpenRouterClient.complete`; what is left is the function's own cost
(Powertools, auth, validation, the ledger's DynamoDB calls). Thread CPU leaves out the simulator's server thread.
Phases, each after its own warm-up: requests without an Idempotency-Key, requests with a unique Idempotency-Key
each, the raw openai SDK call to the same simulator, then the first request of two freshly loaded modules (without
and with a key). DynamoDB calls are counted per request with botocore's `before-call` event. The whole run stops
after 300 s; a non-200 answer stops it too (exit 1).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
import statistics
import sys
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from types import ModuleType
from typing import Any

import openai

from benchmarks.ledger_throughput import CallCounter
from local import dev
from local.apigw import LambdaContext, api_gateway_event
from local.dynalite import client as make_client
from local.dynalite import running
from local.openrouter_sim import OpenRouterSimulator
from local.tables import create_tables
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.policy import BudgetPolicy
from spendrail.pricing import PricingCatalog
from spendrail.routing import use_case
from spendrail.settings import Settings
from spendrail.tenants.dynamodb import DynamoDBTenantDirectory
from spendrail.tenants.model import Tenant
from spendrail.tenants.provision import provision_tenant
from tests.handlers import load_function

RUN_LIMIT_SECONDS = 300.0
TENANT = "bench-store"
CAP_USD = Decimal(1_000_000)  # never reached: every request is admitted on the normal route
SIM_API_KEY = "sk-or-local-simulator"
SDK_MODEL = "mistralai/mistral-small-latest"
SDK_MAX_TOKENS = 512
CPU_GOAL_MS = 1.0
CALLS_GOAL = 4
PROMPTS = (
    "Where is my order? It was supposed to arrive yesterday.",
    "How do I return a pair of shoes that don't fit?",
    "Can I change the shipping address on an order I placed this morning?",
    "My discount code SPRING20 says it is invalid at checkout. Why?",
    "Do you ship to Canada, and how long does it take?",
    "I was charged twice for the same order. Can you refund one of the charges?",
    "How do I reset my password? The reset email never arrives.",
    "Is the blue rain jacket available in size XL?",
    "What is your warranty on the wireless headphones?",
    "Can I cancel my subscription before the next billing date?",
    "The package arrived damaged. What should I do?",
    "How long does a refund take to show up on my card?",
    "Can I combine two orders to save on shipping?",
    "Do you offer gift wrapping for birthday orders?",
    "The tracking number you sent does not work on the carrier's site.",
    "How do I update the credit card on my account?",
    "Are your cotton t-shirts pre-shrunk?",
    "Can I exchange an item I bought on sale?",
    "I received the wrong color. Can you send the right one?",
    "What are your customer service hours on weekends?",
)


class AbortError(Exception):
    """The run cannot give trustworthy figures (a non-200 answer, an unexpected wiring, the time limit)."""


class Deadline:
    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._end = time.monotonic() + seconds

    def check(self, phase: str) -> None:
        if time.monotonic() > self._end:
            raise AbortError(f"run exceeded {self._seconds:g} s during {phase}: aborted")


@dataclass(frozen=True)
class Sample:
    """One request's seconds: the total and, within it, the LLM call; DynamoDB calls by operation."""

    wall: float
    cpu: float
    llm_wall: float = 0.0
    llm_cpu: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)

    @property
    def own_wall(self) -> float:
        return self.wall - self.llm_wall

    @property
    def own_cpu(self) -> float:
        return self.cpu - self.llm_cpu


@dataclass(frozen=True)
class Summary:
    p50: float
    p99: float
    mean: float

    @classmethod
    def of(cls, values: list[float]) -> Summary:
        ordered = sorted(values)

        def rank(q: float) -> float:  # nearest rank: an observed value, no interpolation
            return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

        return cls(rank(0.50), rank(0.99), statistics.fmean(ordered))


class LlmTimer:
    """Wraps one LLM client instance's `complete`, so each request's LLM time can be taken out of its total."""

    def __init__(self, llm: Any) -> None:
        self._wall = self._cpu = 0.0
        self._calls = 0
        inner: Callable[[Any, Any], Any] = llm.complete

        def timed(request: Any, deadline: Any) -> Any:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return inner(request, deadline)
            finally:
                self._wall += time.perf_counter() - wall
                self._cpu += time.thread_time() - cpu
                self._calls += 1

        llm.complete = timed  # the instance attribute shadows the method: ChatService looks it up on every call

    def take(self) -> tuple[float, float, int]:
        """Seconds of wall and CPU and the number of calls since the last take."""
        taken = self._wall, self._cpu, self._calls
        self._wall = self._cpu = 0.0
        self._calls = 0
        return taken


def dynamodb_clients(module: ModuleType) -> tuple[Any, ...]:
    """The chat function's DynamoDB clients: the stores' one and the idempotency layer's."""
    components = module.components
    return (components.dynamodb, components.idempotency_dynamodb)


def chat_event(key: str, index: int, idempotency_key: str | None) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
    if idempotency_key is not None:
        headers["idempotency-key"] = idempotency_key
    body = {"prompt": PROMPTS[index % len(PROMPTS)], "customerId": f"cust-{index % 97}"}
    return api_gateway_event("POST", "/v1/chat", headers=headers, body=body)


class ChatFunction:
    """One loaded chat module (one Lambda instance): its LLM calls timed, its DynamoDB calls counted."""

    def __init__(self, module: ModuleType, key: str) -> None:
        self._handler: Callable[[dict[str, Any], Any], dict[str, Any]] = module.lambda_handler
        self._key = key
        self._calls = CallCounter()
        for client in dynamodb_clients(module):
            client.meta.events.register("before-call.dynamodb", self._calls)
        self._llm = LlmTimer(module.endpoint._service._llm)

    def call(self, index: int, idempotency_key: str | None = None) -> Sample:
        # The event and context are API Gateway's and Lambda's work, not the function's: built before the clock.
        event, context = chat_event(self._key, index, idempotency_key), LambdaContext(function_name="chat")
        self._llm.take()
        self._calls.take()
        wall, cpu = time.perf_counter(), time.thread_time()
        result = self._handler(event, context)
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
        if result["statusCode"] != 200:
            raise AbortError(f"chat request {index} answered {result['statusCode']}: {result.get('body', '')[:300]}")
        llm_wall, llm_cpu, llm_calls = self._llm.take()
        if llm_calls != 1:
            raise AbortError(f"chat request {index} made {llm_calls} LLM calls, expected 1")
        return Sample(wall, cpu, llm_wall, llm_cpu, self._calls.take())


def chat_phase(function: ChatFunction, requests: int, deadline: Deadline, keyed: bool) -> list[Sample]:
    phase = "chat with Idempotency-Key" if keyed else "chat"
    samples = []
    for index in range(requests):
        deadline.check(phase)
        samples.append(function.call(index, f"bench-{uuid.uuid4().hex}" if keyed else None))
    return samples


def sdk_phase(sdk: openai.OpenAI, system_prompt: str, requests: int, deadline: Deadline) -> list[Sample]:
    """The bare SDK call with the chat function's messages: the floor any LLM client on this SDK pays."""
    samples = []
    for index in range(requests):
        deadline.check("openai SDK")
        messages: Any = [
            {"role": "system", "content": system_prompt},
            {"role": "user", "content": PROMPTS[index % len(PROMPTS)]},
        ]
        wall, cpu = time.perf_counter(), time.thread_time()
        completion = sdk.chat.completions.create(model=SDK_MODEL, messages=messages, max_tokens=SDK_MAX_TOKENS)
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
        if not completion.choices:
            raise AbortError(f"openai SDK request {index} came back without choices")
        samples.append(Sample(wall, cpu))
    return samples


@contextlib.contextmanager
def patched_env(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def function_env(dynamodb: str, llm_base_url: str, settings: Settings) -> dict[str, str]:
    """What local/dev.py hands the chat function, with logs and metrics quiet so printing is not measured."""
    return dev.function_env(dynamodb, settings, llm_base_url, SIM_API_KEY) | {
        # Empty values read as unset: a developer's shell must not switch on SSM look-ups or Helicone logging.
        "OPENROUTER_API_KEY_PARAM": "",
        "HELICONE_API_KEY": "",
        "HELICONE_API_KEY_PARAM": "",
        "POWERTOOLS_METRICS_DISABLED": "true",
        # The request path without the answer cache: its prompts repeat, and hits would hide the path measured here
        # (the cache's own calls per request are asserted in tests/concurrency/test_request_calls.py).
        "CACHE_ENABLED": "false",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }


@dataclass(frozen=True)
class Stack:
    sim: OpenRouterSimulator
    key: str


@contextlib.contextmanager
def local_stack() -> Iterator[Stack]:
    """dynalite in memory with the template's tables and a tenant with a budget it never exhausts, the simulator,
    and the chat function's environment pointing at both."""
    settings = Settings.from_env({})
    with running() as dynamodb, OpenRouterSimulator() as sim:
        db = make_client(dynamodb)
        names = {
            "BudgetTable": settings.budget_table_name,
            "TenantTable": settings.tenant_table_name,
            "IdempotencyTable": settings.idempotency_table_name,
        }
        create_tables(db, names)
        directory = DynamoDBTenantDirectory(db, settings.tenant_table_name)
        ledger = DynamoDBLedger(db, settings.budget_table_name)
        key = provision_tenant(
            directory, ledger, Tenant(TENANT), BudgetPolicy(daily_cap_usd=CAP_USD, monthly_cap_usd=CAP_USD)
        )
        with patched_env(function_env(dynamodb, sim.base_url, settings)):
            yield Stack(sim, key)


@dataclass(frozen=True)
class Results:
    plain: list[Sample]
    keyed: list[Sample]
    sdk: list[Sample]
    cold: Sample
    cold_keyed: Sample
    warmup: int


def cold_request(stack: Stack, keyed: bool) -> Sample:
    """The first request of a freshly loaded module: auth cache and the ledger's policy cache both empty.

    Process-wide caches (imported modules, botocore's service model) are already warm, as on a warm sandbox
    that Lambda re-initialises; the figure is the request, not the import."""
    return ChatFunction(load_function("chat"), stack.key).call(0, f"bench-{uuid.uuid4().hex}" if keyed else None)


def measure(stack: Stack, requests: int, warmup: int, deadline: Deadline) -> Results:
    function = ChatFunction(load_function("chat"), stack.key)
    sdk = openai.OpenAI(base_url=stack.sim.base_url, api_key=SIM_API_KEY, max_retries=0)
    system_prompt = use_case(PricingCatalog.load(), "support").system_prompt
    # Each phase warms up on its own path: first-call costs (connections, imports, JMESPath compiles) stay out.
    chat_phase(function, warmup, deadline, keyed=False)
    plain = chat_phase(function, requests, deadline, keyed=False)
    stack.sim.clear()  # the simulator records every request; keep its memory flat
    chat_phase(function, warmup, deadline, keyed=True)
    keyed = chat_phase(function, requests, deadline, keyed=True)
    stack.sim.clear()
    sdk_phase(sdk, system_prompt, warmup, deadline)
    raw = sdk_phase(sdk, system_prompt, requests, deadline)
    stack.sim.clear()
    deadline.check("cold requests")
    return Results(plain, keyed, raw, cold_request(stack, False), cold_request(stack, True), warmup)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.3f}"


def timing_rows(results: Results) -> list[tuple[str, Summary]]:
    rows = []
    for label, samples in (("no Idempotency-Key", results.plain), ("unique Idempotency-Key", results.keyed)):
        rows += [
            (f"chat, {label}: handler wall, total", Summary.of([s.wall for s in samples])),
            ("  own wall outside the LLM call", Summary.of([s.own_wall for s in samples])),
            ("  own CPU outside the LLM call", Summary.of([s.own_cpu for s in samples])),
            ("  LLM call wall (OpenRouterClient.complete)", Summary.of([s.llm_wall for s in samples])),
            ("  LLM call CPU", Summary.of([s.llm_cpu for s in samples])),
        ]
    rows += [
        ("raw openai SDK create(): wall", Summary.of([s.wall for s in results.sdk])),
        ("  CPU", Summary.of([s.cpu for s in results.sdk])),
    ]
    return rows


def calls_line(samples: list[Sample]) -> tuple[str, int]:
    """Mean DynamoDB calls per request by operation, and the most any one request made."""
    total = sum((s.calls for s in samples), Counter[str]())
    per_op = ", ".join(f"{op} {n / len(samples):.2f}" for op, n in sorted(total.items()))
    most = max(s.calls.total() for s in samples)
    return f"{total.total() / len(samples):5.2f} mean, {most} max  ({per_op})", most


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def print_timings(results: Results, width: int) -> None:
    print(f"{'milliseconds':<{width}}  {'p50':>9}  {'p99':>9}  {'mean':>9}")
    for name, s in timing_rows(results):
        print(f"{name:<{width}}  {ms(s.p50)}  {ms(s.p99)}  {ms(s.mean)}")
    print(f"{'single cold requests':<{width}}  {'wall':>9}  {'own wall':>9}  {'own CPU':>9}")
    for name, cold in (
        ("  (c) no Idempotency-Key", results.cold),
        ("  (d) unique Idempotency-Key", results.cold_keyed),
    ):
        print(f"{name:<{width}}  {ms(cold.wall)}  {ms(cold.own_wall)}  {ms(cold.own_cpu)}")


def report(results: Results) -> None:
    width = max(len(name) for name, _ in timing_rows(results))
    rule = "-" * (width + 33)
    calls = {
        "(a) warm, no Idempotency-Key": calls_line(results.plain),
        "(b) warm, unique Idempotency-Key": calls_line(results.keyed),
        "(c) cold (fresh module), no Idempotency-Key": calls_line([results.cold]),
        "(d) cold (fresh module), unique Idempotency-Key": calls_line([results.cold_keyed]),
    }
    own_cpu_ms = Summary.of([s.own_cpu for s in results.plain]).p50 * 1000
    print("spendrail chat overhead: chat handler in-process, dynalite + OpenRouter simulator, one request at a time")
    print(f"date      {datetime.now(UTC).isoformat(timespec='seconds')}")
    print(f"python    {platform.python_version()} ({platform.python_implementation()})")
    print(f"requests  {len(results.plain)} measured per phase after {results.warmup} warm-up each")
    print("          (chat without key, chat with unique key, raw SDK); 1 cold request each for (c) and (d)")
    print(rule)
    print_timings(results, width)
    print(rule)
    print("DynamoDB calls per request")
    label = max(len(name) for name in calls)
    for name, (line, _) in calls.items():
        print(f"  {name:<{label}}  {line}")
    print(rule)
    print("goals")
    print(
        f"  own CPU outside the LLM call, p50 of (a) <= {CPU_GOAL_MS:g} ms: {own_cpu_ms:.3f} ms  "
        f"{verdict(own_cpu_ms <= CPU_GOAL_MS)}"
    )
    print(f"  DynamoDB calls per cache-miss request <= {CALLS_GOAL} (max per request):")
    for name, (_, most) in calls.items():
        print(f"    {name:<{label}}  {most}  {verdict(most <= CALLS_GOAL)}")
    print("note: the chat function has no response cache yet, so every request above is a cache miss.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=1000, help="measured requests per phase")
    parser.add_argument("--warmup", type=int, default=50, help="discarded requests before each phase")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.warmup < 0:
        parser.error("--requests must be positive and --warmup not negative")
    # Powertools warns when a flush finds the set it just auto-published empty; pyproject ignores it in tests too.
    warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)
    deadline = Deadline(RUN_LIMIT_SECONDS)
    try:
        # Powertools prints EMF to stdout (the ColdStart metric always; with metrics disabled it still prints the
        # unflushed set each time a metric reaches 100 values). Sent to /dev/null so the table stays readable;
        # the serialising and writing are still paid inside the measured requests, as in Lambda.
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), local_stack() as stack:
            results = measure(stack, args.requests, args.warmup, deadline)
    except AbortError as exc:
        print(exc, file=sys.stderr)
        return 1
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
