"""Worst-case cost of a request, reserved before the call so a burst can never overspend."""

from __future__ import annotations

from collections.abc import Sequence

from spendrail.errors import InvalidInputError
from spendrail.pricing import PricingCatalog

# Chat templates wrap each message in role markers and separators; a request adds a few priming tokens.
# Generous on purpose: an estimate may be high (the unused part returns at settle), never low.
PER_MESSAGE_OVERHEAD_TOKENS = 16
PER_REQUEST_OVERHEAD_TOKENS = 32


def input_tokens_upper_bound(messages: Sequence[str]) -> int:
    """An upper bound on input tokens: byte-level BPE tokenizers emit at most one token per UTF-8 byte."""
    return PER_REQUEST_OVERHEAD_TOKENS + sum(
        len(text.encode("utf-8")) + PER_MESSAGE_OVERHEAD_TOKENS for text in messages
    )


def worst_case_nanos(
    catalog: PricingCatalog, candidates: Sequence[str], messages: Sequence[str], max_output_tokens: int
) -> int:
    """Hold for a request that may be served by any of `candidates` (a fallback list): the dearest one's cost."""
    if not candidates:
        raise InvalidInputError("a request needs at least one candidate model")
    if max_output_tokens < 1:
        raise InvalidInputError("max output tokens must be at least 1")
    input_tokens = input_tokens_upper_bound(messages)
    return max(catalog.price(model).cost_nanos(input_tokens, max_output_tokens) for model in candidates)
