"""The chat function's own CPU per request on its production path (cache on, the template's settings): a miss, a
semantic hit and an exact hit, with a short and a 4,000-character prompt.

    PYTHONPATH=. .venv/bin/python -m benchmarks.chat_overhead [--requests N] [--warmup W] [--mode fakes|real|both]
        [--profile]

Two setups, one request at a time (one Lambda instance serves one request at a time), thread CPU around the handler:

CPU is the process's (the cache and the chat service run parts of a request in thread pools).

- fakes: functions/chat/app.py's wiring (Powertools resolver, logger and metrics decorators, auth, validation, the
  answer cache with the template's settings and its judge, routing, the ledger's logic, the response) over
  in-memory stores, an LLM that answers at once and an embedder that looks its vector up. The CPU spent inside the
  fakes is measured and taken out: the rest is spendrail's own CPU, the figure the goal (<= 1 ms p50 on a miss, a
  4,000-character prompt adding <= 0.3 ms) is about. --profile prints cProfile's top entries of the misses.
- real: the chat module loaded as Lambda loads it (template's cache settings, EMBEDDER local: all-MiniLM-L6-v2 in
  numpy), dynalite for every table, the offline OpenRouter simulator. Own CPU leaves out the LLM call
  (`OpenRouterClient.complete`, the judge's too) and the embedding, each reported beside it; botocore's DynamoDB
  calls stay in (they are the function's own CPU in Lambda) and are counted. Distinct questions from the cache's
  eval set are asked once each; each answer is classified by what happened (cached or not), then each is asked
  again in upper case (exact hits) and with "Hi! " in front (semantic hits, or guarded misses: counted).

Figures go to stdout and to .bench/chat_overhead.json. The run stops after 300 s; a non-200 answer stops it (exit 1).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import math
import os
import platform
import pstats
import random
import statistics
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from benchmarks.cache_guards import PROSE  # the same ordinary prose, repeated to 4,000 characters
from benchmarks.ledger_throughput import CallCounter
from benchmarks.summary import write_figures
from local import dev
from local.apigw import LambdaContext, api_gateway_event
from local.dynalite import client as make_client
from local.dynalite import running
from local.openrouter_sim import OpenRouterSimulator
from local.tables import chat_tables, create_tables
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.policy import BudgetPolicy
from spendrail.pricing import PricingCatalog
from spendrail.settings import Settings
from spendrail.tenants.dynamodb import DynamoDBTenantDirectory
from spendrail.tenants.model import Tenant
from spendrail.tenants.provision import provision_tenant
from tests.handlers import load_function

RUN_LIMIT_SECONDS = 300.0
TENANT = "bench-store"
CAP_USD = Decimal(1_000_000)  # never reached: every request is admitted on the normal route
SIM_API_KEY = "sk-or-local-simulator"
CPU_GOAL_MS = 1.0
EVAL_PAIRS = Path(__file__).resolve().parent.parent / "evals" / "cache" / "pairs.jsonl"
# ChatFunction's cache settings in template.yaml (EMBEDDER local, the judge on); the rest are Settings' defaults.
TEMPLATE_CHAT_ENV = {
    "EMBEDDER": "local",
    "LOCAL_EMBEDDER_PATH": "",
    "CACHE_ENABLED": "true",
    "CACHE_JUDGE_MODEL": "meta-llama/llama-3.3-70b-instruct",
    "CACHE_TTL_SECONDS": "604800",
    "CACHE_REFRESH_SECONDS": "5",
    "CACHE_MAX_ENTRIES": "20000",
    "AUTH_CACHE_SECONDS": "60",
    "BUSY_WAIT_SECONDS": "1.5",
    "LLM_TIMEOUT_SECONDS": "12",
}
PROMPTS = (
    "Where is my order? It was supposed to arrive yesterday.",
    "How do I return a pair of shoes that don't fit?",
    "Can I change the shipping address on an order I placed this morning?",
    "My discount code says it is invalid at checkout. Why?",
    "Do you ship to Canada, and how long does it take?",
    "I was charged twice for the same order. Can you refund one of the charges?",
    "How do I reset my password? The reset email never arrives.",
    "Is the blue rain jacket available in size XL?",
    "What is your warranty on the wireless headphones?",
    "Can I cancel my subscription before the next billing date?",
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


@dataclass(frozen=True)
class Sample:
    """One request: its thread CPU and wall seconds, what of them the fakes (or LLM, embedder) took, its outcome."""

    cpu: float
    wall: float
    outside_cpu: float  # fakes, or the LLM call and the embedding
    cached: bool
    embed_cpu: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)

    @property
    def own_cpu(self) -> float:
        return self.cpu - self.outside_cpu


def chat_event(key: str, prompt: str, customer: int) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
    body = {"prompt": prompt, "customerId": f"cust-{customer % 97}"}
    return api_gateway_event("POST", "/v1/chat", headers=headers, body=body)


def call(
    handler: Callable[[dict[str, Any], Any], dict[str, Any]], key: str, prompt: str, index: int
) -> tuple[float, float, bool]:
    # The event and context are API Gateway's and Lambda's work, not the function's: built before the clock.
    event, context = chat_event(key, prompt, index), LambdaContext(function_name="chat")
    # Process CPU: the cache and the chat service hand work to thread pools, whose CPU a thread clock would miss.
    wall, cpu = time.perf_counter(), time.process_time()
    result = handler(event, context)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if result["statusCode"] != 200:
        raise AbortError(f"chat request {index} answered {result['statusCode']}: {result.get('body', '')[:300]}")
    return cpu, wall, bool(json.loads(result["body"])["cached"])


# ---------------------------------------------------------------------------------------------------------------
# Fast fakes: the production request path (Powertools resolver and decorators, auth, validation, the cache with the
# template's settings, routing, the ledger's logic, the response) over in-memory stores, an LLM that answers at
# once and an embedder that looks its vector up. Each fake's calls are timed and taken out: what is left is CPU
# spendrail and its libraries spend per request, whatever the stores and models cost.

EMBED_DIMENSIONS = 384  # all-MiniLM-L6-v2, the template's EMBEDDER "local"
LONG_CHARS = 3990  # MAX_PROMPT_CHARS is 4,000: room for the semantic phase's "Hi! " in front
LONG_GOAL_MS = 0.3  # what a 4,000-character prompt may add to a miss


def tag(index: int) -> str:
    """A word of letters unique to `index` (no digits: digits would wake the privacy and number rules)."""
    word = ""
    index += 26 * 26
    while index:
        index, rest = divmod(index, 26)
        word += chr(ord("a") + rest)
    return word


def prompt_of(kind: str, index: int) -> str:
    """A question, unique per index: short (one of PROMPTS) or 4,000 characters of ordinary prose."""
    if kind == "short":
        return f"{PROMPTS[index % len(PROMPTS)]} Ref {tag(index)}."
    head = f"Ref {tag(index)}. "
    return (head + PROSE * (LONG_CHARS // len(PROSE) + 1))[:LONG_CHARS]


class Meter:
    """CPU and wall seconds spent inside the fakes since the last take."""

    def __init__(self) -> None:
        self.cpu = self.wall = 0.0

    def wrap(self, target: Any, *names: str) -> None:
        for name in names:
            inner: Callable[..., Any] = getattr(target, name)

            def timed(*args: Any, _inner: Callable[..., Any] = inner, **kwargs: Any) -> Any:
                wall, cpu = time.perf_counter(), time.thread_time()
                try:
                    return _inner(*args, **kwargs)
                finally:
                    self.cpu += time.thread_time() - cpu
                    self.wall += time.perf_counter() - wall

            setattr(target, name, timed)

    def take(self) -> tuple[float, float]:
        taken = self.cpu, self.wall
        self.cpu = self.wall = 0.0
        return taken


class InstantLLM:
    """Answers at once, priced like a short mistral-small reply."""

    def complete(self, request: Any, deadline: Any) -> Any:
        from spendrail.llm.port import Completion, Usage

        usage = Usage(40, 60, Decimal("0.000015"))
        return Completion(
            text="Here is what to do.", model=request.model, usage=usage, finish_reason="stop", raw=lambda: {}
        )


class LookupEmbedder:
    """The vector each prompt was given (`assign`), or a fresh random one: no model, no call."""

    def __init__(self, seed: int = 7) -> None:
        self._rng = np.random.default_rng(seed)
        self._vectors: dict[str, Any] = {}

    def vector(self) -> Any:
        v = self._rng.standard_normal(EMBED_DIMENSIONS).astype(np.float32)
        return v / np.linalg.norm(v)

    def vector_of(self, text: str) -> Any:
        vector = self._vectors.get(text)
        if vector is None:
            vector = self._vectors[text] = self.vector()
        return vector

    def assign(self, text: str, vector: Any) -> None:
        self._vectors[text] = vector

    def embed(self, text: str, request_id: str, deadline: Any) -> Any:
        from spendrail.llm.port import Embedding

        vector = self.vector_of(text)
        return Embedding(vector, "local/all-minilm-l6-v2", 0, Decimal(0))


def fake_handler(meter: Meter) -> tuple[Callable[[dict[str, Any], Any], dict[str, Any]], str, LookupEmbedder]:
    """functions/chat/app.py's handler over fast fakes, the cache with the template's settings (judge on)."""
    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.logging import correlation_paths

    from spendrail.api import errors
    from spendrail.api.chat import ChatEndpoint
    from spendrail.api.observe import Observer
    from spendrail.cache.judge import Judge
    from spendrail.cache.memory import InMemoryCacheStore
    from spendrail.cache.model import SIMILARITY
    from spendrail.cache.semantic import SemanticCache
    from spendrail.cache.service import AnswerCache
    from spendrail.chat.service import ChatService
    from spendrail.ledger.memory import InMemoryLedger
    from spendrail.tenants.auth import Authenticator
    from spendrail.tenants.memory import InMemoryTenantDirectory
    from spendrail.tenants.profiles import Profiles

    settings = Settings.from_env(TEMPLATE_CHAT_ENV)
    catalog = PricingCatalog.load()
    ledger, directory, store = InMemoryLedger(), InMemoryTenantDirectory(), InMemoryCacheStore()
    llm, embedder = InstantLLM(), LookupEmbedder()
    key = provision_tenant(
        directory, ledger, Tenant(TENANT), BudgetPolicy(daily_cap_usd=CAP_USD, monthly_cap_usd=CAP_USD)
    )
    meter.wrap(ledger, "reserve", "settle", "release", "record_savings", "snapshot")
    meter.wrap(directory, "key", "tenant")
    meter.wrap(store, "get", "put", "since", "newest")
    meter.wrap(llm, "complete")
    meter.wrap(embedder, "embed")
    similarity = SIMILARITY[settings.embedder]
    answers = AnswerCache(
        store,
        dimensions=EMBED_DIMENSIONS,
        embedder="local/all-minilm-l6-v2",
        ttl_seconds=settings.cache_ttl_seconds,
        refresh_seconds=settings.cache_refresh_seconds,
        max_entries=settings.cache_max_entries,
    )
    judge = Judge(llm, catalog, settings.cache_judge_model, certain=similarity.certain)
    cache = SemanticCache(
        answers, embedder, catalog, "local/all-minilm-l6-v2", threshold=similarity.threshold, judge=judge
    )
    service = ChatService(
        ledger,
        llm,
        catalog,
        cache=cache,
        profiles=Profiles(directory),
        alerts=None,
        busy_wait_seconds=settings.busy_wait_seconds,
        llm_timeout_seconds=settings.llm_timeout_seconds,
    )
    logger, metrics = Logger(service="spendrail"), Metrics(namespace="Spendrail", service="spendrail")
    endpoint = ChatEndpoint(
        Authenticator(directory, ttl_seconds=settings.auth_cache_seconds),
        service,
        idempotency=None,
        logger=logger,
        observer=Observer(logger, metrics),
    )
    app = APIGatewayHttpResolver()
    errors.register(app)

    @app.post("/v1/chat")
    def chat() -> Any:
        return endpoint.handle(app.current_event, app.lambda_context)

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return app.resolve(event, context)

    return handler, key, embedder


FAKE_SCENARIOS = ("miss", "semantic", "exact")


def fake_phase(
    handler: Callable[[dict[str, Any], Any], dict[str, Any]],
    key: str,
    embedder: LookupEmbedder,
    meter: Meter,
    kind: str,
    scenario: str,
    requests: int,
    offset: int,
    deadline: Deadline,
) -> list[Sample]:
    """`requests` questions: new ones (miss), or ones the miss phase at `offset` stored, asked again as a paraphrase
    with the stored vector (semantic) or in upper case (exact)."""
    samples = []
    for index in range(offset, offset + requests):
        deadline.check(f"fakes {kind} {scenario}")
        stored = prompt_of(kind, index)
        prompt = {"miss": stored, "semantic": f"Hi! {stored}", "exact": stored.upper()}[scenario]
        if scenario == "semantic":
            embedder.assign(prompt, embedder.vector_of(stored))
        meter.take()
        cpu, wall, cached = call(handler, key, prompt, index)
        fake_cpu, _ = meter.take()
        if cached != (scenario != "miss"):
            raise AbortError(f"fakes {kind} {scenario} request {index} came back cached={cached}")
        samples.append(Sample(cpu, wall, fake_cpu, cached))
    return samples


@dataclass(frozen=True)
class FakeResults:
    samples: dict[tuple[str, str], list[Sample]]
    profile: str


def measure_fakes(requests: int, warmup: int, deadline: Deadline, profile: bool) -> FakeResults:
    meter = Meter()
    handler, key, embedder = fake_handler(meter)
    results: dict[tuple[str, str], list[Sample]] = {}
    offset = 0
    profiler = cProfile.Profile() if profile else None
    for kind in ("short", "long"):
        fake_phase(handler, key, embedder, meter, kind, "miss", warmup, offset, deadline)
        offset += warmup
        if profiler is not None and kind == "short":
            profiler.enable()
        results[kind, "miss"] = fake_phase(handler, key, embedder, meter, kind, "miss", requests, offset, deadline)
        if profiler is not None:
            profiler.disable()
        for scenario in ("semantic", "exact"):
            results[kind, scenario] = fake_phase(
                handler, key, embedder, meter, kind, scenario, requests, offset, deadline
            )
        offset += requests
    text = ""
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        text = out.getvalue()
    return FakeResults(results, text)


# ---------------------------------------------------------------------------------------------------------------
# Real clients: dynalite, the simulator, all-MiniLM-L6-v2


class Timer:
    """Wraps one method of one instance; process CPU seconds and calls since the last take. Process CPU, so the
    simulator's server thread answering the LLM call and numpy's BLAS threads embedding go out with the call (when
    the embedding overlaps the request's own work in a pool thread, that work goes out with it too: a low bound)."""

    def __init__(self, target: Any, name: str, clock: Callable[[], float]) -> None:
        self.cpu = 0.0
        self.calls = 0
        inner: Callable[..., Any] = getattr(target, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            cpu = clock()
            try:
                return inner(*args, **kwargs)
            finally:
                self.cpu += clock() - cpu
                self.calls += 1

        setattr(target, name, timed)  # the instance attribute shadows the method

    def take(self) -> float:
        taken, self.cpu, self.calls = self.cpu, 0.0, 0
        return taken


def function_env(dynamodb: str, llm_base_url: str, settings: Settings) -> dict[str, str]:
    """What local/dev.py hands the chat function, with the template's cache settings; logs and metrics quiet."""
    return (
        dev.function_env(dynamodb, settings, llm_base_url, SIM_API_KEY)
        | TEMPLATE_CHAT_ENV
        | {
            # Empty values read as unset: a developer's shell must not switch on SSM look-ups or Helicone logging.
            "OPENROUTER_API_KEY_PARAM": "",
            "HELICONE_API_KEY": "",
            "HELICONE_API_KEY_PARAM": "",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )


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


@contextlib.contextmanager
def local_stack() -> Iterator[str]:
    """dynalite with the template's tables and a tenant with a budget it never exhausts, the simulator, and the
    chat function's environment pointing at both; yields the tenant's key."""
    settings = Settings.from_env({})
    with running() as dynamodb, OpenRouterSimulator() as sim:
        db = make_client(dynamodb)
        create_tables(db, chat_tables(settings))
        directory = DynamoDBTenantDirectory(db, settings.tenant_table_name)
        ledger = DynamoDBLedger(db, settings.budget_table_name)
        policy = BudgetPolicy(daily_cap_usd=CAP_USD, monthly_cap_usd=CAP_USD)
        key = provision_tenant(directory, ledger, Tenant(TENANT), policy)
        with patched_env(function_env(dynamodb, sim.base_url, settings)):
            yield key


def eval_questions() -> list[str]:
    seen: dict[str, None] = {}
    for line in EVAL_PAIRS.read_text(encoding="utf-8").splitlines():
        pair = json.loads(line)
        seen.setdefault(pair["a"])
        seen.setdefault(pair["b"])
    questions = list(seen)
    random.Random(3).shuffle(questions)
    return questions


def measure_real(requests: int, warmup: int, deadline: Deadline) -> dict[str, list[Sample]]:
    """Samples by outcome: 'first ask' split into miss / hit, then 'exact' and 'semantic' re-asks."""
    with local_stack() as key:
        module: ModuleType = load_function("chat")
        components = module.components
        counter = CallCounter()
        for client in (components.dynamodb, components.idempotency_dynamodb):
            client.meta.events.register("before-call.dynamodb", counter)
        llm = Timer(components.openrouter, "complete", time.process_time)
        embed = Timer(components.cache_embedder.embedder, "embed", time.process_time)
        questions = eval_questions()[: warmup + requests]
        out: dict[str, list[Sample]] = {"miss": [], "first ask, hit": [], "exact": [], "semantic": []}
        for phase in ("first", "exact", "semantic"):
            for index, question in enumerate(questions):
                deadline.check(f"real {phase}")
                prompt = {"first": question, "exact": question.upper(), "semantic": f"Hi! {question}"}[phase]
                llm.take(), embed.take(), counter.take()
                cpu, wall, cached = call(module.lambda_handler, key, prompt, index)
                llm_cpu, embed_cpu = llm.take(), embed.take()
                sample = Sample(cpu, wall, llm_cpu + embed_cpu, cached, embed_cpu, counter.take())
                if index < warmup:
                    continue
                name = {"first": "miss" if not cached else "first ask, hit"}.get(phase, phase)
                if phase != "first" and not cached:
                    name = f"{phase} (guarded miss)"
                out.setdefault(name, []).append(sample)
        return out


# ---------------------------------------------------------------------------------------------------------------
# Report


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def row(name: str, values: list[float]) -> str:
    s = Summary.of(values)
    return f"  {name:<44} {ms(s.p50):9.3f} {ms(s.p99):9.3f} {ms(s.mean):9.3f}"


def report_fakes(results: FakeResults, figures: dict[str, Any]) -> None:
    print("fast fakes: own CPU (process CPU minus the fakes'), milliseconds")
    print(f"  {'':<44} {'p50':>9} {'p99':>9} {'mean':>9}")
    for (kind, scenario), samples in results.samples.items():
        print(row(f"{kind} prompt, {scenario}", [s.own_cpu for s in samples]))
        print(row("    (the fakes' CPU)", [s.outside_cpu for s in samples]))
        figures[f"fakes_{kind}_{scenario}_own_cpu_p50_ms"] = ms(Summary.of([s.own_cpu for s in samples]).p50)
    miss = figures["fakes_short_miss_own_cpu_p50_ms"]
    added = round(figures["fakes_long_miss_own_cpu_p50_ms"] - miss, 3)
    figures["fakes_long_prompt_adds_ms"] = added
    figures["goal_miss_met"] = miss <= CPU_GOAL_MS
    figures["goal_long_met"] = added <= LONG_GOAL_MS
    print(f"  goal: miss p50 <= {CPU_GOAL_MS:g} ms: {miss:.3f} ms {'met' if miss <= CPU_GOAL_MS else 'NOT met'}")
    met = "met" if added <= LONG_GOAL_MS else "NOT met"
    print(f"  goal: a 4,000-character prompt adds <= {LONG_GOAL_MS:g} ms to a miss: {added:.3f} ms {met}")
    if results.profile:
        print("cProfile of the short misses (tottime):")
        print(results.profile)


def report_real(samples: dict[str, list[Sample]], figures: dict[str, Any]) -> None:
    print("real clients (dynalite, OpenRouter simulator, all-MiniLM-L6-v2): milliseconds")
    print(f"  {'':<44} {'p50':>9} {'p99':>9} {'mean':>9}")
    for name, group in samples.items():
        if not group:
            continue
        print(f"  {name}: {len(group)} requests")
        print(row("own CPU (without LLM call and embedding)", [s.own_cpu for s in group]))
        print(row("handler CPU, total", [s.cpu for s in group]))
        print(row("embedding CPU", [s.embed_cpu for s in group]))
        print(row("handler wall", [s.wall for s in group]))
        calls = sum((s.calls for s in group), Counter[str]())
        print(f"    DynamoDB calls per request: {calls.total() / len(group):.2f} ({dict(sorted(calls.items()))})")
        slug = name.split(" (")[0].replace(", ", "_").replace(" ", "_")
        if slug == name.replace(", ", "_").replace(" ", "_"):
            figures[f"real_{slug}_own_cpu_p50_ms"] = ms(Summary.of([s.own_cpu for s in group]).p50)
            figures[f"real_{slug}_embed_cpu_p50_ms"] = ms(Summary.of([s.embed_cpu for s in group]).p50)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=500, help="measured requests per phase")
    parser.add_argument("--warmup", type=int, default=50, help="discarded requests before each kind")
    parser.add_argument("--mode", choices=("fakes", "real", "both"), default="both")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top entries of the fakes' misses")
    parser.add_argument("--json", type=Path, default=None, help="where to write the figures (.bench/<name>.json)")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.warmup < 0:
        parser.error("--requests must be positive and --warmup not negative")
    warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)
    deadline = Deadline(RUN_LIMIT_SECONDS)
    figures: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        # Powertools prints EMF and logs to stdout: sent to /dev/null, still paid inside the measured requests.
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            fake = measure_fakes(args.requests, args.warmup, deadline, args.profile) if args.mode != "real" else None
            real = measure_real(args.requests, min(args.warmup, 20), deadline) if args.mode != "fakes" else None
    except AbortError as exc:
        print(exc, file=sys.stderr)
        return 1
    print("spendrail chat overhead: production path (cache on, the template's settings), one request at a time")
    print(f"date      {figures['date']}, python {platform.python_version()}, {os.cpu_count()} CPUs")
    if fake is not None:
        report_fakes(fake, figures)
    if real is not None:
        report_real(real, figures)
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    else:
        write_figures("chat_overhead", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
