import pytest

from spendrail.errors import InvalidInputError, UnknownModelError
from spendrail.estimate import input_tokens_upper_bound, worst_case_nanos
from spendrail.pricing import PricingCatalog

CATALOG = PricingCatalog.load()


@pytest.mark.parametrize(
    "text",
    ["How do I track my order?", "¿Dónde está mi pedido?", "我的订单在哪里？", "🙂" * 50, "a" * 10_000, ""],  # noqa: RUF001
)
def test_input_bound_is_never_below_the_byte_count(text: str) -> None:
    # Byte-level BPE emits at most one token per byte, plus chat-template overhead.
    assert input_tokens_upper_bound([text]) >= len(text.encode("utf-8")) + 16


def test_each_message_adds_overhead() -> None:
    assert input_tokens_upper_bound(["hi", "hi"]) > input_tokens_upper_bound(["hi"])


def test_worst_case_uses_the_dearest_fallback_model() -> None:
    cheap_only = worst_case_nanos(CATALOG, ["meta-llama/llama-3.3-70b-instruct"], ["Where is my parcel?"], 500)
    with_fallback = worst_case_nanos(
        CATALOG, ["meta-llama/llama-3.3-70b-instruct", "openai/gpt-5.2-mini"], ["Where is my parcel?"], 500
    )
    premium_only = worst_case_nanos(CATALOG, ["openai/gpt-5.2-mini"], ["Where is my parcel?"], 500)
    assert cheap_only < with_fallback == premium_only
    # 19 bytes + 16 + 32 = 67 input tokens at $0.30/M, 500 output at $0.60/M
    assert premium_only == 67 * 300 + 500 * 600


@pytest.mark.parametrize(
    ("candidates", "max_tokens", "error"),
    [
        ([], 10, InvalidInputError),
        (["openai/gpt-5.2-mini"], 0, InvalidInputError),
        (["nope/model"], 10, UnknownModelError),
    ],
)
def test_bad_estimate_inputs(candidates: list[str], max_tokens: int, error: type[Exception]) -> None:
    with pytest.raises(error):
        worst_case_nanos(CATALOG, candidates, ["hi"], max_tokens)
