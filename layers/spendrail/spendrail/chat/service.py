"""Answer one shopper question within the tenant's budget: route, reserve, call, settle."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from spendrail.cache.model import CacheScope, StoredAnswer
from spendrail.cache.rules import personal_data
from spendrail.cache.service import AnswerCache, SimilarAnswer
from spendrail.chat.models import BudgetInfo, ChatRequest, ChatResponse
from spendrail.errors import (
    BudgetBusyError,
    BudgetExceededError,
    ForbiddenError,
    InvalidInputError,
    StoreUnavailableError,
    UpstreamError,
)
from spendrail.estimate import input_tokens_upper_bound, worst_case_nanos
from spendrail.ledger.model import Crossing, Hold, LedgerSnapshot, Refusal, ReserveResult
from spendrail.ledger.port import BudgetLedger
from spendrail.llm.port import Completion, CompletionRequest, Embedder, LLMClient, Message
from spendrail.money import nanos_to_usd, usd_to_nanos
from spendrail.pricing import PricingCatalog
from spendrail.routing import Route, route, use_case
from spendrail.state import BudgetState
from spendrail.telemetry.helicone import HeliconeLogger, LoggedCall
from spendrail.tenants.model import Tenant
from spendrail.tenants.port import TenantDirectory
from spendrail.windows import seconds_to_day_reset, seconds_to_month_reset

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatOutcome:
    response: ChatResponse
    route: Route | None  # None when the answer came from the cache
    crossings: tuple[Crossing, ...]
    cost_nanos: int
    overshoot_nanos: int
    cache_tier: str | None = None  # "exact" or "semantic" on a hit


@dataclass(frozen=True)
class _Ask:
    """One request as it goes through the service."""

    tenant: Tenant
    request: ChatRequest
    request_id: str
    started: float
    scope: CacheScope
    messages: tuple[Message, ...]
    max_tokens: int


@dataclass(frozen=True)
class _Cached:
    text: str
    model: str
    saved: int
    tier: str


def _remaining(snapshot: LedgerSnapshot) -> BudgetInfo:
    return BudgetInfo(
        state=snapshot.state,
        daily_remaining_usd=nanos_to_usd(max(snapshot.daily.settled_room, 0)),
        monthly_remaining_usd=nanos_to_usd(max(snapshot.monthly.settled_room, 0)),
    )


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ChatService:
    def __init__(
        self,
        ledger: BudgetLedger,
        llm: LLMClient,
        catalog: PricingCatalog,
        *,
        helicone: HeliconeLogger | None = None,
        cache: AnswerCache | None = None,
        embedder: Embedder | None = None,
        embedding_model: str = "openai/text-embedding-3-small",
        profiles: TenantDirectory | None = None,
        profile_ttl_seconds: float = 60.0,
        llm_url: str = "",
        busy_wait_seconds: float = 1.5,
        clock: Callable[[], datetime] = _utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._ledger = ledger
        self._llm = llm
        self._catalog = catalog
        self._helicone = helicone
        self._cache = cache if embedder is not None else None
        self._embedder = embedder
        self._embedding_model = embedding_model
        self._profiles = profiles
        self._profile_ttl = profile_ttl_seconds
        self._profile_cache: dict[str, tuple[Tenant, float]] = {}
        self._llm_url = llm_url
        self._busy_wait = busy_wait_seconds
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep
        # The state each tenant was last seen in: routing needs it before the reserve that reports it afresh.
        self._last_state: dict[str, BudgetState] = {}

    def answer(self, tenant: Tenant, request: ChatRequest, request_id: str) -> ChatOutcome:
        started = self._monotonic()
        if request.tenant_id is not None and request.tenant_id != tenant.tenant_id:
            raise ForbiddenError("tenantId does not match the API key's tenant")
        wanted = use_case(self._catalog, request.use_case)
        max_tokens = request.max_tokens or wanted.default_max_tokens
        if max_tokens > wanted.max_tokens_limit:
            raise InvalidInputError(f"maxTokens must be at most {wanted.max_tokens_limit} for {request.use_case!r}")
        messages = (Message("system", wanted.system_prompt), Message("user", request.prompt))
        scope = CacheScope(tenant.tenant_id, request.use_case)
        profile = self._profile(tenant) if self._cache is not None else tenant
        cacheable = self._cacheable(profile, request)
        if cacheable:
            exact = self._cache_exact(scope, request.prompt)
            if exact is not None:  # served even when the budget is stopped: it costs nothing
                snapshot = self._ledger.record_savings(tenant.tenant_id, exact.cost_nanos)
                reply = _Cached(exact.reply, exact.model, exact.cost_nanos, "exact")
                return self._cached(reply, 0, snapshot, (), started, request_id)
        embed_hold = self._embedding_worst_case(request.prompt) if cacheable else 0
        chosen, reserved = self._reserve(tenant, request, messages, max_tokens, request_id, embed_hold)
        hold = reserved.hold
        assert hold is not None
        embedding, embed_cost = self._embed(request.prompt, request_id, embed_hold) if cacheable else (None, 0)
        if embedding is not None:
            similar = self._cache_similar(scope, request.prompt, embedding, profile.cache_threshold)
            if similar is not None:
                settled = self._ledger.settle(hold, embed_cost, saved=similar.entry.cost_nanos)
                self._last_state[tenant.tenant_id] = settled.snapshot.state
                entry = similar.entry
                reply = _Cached(entry.reply, entry.model, entry.cost_nanos, "semantic")
                crossings = reserved.crossings + settled.crossings
                return self._cached(reply, embed_cost, settled.snapshot, crossings, started, request_id)
        ask = _Ask(tenant, request, request_id, started, scope, messages, max_tokens)
        return self._generate(ask, chosen, reserved, embedding, embed_cost)

    def _generate(
        self,
        ask: _Ask,
        chosen: Route,
        reserved: ReserveResult,
        embedding: npt.NDArray[np.float32] | None,
        embed_cost: int,
    ) -> ChatOutcome:
        """The cache had nothing: call the model, settle the embedding and the answer together, keep the answer."""
        hold = reserved.hold
        assert hold is not None
        request, request_id = ask.request, ask.request_id
        completion_request = CompletionRequest(
            chosen.primary, chosen.fallbacks, ask.messages, ask.max_tokens, request.customer_id, request_id
        )
        llm_started = self._clock()
        try:
            completion = self._llm.complete(completion_request)
        except UpstreamError as exc:
            self._close_failed(hold, exc, embed_cost)
            raise
        except Exception:
            self._ledger.settle(hold, embed_cost)  # only the embedding could have been billed
            raise
        pending_log = self._log_call(completion_request, completion, llm_started)
        answer_cost = self._cost(completion, hold)
        cost = embed_cost + answer_cost
        settled = self._ledger.settle(hold, cost)  # one write records the embedding and the answer
        if embedding is not None and completion.finish_reason != "length" and completion.text.strip():
            self._cache_store(ask.scope, request.prompt, completion, answer_cost, embedding)
        self._last_state[ask.tenant.tenant_id] = settled.snapshot.state
        if pending_log is not None and self._helicone is not None:
            self._helicone.wait(pending_log)
        response = ChatResponse(
            reply=completion.text,
            model=completion.model,
            cost_usd=nanos_to_usd(cost),
            cached=False,
            input_tokens=completion.usage.input_tokens,
            output_tokens=completion.usage.output_tokens,
            latency_ms=round((self._monotonic() - ask.started) * 1000),
            request_id=request_id,
            budget=_remaining(settled.snapshot),
            downgraded=chosen.downgraded,
        )
        crossings = reserved.crossings + settled.crossings
        return ChatOutcome(response, chosen, crossings, cost, settled.overshoot)

    def _reserve(
        self,
        tenant: Tenant,
        request: ChatRequest,
        messages: tuple[Message, ...],
        max_tokens: int,
        request_id: str,
        extra: int = 0,
    ) -> tuple[Route, ReserveResult]:
        """Hold the worst case of the route the budget state calls for; wait out holds in flight, briefly."""
        state = self._last_state.get(tenant.tenant_id, BudgetState.ACTIVE)
        if state is BudgetState.STOPPED:
            state = BudgetState.DEGRADED  # the window may have reset since: ask the ledger
        deadline = self._monotonic() + self._busy_wait
        pause = 0.02
        while True:
            chosen = route(self._catalog, request.use_case, state)
            amount = extra + worst_case_nanos(
                self._catalog, chosen.candidates, [m.content for m in messages], max_tokens
            )
            result = self._ledger.reserve(tenant.tenant_id, amount, hold_id=request_id)
            fresh = result.state
            self._last_state[tenant.tenant_id] = fresh
            if result.admitted:
                return self._refine(chosen, fresh, request, messages, max_tokens, amount - extra), result
            if result.refusal is Refusal.EXHAUSTED:
                if state is not BudgetState.DEGRADED:
                    state = BudgetState.DEGRADED  # the cheapest model may still fit what is left
                    continue
                raise BudgetExceededError(result.snapshot, self._retry_after(result.snapshot), self._fallback(tenant))
            if fresh is not BudgetState.STOPPED and fresh.level > state.level:
                state = fresh
            if self._monotonic() + pause > deadline:
                raise BudgetBusyError(retry_after=1)
            self._sleep(pause)  # backing off while holds in flight settle; not test synchronization
            pause = min(pause * 2, 0.25)

    def _refine(
        self,
        chosen: Route,
        fresh: BudgetState,
        request: ChatRequest,
        messages: tuple[Message, ...],
        max_tokens: int,
        amount: int,
    ) -> Route:
        """Follow the state the reserve reported, as far as the hold already taken covers it."""
        if fresh is chosen.state or fresh is BudgetState.STOPPED:
            return chosen
        better = route(self._catalog, request.use_case, fresh)
        needed = worst_case_nanos(self._catalog, better.candidates, [m.content for m in messages], max_tokens)
        return better if needed <= amount else chosen

    def _profile(self, tenant: Tenant) -> Tenant:
        """The tenant's settings (fallback message, cache rules) from its profile, cached per instance."""
        if self._profiles is None:
            return tenant
        cached = self._profile_cache.get(tenant.tenant_id)
        if cached is None or cached[1] <= self._monotonic():
            cached = (self._profiles.tenant(tenant.tenant_id) or tenant, self._monotonic() + self._profile_ttl)
            self._profile_cache[tenant.tenant_id] = cached
        return cached[0]

    def _fallback(self, tenant: Tenant) -> str:
        return self._profile(tenant).fallback_message

    def _cacheable(self, profile: Tenant, request: ChatRequest) -> bool:
        """Use cases the merchant excluded, and questions that carry personal data, never touch the cache."""
        if self._cache is None or request.use_case in profile.uncacheable_use_cases:
            return False
        kind = personal_data(request.prompt)
        if kind is not None:
            logger.info("not cached: personal data in the prompt", extra={"kind": kind})
            return False
        return True

    def _embedding_worst_case(self, prompt: str) -> int:
        return self._catalog.price(self._embedding_model).cost_nanos(input_tokens_upper_bound([prompt]), 0)

    def _embed(self, prompt: str, request_id: str, held: int) -> tuple[npt.NDArray[np.float32] | None, int]:
        """The prompt's embedding and its cost; a failed embedding means no cache this time, never a failed reply."""
        assert self._embedder is not None
        try:
            embedding = self._embedder.embed(prompt, request_id)
        except UpstreamError as exc:
            logger.warning("embedding failed: answering without the cache", extra={"reason": exc.kind})
            return None, 0
        if embedding.cost_usd is not None:
            return embedding.vector, usd_to_nanos(embedding.cost_usd, exact=False)
        try:
            return embedding.vector, self._catalog.price(embedding.model).cost_nanos(embedding.input_tokens, 0)
        except InvalidInputError:
            return embedding.vector, held

    @staticmethod
    def _unless_cache_down[T](call: Callable[[], T | None]) -> T | None:
        """The cache only ever saves money: when its table is unavailable the request goes on without it."""
        try:
            return call()
        except StoreUnavailableError:
            logger.warning("cache unavailable: answering without it")
            return None

    def _cache_exact(self, scope: CacheScope, prompt: str) -> StoredAnswer | None:
        assert self._cache is not None
        cache = self._cache
        return self._unless_cache_down(lambda: cache.exact(scope, prompt))

    def _cache_similar(
        self, scope: CacheScope, prompt: str, vector: npt.NDArray[np.float32], threshold: float
    ) -> SimilarAnswer | None:
        assert self._cache is not None
        cache = self._cache
        return self._unless_cache_down(lambda: cache.similar(scope, prompt, vector, threshold))

    def _cache_store(
        self, scope: CacheScope, prompt: str, completion: Completion, cost: int, vector: npt.NDArray[np.float32]
    ) -> None:
        assert self._cache is not None
        cache = self._cache
        self._unless_cache_down(lambda: cache.store(scope, prompt, completion.text, completion.model, cost, vector))

    def _cached(
        self,
        reply: _Cached,
        cost: int,
        snapshot: LedgerSnapshot,
        crossings: tuple[Crossing, ...],
        started: float,
        request_id: str,
    ) -> ChatOutcome:
        response = ChatResponse(
            reply=reply.text,
            model=reply.model,
            cost_usd=nanos_to_usd(cost),
            saved_usd=nanos_to_usd(reply.saved),
            cached=True,
            input_tokens=0,
            output_tokens=0,
            latency_ms=round((self._monotonic() - started) * 1000),
            request_id=request_id,
            budget=_remaining(snapshot),
            downgraded=False,
        )
        return ChatOutcome(response, None, crossings, cost, 0, reply.tier)

    def _retry_after(self, snapshot: LedgerSnapshot) -> int:
        now = self._clock()
        tz = snapshot.policy.timezone
        day_short = snapshot.daily.settled_room <= snapshot.monthly.settled_room
        return seconds_to_day_reset(now, tz) if day_short else seconds_to_month_reset(now, tz)

    def _cost(self, completion: Completion, hold: Hold) -> int:
        """The provider's billed cost; the price table only where it is absent; the whole hold if neither."""
        if completion.usage.cost_usd is not None:
            return usd_to_nanos(completion.usage.cost_usd, exact=False)
        try:
            price = self._catalog.price(completion.model)
        except InvalidInputError:
            logger.error("no cost and no price for the model that answered", extra={"model": completion.model})
            return hold.amount
        return price.cost_nanos(completion.usage.input_tokens, completion.usage.output_tokens)

    def _close_failed(self, hold: Hold, exc: UpstreamError, embed_cost: int) -> None:
        if exc.usage is not None:
            cost = exc.usage.cost_usd
            nanos = usd_to_nanos(cost, exact=False) if cost is not None else hold.amount - embed_cost
            self._ledger.settle(hold, embed_cost + nanos)
        elif exc.in_doubt:
            self._ledger.settle(hold, hold.amount)  # unreadable but possibly billed: count the worst case
        elif embed_cost:
            self._ledger.settle(hold, embed_cost)
        else:
            self._ledger.release(hold)

    def _log_call(
        self, request: CompletionRequest, completion: Completion, started: datetime
    ) -> threading.Thread | None:
        if self._helicone is None:
            return None
        body = {
            "model": request.model,
            "models": [request.model, *request.fallbacks],
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "max_tokens": request.max_tokens,
        }
        call = LoggedCall(
            url=f"{self._llm_url}/chat/completions",
            request=body,
            response=completion.raw(),
            status=200,
            started=started,
            ended=self._clock(),
            meta={"Helicone-Request-Id": request.request_id},
        )
        return self._helicone.log(call)
