"""Answer one shopper question within the tenant's budget: the cache first, else route, hold, call, settle.

The order of a request: an exact cache hit (free, served even when the budget is stopped); else one hold for the
worst case of the embedding plus the answer (taken beside the exact lookup when this instance's index says the
question is new); a similar cached answer (settles the embedding alone); else the model, and one settle for the
embedding and the answer. Every wait fits the request's deadline; the LLM's share of it
(`llm_timeout_seconds`) covers the embedding and the answer together.

What overlaps (`spendrail.chat.overlap`, docs/cache.md "The order of a request"): a free embedding (the local
model) starts as the request starts, beside the exact lookup and the reserve; a paid one waits for the hold, so no
money is ever spent unheld. The cache write of a new answer runs beside its settle.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools import Logger

from spendrail.alerts.port import AlertSink
from spendrail.cache.model import CacheScope, Expected, StoredAnswer
from spendrail.cache.semantic import EmbeddedPrompt, SemanticCache
from spendrail.cache.service import SimilarAnswer
from spendrail.chat.budget import Admitted, BudgetGate, utcnow
from spendrail.chat.overlap import Started, Workers, shared, start
from spendrail.chat.question import Answer, Question
from spendrail.deadline import Deadline
from spendrail.errors import InvalidInputError, UpstreamError
from spendrail.ledger.model import Crossing, LedgerSnapshot, SettleResult
from spendrail.ledger.port import BudgetLedger
from spendrail.llm.port import Completion, CompletionRequest, LLMClient, Message
from spendrail.money import usd_to_nanos
from spendrail.pricing import PricingCatalog
from spendrail.routing import chat_model, use_case
from spendrail.tenants.profiles import Profiles

logger = Logger(child=True)  # a child of the handler's Powertools Logger: JSON, with the request's keys

# Kept back from the LLM's share of the deadline for the settle and the cache write that follow the answer.
SETTLE_RESERVE_SECONDS = 3.0


@dataclass(frozen=True)
class _Call:
    """One question on its way through the service."""

    question: Question
    deadline: Deadline  # the request's; the LLM's share of it is derived when the model is called
    started: float
    messages: tuple[Message, ...]
    max_tokens: int
    scope: CacheScope | None


class ChatService:
    def __init__(
        self,
        ledger: BudgetLedger,
        llm: LLMClient,
        catalog: PricingCatalog,
        *,
        cache: SemanticCache | None = None,
        profiles: Profiles | None = None,
        alerts: AlertSink | None = None,
        busy_wait_seconds: float = 1.5,
        llm_timeout_seconds: float = 12.0,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        workers: Workers | None = None,
    ) -> None:
        self._ledger = ledger
        self._llm = llm
        self._catalog = catalog
        self._cache = cache
        self._profiles = profiles or Profiles(None)
        self._budget = BudgetGate(
            ledger, catalog, alerts=alerts, busy_wait_seconds=busy_wait_seconds, clock=clock, sleep=sleep
        )
        self._llm_timeout = llm_timeout_seconds
        self._monotonic = monotonic
        self._workers = workers if workers is not None else shared()

    def answer(self, question: Question, deadline: Deadline) -> Answer:
        call = self._prepare(question, deadline)
        cache, scope = self._cache, call.scope
        early: Started[EmbeddedPrompt] | None = None
        expected = Expected.UNSURE
        if cache is not None and scope is not None:
            expected = cache.expected(scope, question.prompt)
            if cache.embedding_hold(question.prompt) == 0 and expected is not Expected.HIT:
                # A free embedding (the local model) needs no hold: start it now, beside the exact lookup and the
                # reserve (not for a question the index holds: its exact hit needs none, yet a worker would make it).
                embed_deadline = deadline.sooner(self._llm_timeout, keep=SETTLE_RESERVE_SECONDS)
                early = start(self._workers, lambda: cache.embed(question.prompt, question.request_id, embed_deadline))
        try:
            admission = self._admit(call, deadline, expected)
        except BaseException:
            if early is not None:
                early.cancel()  # refused (or failed) before the hold: the embedding is not needed and cost nothing
            raise
        if isinstance(admission, Answer):  # an exact hit: likewise (if it is already running, it finishes unread)
            if early is not None:
                early.cancel()
            return admission
        admitted, judge = admission
        llm_deadline = deadline.sooner(self._llm_timeout, keep=SETTLE_RESERVE_SECONDS)
        embedded = EmbeddedPrompt(None, 0, 0)
        if cache is not None and scope is not None:
            profile = self._profiles.of(question.tenant)
            try:
                embedded = self._embedding(cache, question, early, llm_deadline)
                similar = self._similar(cache, scope, question, embedded)
                if similar is not None:  # put to the judge first where the tenant's mode says so
                    similar, embedded = cache.verified(
                        profile, question.prompt, similar, embedded, question.request_id, llm_deadline, judge=judge
                    )
            except BaseException:
                # Not an answer we can give (a missing secret, a bug): close the hold with what is known to be spent.
                self._budget.settle(admitted.hold, embedded.cost, in_doubt=embedded.in_doubt, deadline=deadline)
                raise
            if similar is not None:
                entry = similar.entry
                settled = self._budget.settle(
                    admitted.hold, embedded.cost, saved=entry.cost_nanos, in_doubt=embedded.in_doubt, deadline=deadline
                )
                snapshot, crossings = self._after(admitted, settled)
                return self._cached(
                    call, entry.reply, entry.model, "semantic", entry.cost_nanos, snapshot, embedded.cost, crossings
                )
        return self._generate(call, admitted, embedded, llm_deadline)

    def _admit(self, call: _Call, deadline: Deadline, expected: Expected) -> Answer | tuple[Admitted, bool]:
        """An exact cache hit (free, served even when the budget is stopped), else the hold for the worst case of
        the lookup and the answer, and whether the judge may be asked.

        The reserve waits for the exact lookup unless this instance's index says the question is new (it holds all
        of the scope's entries and not this one): an exact hit then makes no write but its savings, two DynamoDB
        calls. Otherwise the two run side by side, and the rare exact hit found anyway (stored by another instance
        since the index's last refresh) gives its hold back in the settle that records its savings.

        The judge is never the reason for a refusal or a cheaper model: when the hold with its worst case does not
        fit, the same route is held without it (a second conditional write, only near the cap) and the request's
        uncertain candidates are misses."""
        question, cache, scope = call.question, self._cache, call.scope
        embedding_hold = judge_hold = 0
        profile = self._profiles.of(question.tenant)
        lookup: Started[StoredAnswer | None] | None = None
        if cache is not None and scope is not None:
            if expected is Expected.MISS:
                lookup = start(self._workers, lambda: cache.exact(scope, question.prompt))
            else:
                exact = cache.exact(scope, question.prompt)
                if exact is not None:
                    return self._exact(call, exact)
            embedding_hold = cache.embedding_hold(question.prompt)
            judge_hold = cache.judge_hold(profile, question.prompt)
        try:
            admitted = self._budget.reserve(
                question.tenant,
                question.use_case,
                [m.content for m in call.messages],
                call.max_tokens,
                question.request_id,
                deadline,
                extra=embedding_hold,
                optional=judge_hold,
                preferred=question.model,
                fallback_message=lambda: profile.fallback_message,
            )
        except BaseException:
            try:
                exact = self._looked_up(lookup, deadline)
            except Exception:  # the reserve's failure is the one to report
                exact = None
            if exact is not None:  # refused (or failed), but this question has a free answer
                return self._exact(call, exact)
            raise
        try:
            exact = self._looked_up(lookup, deadline)
        except BaseException:
            self._budget.settle(admitted.hold, 0, deadline=deadline)
            raise
        if exact is not None:
            settled = self._budget.settle(admitted.hold, 0, saved=exact.cost_nanos, deadline=deadline)
            snapshot, crossings = self._after(admitted, settled)
            return self._cached(call, exact.reply, exact.model, "exact", exact.cost_nanos, snapshot, 0, crossings)
        if judge_hold and not admitted.optional_held:
            logger.info("no room for the cache judge: uncertain candidates are misses this time")
        return admitted, admitted.optional_held or judge_hold == 0

    def _exact(self, call: _Call, exact: StoredAnswer) -> Answer:
        """An exact hit found before any hold: its savings are its one write."""
        snapshot = self._ledger.record_savings(call.question.tenant.tenant_id, exact.cost_nanos)
        return self._cached(call, exact.reply, exact.model, "exact", exact.cost_nanos, snapshot)

    @staticmethod
    def _looked_up(lookup: Started[StoredAnswer | None] | None, deadline: Deadline) -> StoredAnswer | None:
        """The exact lookup run beside the reserve, if one was; None if it is still running at the deadline."""
        if lookup is None:
            return None
        try:
            return lookup.outcome(deadline)
        except TimeoutError:
            if lookup.done():
                raise
            logger.warning("exact lookup still running at the deadline: answering without it")
            return None

    @staticmethod
    def _embedding(
        cache: SemanticCache, question: Question, early: Started[EmbeddedPrompt] | None, llm_deadline: Deadline
    ) -> EmbeddedPrompt:
        """The prompt's embedding: the one started early (free), else one made now, under the hold."""
        if early is None:
            return cache.embed(question.prompt, question.request_id, llm_deadline)
        try:
            return early.outcome(llm_deadline)
        except TimeoutError:
            if early.done():
                raise  # the embedder itself raised it
            logger.warning("embedding still running at the LLM deadline: answering without the cache")
            return EmbeddedPrompt(None, 0, 0)  # started early only when free: nothing to charge

    def _similar(
        self, cache: SemanticCache, scope: CacheScope, question: Question, embedded: EmbeddedPrompt
    ) -> SimilarAnswer | None:
        if embedded.vector is None:
            return None
        profile = self._profiles.of(question.tenant)
        threshold = profile.cache_threshold if profile.cache_threshold is not None else cache.threshold
        return cache.similar(scope, question.prompt, embedded.vector, threshold, profile.cache_vocabulary)

    def _prepare(self, question: Question, deadline: Deadline) -> _Call:
        wanted = use_case(self._catalog, question.use_case)
        if question.model is not None:
            chat_model(self._catalog, question.model)  # a model the catalog does not price is never called
        max_tokens = question.max_tokens or wanted.default_max_tokens
        if max_tokens > wanted.max_tokens_limit:
            raise InvalidInputError(f"maxTokens must be at most {wanted.max_tokens_limit} for {question.use_case!r}")
        system = wanted.system_prompt if question.system is None else question.system
        messages = (Message("system", system), *question.history, Message("user", question.prompt))
        scope = None
        if self._cache is not None:
            profile = self._profiles.of(question.tenant)
            history = bool(question.history)
            variant = _variant(question)
            scope = self._cache.scope(profile, question.use_case, question.prompt, has_history=history, variant=variant)
        return _Call(question, deadline, self._monotonic(), messages, max_tokens, scope)

    def _generate(self, call: _Call, admitted: Admitted, embedded: EmbeddedPrompt, llm_deadline: Deadline) -> Answer:
        """The cache had nothing: call the model, settle the embedding and the answer together, keep the answer."""
        question, chosen, hold = call.question, admitted.route, admitted.hold
        request = CompletionRequest(
            chosen.primary,
            chosen.fallbacks,
            call.messages,
            call.max_tokens,
            question.customer_id,
            question.request_id,
            question.temperature,
        )
        try:
            completion = self._llm.complete(request, llm_deadline)
        except UpstreamError as exc:
            self._budget.close_failed(hold, exc, embedded.cost, embedded.in_doubt, call.deadline)
            raise
        except BaseException:  # only the embedding was billed
            self._budget.settle(hold, embedded.cost, in_doubt=embedded.in_doubt, deadline=call.deadline)
            raise
        answer_cost, answer_doubt = self._cost(completion, hold.amount - embedded.cost)
        cost, in_doubt = embedded.cost + answer_cost, embedded.in_doubt + answer_doubt
        kept: Started[None] | None = None
        if embedded.vector is not None and call.scope is not None and self._keepable(completion):
            cache, scope, vector = self._cache, call.scope, embedded.vector
            assert cache is not None
            # The cache write runs beside the settle: neither waits for the other. (When DynamoDB is down both
            # fail within the same wait; the entry is no money, so the settle's outcome does not gate it.)
            kept = start(
                self._workers,
                lambda: cache.keep(scope, question.prompt, completion.text, completion.model, answer_cost, vector),
            )
        # One write records the embedding and the answer. (If it raises, the cache write finishes on its own.)
        settled = self._budget.settle(
            hold, cost, in_doubt=in_doubt, downgraded=chosen.downgraded, deadline=call.deadline
        )
        if kept is not None:
            self._written(kept, call.deadline)
        snapshot, crossings = self._after(admitted, settled)
        return Answer(
            reply=completion.text,
            model=completion.model,
            cost_nanos=cost,
            saved_nanos=0,
            cache_tier=None,
            input_tokens=completion.usage.input_tokens,
            output_tokens=completion.usage.output_tokens,
            finish_reason=completion.finish_reason,
            latency_ms=self._elapsed_ms(call),
            request_id=question.request_id,
            snapshot=snapshot,
            downgraded=chosen.downgraded,
            route=chosen,
            crossings=crossings,
            overshoot_nanos=settled.overshoot if settled is not None else 0,
            in_doubt_nanos=in_doubt,
        )

    @staticmethod
    def _written(kept: Started[None], deadline: Deadline) -> None:
        """Wait for the cache write, within the request's deadline; its errors are raised as before."""
        try:
            kept.outcome(deadline)
        except TimeoutError:
            if kept.done():
                raise
            logger.warning("cache write still running at the deadline: answered without waiting for it")

    @staticmethod
    def _keepable(completion: Completion) -> bool:
        """Cut-off and empty replies are never cached."""
        return completion.finish_reason != "length" and bool(completion.text.strip())

    @staticmethod
    def _after(admitted: Admitted, settled: SettleResult | None) -> tuple[LedgerSnapshot, tuple[Crossing, ...]]:
        """The budget to report, and the crossings this request claimed (at the reserve and at the settle)."""
        if settled is None:  # the settle could not be written: report the budget as the reserve saw it
            return admitted.reserved.snapshot, admitted.reserved.crossings
        return settled.snapshot, admitted.reserved.crossings + settled.crossings

    def _cost(self, completion: Completion, held: int) -> tuple[int, int]:
        """The provider's billed cost; the price table only where it is absent; the hold (in doubt) if neither."""
        if completion.usage.cost_usd is not None:
            return usd_to_nanos(completion.usage.cost_usd, exact=False), 0
        try:
            price = self._catalog.price(completion.model)
        except InvalidInputError:
            logger.error("no cost and no price for the model that answered", extra={"model": completion.model})
            return held, held
        return price.cost_nanos(completion.usage.input_tokens, completion.usage.output_tokens), 0

    def _cached(
        self,
        call: _Call,
        reply: str,
        model: str,
        tier: str,
        saved: int,
        snapshot: LedgerSnapshot,
        cost: int = 0,
        crossings: tuple[Crossing, ...] = (),
    ) -> Answer:
        return Answer(
            reply=reply,
            model=model,
            cost_nanos=cost,
            saved_nanos=saved,
            cache_tier=tier,
            input_tokens=0,
            output_tokens=0,
            finish_reason="stop",
            latency_ms=self._elapsed_ms(call),
            request_id=call.question.request_id,
            snapshot=snapshot,
            downgraded=False,
            route=None,
            crossings=crossings,
        )

    def _elapsed_ms(self, call: _Call) -> int:
        return round((self._monotonic() - call.started) * 1000)


def _variant(question: Question) -> str:
    """The cache variant of a question asked with the chatbot's own system prompt or model ("" for neither)."""
    if question.system is None and question.model is None:
        return ""
    own = f"{question.system or ''}\0{question.model or ''}".encode()
    return hashlib.sha256(own).hexdigest()[:16]
