"""Answer one shopper question within the tenant's budget: route, reserve, call, settle."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from spendrail.chat.models import BudgetInfo, ChatRequest, ChatResponse
from spendrail.errors import InvalidInputError, SpendrailError
from spendrail.estimate import worst_case_nanos
from spendrail.ledger.model import Crossing, Hold, LedgerSnapshot, Refusal, ReserveResult
from spendrail.ledger.port import BudgetLedger
from spendrail.llm.port import Completion, CompletionRequest, LLMClient, Message, UpstreamError
from spendrail.money import nanos_to_usd, usd_to_nanos
from spendrail.pricing import PricingCatalog
from spendrail.routing import Route, route, use_case
from spendrail.state import BudgetState
from spendrail.telemetry.helicone import HeliconeLogger, LoggedCall
from spendrail.tenants.model import Tenant
from spendrail.tenants.port import TenantDirectory
from spendrail.windows import seconds_to_day_reset, seconds_to_month_reset

logger = logging.getLogger(__name__)


class ForbiddenError(SpendrailError):
    """The request names a tenant other than the one its key belongs to."""


class BudgetExceededError(SpendrailError):
    """Settled spend leaves no room for this request until the window resets."""

    def __init__(self, snapshot: LedgerSnapshot, retry_after: int, fallback_message: str) -> None:
        super().__init__("the budget for this period is used up")
        self.snapshot = snapshot
        self.retry_after = retry_after
        self.fallback_message = fallback_message


class BudgetBusyError(SpendrailError):
    """Only requests in flight stand in the way; their holds come back within seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("the budget is fully reserved by requests in flight; retry shortly")
        self.retry_after = retry_after


@dataclass(frozen=True)
class ChatOutcome:
    response: ChatResponse
    route: Route
    crossings: tuple[Crossing, ...]
    cost_nanos: int
    overshoot_nanos: int


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
        self._profiles = profiles
        self._profile_ttl = profile_ttl_seconds
        self._fallbacks: dict[str, tuple[str, float]] = {}
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
        chosen, reserved = self._reserve(tenant, request, messages, max_tokens, request_id)
        hold = reserved.hold
        assert hold is not None
        completion_request = CompletionRequest(
            chosen.primary, chosen.fallbacks, messages, max_tokens, request.customer_id, request_id
        )
        llm_started = self._clock()
        try:
            completion = self._llm.complete(completion_request)
        except UpstreamError as exc:
            self._close_failed(hold, exc)
            raise
        except Exception:
            self._ledger.release(hold)  # nothing came back that could have been billed
            raise
        pending_log = self._log_call(completion_request, completion, llm_started)
        cost = self._cost(completion, hold)
        settled = self._ledger.settle(hold, cost)
        self._last_state[tenant.tenant_id] = settled.snapshot.state
        if pending_log is not None and self._helicone is not None:
            self._helicone.wait(pending_log)
        response = ChatResponse(
            reply=completion.text,
            model=completion.model,
            cost_usd=nanos_to_usd(cost),
            cached=False,
            input_tokens=completion.usage.input_tokens,
            output_tokens=completion.usage.output_tokens,
            latency_ms=round((self._monotonic() - started) * 1000),
            request_id=request_id,
            budget=_remaining(settled.snapshot),
            downgraded=chosen.downgraded,
        )
        crossings = reserved.crossings + settled.crossings
        return ChatOutcome(response, chosen, crossings, cost, settled.overshoot)

    def _reserve(
        self, tenant: Tenant, request: ChatRequest, messages: tuple[Message, ...], max_tokens: int, request_id: str
    ) -> tuple[Route, ReserveResult]:
        """Hold the worst case of the route the budget state calls for; wait out holds in flight, briefly."""
        state = self._last_state.get(tenant.tenant_id, BudgetState.ACTIVE)
        if state is BudgetState.STOPPED:
            state = BudgetState.DEGRADED  # the window may have reset since: ask the ledger
        deadline = self._monotonic() + self._busy_wait
        pause = 0.02
        while True:
            chosen = route(self._catalog, request.use_case, state)
            amount = worst_case_nanos(self._catalog, chosen.candidates, [m.content for m in messages], max_tokens)
            result = self._ledger.reserve(tenant.tenant_id, amount, hold_id=request_id)
            fresh = result.state
            self._last_state[tenant.tenant_id] = fresh
            if result.admitted:
                return self._refine(chosen, fresh, request, messages, max_tokens, amount), result
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

    def _fallback(self, tenant: Tenant) -> str:
        """The merchant's text for a stopped budget, read from its profile (cached) only when it is needed."""
        if self._profiles is None:
            return tenant.fallback_message
        cached = self._fallbacks.get(tenant.tenant_id)
        if cached is None or cached[1] <= self._monotonic():
            profile = self._profiles.tenant(tenant.tenant_id)
            message = profile.fallback_message if profile else tenant.fallback_message
            cached = (message, self._monotonic() + self._profile_ttl)
            self._fallbacks[tenant.tenant_id] = cached
        return cached[0]

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

    def _close_failed(self, hold: Hold, exc: UpstreamError) -> None:
        if exc.usage is not None:
            cost = exc.usage.cost_usd
            nanos = usd_to_nanos(cost, exact=False) if cost is not None else hold.amount
            self._ledger.settle(hold, nanos)
        elif exc.maybe_billed:
            self._ledger.settle(hold, hold.amount)  # unreadable but possibly billed: count the worst case
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
