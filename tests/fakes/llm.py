"""A scripted LLMClient: answers from a queue of outcomes, records what it was asked."""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from spendrail.deadline import Deadline
from spendrail.llm.port import Completion, CompletionRequest, Usage


class ScriptedLLM:
    def __init__(self) -> None:
        self.requests: list[CompletionRequest] = []
        self.deadlines: list[Deadline] = []
        self._script: deque[Completion | Exception] = deque()

    def then(self, *outcomes: Completion | Exception) -> ScriptedLLM:
        self._script.extend(outcomes)
        return self

    def complete(self, request: CompletionRequest, deadline: Deadline) -> Completion:
        self.requests.append(request)
        self.deadlines.append(deadline)
        if not self._script:
            return answer(request.model)
        outcome = self._script.popleft()
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def answer(
    model: str, *, cost: str | None = "0.000150", input_tokens: int = 40, output_tokens: int = 60, text: str = "ok"
) -> Completion:
    usage = Usage(input_tokens, output_tokens, Decimal(cost) if cost is not None else None)
    return Completion(text=text, model=model, usage=usage, finish_reason="stop", raw=lambda: {"model": model})
