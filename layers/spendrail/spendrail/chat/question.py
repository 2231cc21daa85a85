"""What the chat service is asked and what it answers, independent of any wire format.

`POST /v1/chat` and the OpenAI-compatible endpoint each translate their own body into a `Question` and render an
`Answer` their own way; the service in between is the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from spendrail.ledger.model import Crossing, LedgerSnapshot
from spendrail.llm.port import Message
from spendrail.routing import Route
from spendrail.tenants.model import Tenant


@dataclass(frozen=True)
class Question:
    tenant: Tenant
    request_id: str
    customer_id: str  # the shopper; sent to OpenRouter as `user`
    prompt: str  # the shopper's latest message
    use_case: str = "support"
    max_tokens: int | None = None  # None: the use case's default
    history: tuple[Message, ...] = ()  # earlier turns of the conversation, oldest first
    system: str | None = None  # the chatbot's own system prompt; None: the use case's
    # A catalog model the client asked for; None: routing picks (and still decides under pressure).
    model: str | None = None
    temperature: float | None = None  # passed to the model; None: its default (a cached answer ignores it)


@dataclass(frozen=True)
class Answer:
    reply: str
    model: str  # the model that answered (or answered first, for a cached reply)
    cost_nanos: int  # charged to the budget for this request
    saved_nanos: int  # what a cached answer would have cost to generate again
    cache_tier: str | None  # "exact" or "semantic" on a hit
    input_tokens: int
    output_tokens: int
    finish_reason: str
    latency_ms: int
    request_id: str
    snapshot: LedgerSnapshot  # the budget after this request
    downgraded: bool  # routed to a cheaper model than the use case gets with a healthy budget
    route: Route | None  # None for a cached answer
    crossings: tuple[Crossing, ...] = ()  # thresholds this request was the one to cross
    overshoot_nanos: int = 0
    in_doubt_nanos: int = 0  # part of cost_nanos charged at the hold because the real cost is unknown

    @property
    def cached(self) -> bool:
        return self.cache_tier is not None
