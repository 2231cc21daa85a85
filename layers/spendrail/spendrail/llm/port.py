"""The LLM interfaces the chat service talks to, and what a call returns (failures are `spendrail.errors`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import numpy as np
import numpy.typing as npt

from spendrail.deadline import Deadline


@dataclass(frozen=True)
class Message:
    role: str  # system, user or assistant
    content: str


@dataclass(frozen=True)
class CompletionRequest:
    model: str
    fallbacks: tuple[str, ...]
    messages: tuple[Message, ...]
    max_tokens: int
    user: str
    request_id: str
    temperature: float | None = None


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal | None  # the provider's billed amount; None when it did not say


@dataclass(frozen=True)
class Completion:
    text: str
    model: str  # the model that actually answered (a fallback may have)
    usage: Usage
    finish_reason: str
    raw: Callable[[], dict[str, object]]  # the response body, built only for request logging (Helicone)


class LLMClient(Protocol):
    def complete(self, request: CompletionRequest, deadline: Deadline) -> Completion:
        """One answer, or UpstreamError / ContentRejectedError; never waits past `deadline`."""


@dataclass(frozen=True)
class Embedding:
    vector: npt.NDArray[np.float32]
    model: str
    input_tokens: int
    cost_usd: Decimal | None  # the provider's billed amount; None when it did not say


class Embedder(Protocol):
    def embed(self, text: str, request_id: str, deadline: Deadline) -> Embedding:
        """The text's vector, or UpstreamError; never waits past `deadline`."""
