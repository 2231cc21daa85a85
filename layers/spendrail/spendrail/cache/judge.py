"""A second opinion on a similar question: a small model asked, with a one-token answer, whether one reply serves both.

Cosine similarity and the guards decide most candidates; what remains uncertain (a score in the band below
certainty, or every candidate when the tenant asks for it) is put to the judge model. It is budgeted like the
embedding: its worst case is held with the answer's before the lookup, and what it cost is settled with the rest.
Every failure is a "no": an unverified candidate is a miss, which costs one model call, never a wrong answer.

Questions longer than `MAX_JUDGED_CHARS` are not judged (a miss), so the hold is bounded whatever the cache holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from spendrail.cache.model import JudgeMode
from spendrail.deadline import Deadline
from spendrail.errors import UpstreamError
from spendrail.estimate import input_tokens_upper_bound
from spendrail.llm.port import CompletionRequest, LLMClient, Message
from spendrail.money import usd_to_nanos
from spendrail.pricing import PricingCatalog

MAX_JUDGED_CHARS = 1000
JUDGE_USER = "spendrail-cache-judge"  # the `user` OpenRouter sees: the judge's calls, never a shopper's
INSTRUCTIONS = (
    "You check an online store's support cache. Two shopper questions follow. Reply with one word: yes if a single "
    "correct answer to the first also correctly answers the second (same product, variant, size, colour, amount, "
    "quantity, place, direction, time and the same yes/no sense), otherwise no."
)


@dataclass(frozen=True)
class Verdict:
    same: bool
    cost: int  # nano-USD charged for the judge's call
    in_doubt: int  # part of `cost` charged at the hold because the real cost is unknown


NOT_ASKED = Verdict(same=False, cost=0, in_doubt=0)


class Judge:
    def __init__(self, llm: LLMClient, catalog: PricingCatalog, model: str, *, certain: float) -> None:
        self._llm = llm
        self.model = model
        self._price = catalog.price(model)  # an unknown model fails at start, never priced $0
        self.certain = certain  # a score at or above it needs no verification in BAND mode

    def needed(self, mode: JudgeMode, score: float) -> bool:
        return mode is JudgeMode.ALWAYS or (mode is JudgeMode.BAND and score < self.certain)

    def hold(self, prompt: str) -> int:
        """The judge's worst case for this question: the longest question it would be asked to compare it with."""
        if len(prompt) > MAX_JUDGED_CHARS:
            return 0
        bound = input_tokens_upper_bound([INSTRUCTIONS, _quoted("x" * MAX_JUDGED_CHARS, prompt)])
        return self._price.cost_nanos(bound, 1)

    def same(self, new: str, cached: str, request_id: str, deadline: Deadline) -> Verdict:
        """Whether one answer serves both; any failure is a no (with what the failure may have cost)."""
        if len(new) > MAX_JUDGED_CHARS or len(cached) > MAX_JUDGED_CHARS:
            return NOT_ASKED
        held = self.hold(new)
        messages = (Message("system", INSTRUCTIONS), Message("user", _quoted(cached, new)))
        request = CompletionRequest(self.model, (), messages, 1, JUDGE_USER, request_id)
        try:
            completion = self._llm.complete(request, deadline)
        except UpstreamError as exc:
            used = exc.usage
            if used is not None:
                return Verdict(False, self._cost(used.input_tokens, used.output_tokens, used.cost_usd), 0)
            return Verdict(False, held, held) if exc.in_doubt else NOT_ASKED
        usage = completion.usage
        cost = self._cost(usage.input_tokens, usage.output_tokens, usage.cost_usd)
        return Verdict(completion.text.strip().casefold().startswith("yes"), cost, 0)

    def _cost(self, input_tokens: int, output_tokens: int, billed: Decimal | None) -> int:
        """What the provider billed, else the judge model's price of the tokens it reported (no fallbacks)."""
        if billed is not None:
            return usd_to_nanos(billed, exact=False)
        return self._price.cost_nanos(input_tokens, output_tokens)


def _quoted(cached: str, new: str) -> str:
    return f"First: {cached}\nSecond: {new}\nSame answer?"
