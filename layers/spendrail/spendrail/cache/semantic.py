"""The chat service's one collaborator for caching: which questions may use the cache, the exact and the similar
lookup, the prompt's embedding (priced and budgeted like an answer), the judge's second opinion on an uncertain
similar answer (budgeted the same way), and keeping new answers.

Everything here only ever saves money, so nothing here fails a request: a cache table that is down, an embedding
that fails or cannot be read, each means "answer without the cache this time".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from aws_lambda_powertools import Logger

from spendrail.cache.judge import Judge
from spendrail.cache.model import CacheScope, Expected, JudgeMode, StoredAnswer
from spendrail.cache.rules import personal_data, tenant_guard
from spendrail.cache.service import AnswerCache, SimilarAnswer
from spendrail.deadline import Deadline
from spendrail.errors import InvalidInputError, StoreUnavailableError, UpstreamError
from spendrail.estimate import input_tokens_upper_bound
from spendrail.llm.port import Embedder
from spendrail.money import usd_to_nanos
from spendrail.pricing import PricingCatalog
from spendrail.tenants.model import DEFAULT_CACHE_THRESHOLD, Tenant

logger = Logger(child=True)  # a child of the handler's Powertools Logger: JSON, with the request's keys


@dataclass(frozen=True)
class EmbeddedPrompt:
    vector: npt.NDArray[np.float32] | None  # None: no cache this time
    cost: int  # nano-USD charged for the lookup: the embedding, and the judge's call when it was asked
    in_doubt: int  # part of `cost` charged at the hold because the real cost is unknown


class SemanticCache:
    def __init__(
        self,
        answers: AnswerCache,
        embedder: Embedder,
        catalog: PricingCatalog,
        embedding_model: str,
        *,
        threshold: float = DEFAULT_CACHE_THRESHOLD,
        judge: Judge | None = None,
    ) -> None:
        self._answers = answers
        self._embedder = embedder
        self._catalog = catalog
        self._embedding_price = catalog.price(embedding_model)  # unknown model: fail at start, never price it $0
        self.threshold = threshold  # the embedder's default; a tenant's own `cache_threshold` wins
        self._judge = judge

    def scope(
        self, profile: Tenant, use_case: str, prompt: str, *, has_history: bool, variant: str = ""
    ) -> CacheScope | None:
        """Where this question may be cached, or None: a use case the merchant excluded, a conversation past its
        first question (the answer may depend on earlier turns), or a prompt carrying personal data. `variant`
        keeps apart the answers made under a chatbot's own system prompt or model (`CacheScope.variant`)."""
        if has_history or use_case in profile.uncacheable_use_cases:
            return None
        kind = personal_data(prompt)
        if kind is not None:
            logger.info("not cached: personal data in the prompt", extra={"kind": kind})
            return None
        return CacheScope(profile.tenant_id, use_case, variant)

    def exact(self, scope: CacheScope, prompt: str) -> StoredAnswer | None:
        return self._unless_down(lambda: self._answers.exact(scope, prompt))

    def expected(self, scope: CacheScope, prompt: str) -> Expected:
        """What this instance's index says the exact lookup will find (`AnswerCache.expected`)."""
        return self._answers.expected(scope, prompt)

    def embedding_hold(self, prompt: str) -> int:
        """The embedding's worst case, held with the answer's."""
        return self._embedding_price.cost_nanos(input_tokens_upper_bound([prompt]), 0)

    def judge_hold(self, profile: Tenant, prompt: str) -> int:
        """The judge's worst case for this tenant's question: 0 when its mode never asks the judge."""
        if self._judge is None or profile.cache_judge is JudgeMode.OFF:
            return 0
        return self._judge.hold(prompt)

    def embed(self, prompt: str, request_id: str, deadline: Deadline) -> EmbeddedPrompt:
        held = self.embedding_hold(prompt)
        try:
            embedding = self._embedder.embed(prompt, request_id, deadline)
        except UpstreamError as exc:
            logger.warning("embedding failed: answering without the cache", extra={"reason": exc.kind})
            return EmbeddedPrompt(None, held, held) if exc.in_doubt else EmbeddedPrompt(None, 0, 0)
        if embedding.cost_usd is not None:
            return EmbeddedPrompt(embedding.vector, usd_to_nanos(embedding.cost_usd, exact=False), 0)
        try:
            cost = self._catalog.price(embedding.model).cost_nanos(embedding.input_tokens, 0)
        except InvalidInputError:
            return EmbeddedPrompt(embedding.vector, held, held)  # an embedding model we cannot price
        return EmbeddedPrompt(embedding.vector, cost, 0)

    def similar(
        self,
        scope: CacheScope,
        prompt: str,
        vector: npt.NDArray[np.float32],
        threshold: float,
        vocabulary: Iterable[str] = (),
    ) -> SimilarAnswer | None:
        """The closest answer above `threshold` the guards accept, the tenant's `vocabulary` (its products and
        brands, `Tenant.cache_vocabulary`) among them."""
        guard = tenant_guard(vocabulary)
        return self._unless_down(lambda: self._answers.similar(scope, prompt, vector, threshold, guard=guard))

    def verified(
        self,
        profile: Tenant,
        prompt: str,
        found: SimilarAnswer,
        embedded: EmbeddedPrompt,
        request_id: str,
        deadline: Deadline,
        *,
        judge: bool = True,
    ) -> tuple[SimilarAnswer | None, EmbeddedPrompt]:
        """`found` if it may be served (the judge agreed, or the tenant's mode did not ask it), and what the lookup
        cost so far, the judge's call included. With `judge` False (no room was held for it) a candidate the judge
        would have been asked about is a miss."""
        if self._judge is None or not self._judge.needed(profile.cache_judge, found.score):
            return found, embedded
        if not judge:
            return None, embedded
        verdict = self._judge.same(prompt, found.entry.prompt, request_id, deadline)
        logger.info(
            "cache candidate judged",
            extra={"cache_score": round(found.score, 4), "judge_same": verdict.same, "judge_cost_nanos": verdict.cost},
        )
        spent = replace(embedded, cost=embedded.cost + verdict.cost, in_doubt=embedded.in_doubt + verdict.in_doubt)
        return (found if verdict.same else None), spent

    def keep(
        self, scope: CacheScope, prompt: str, reply: str, model: str, cost: int, vector: npt.NDArray[np.float32]
    ) -> None:
        self._unless_down(lambda: self._answers.store(scope, prompt, reply, model, cost, vector))

    @staticmethod
    def _unless_down[T](call: Callable[[], T | None]) -> T | None:
        try:
            return call()
        except StoreUnavailableError:
            logger.warning("cache unavailable: answering without it")
            return None
