from pathlib import Path

import pytest

from spendrail.cache.guards import VOCABULARY_REASON
from spendrail.cache.rules import GUARDS, PRIVACY_RULES, exact_key, normalize, personal_data

DOC = Path(__file__).parents[2] / "docs" / "cache-rules.md"


# Exact tier


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("How do I track my order?", "  how do i TRACK my order "),
        ("How do I track my order?", "how do i track my order"),
        ("Can I return it?!", "can i return it"),
        ("\uff32\uff45\uff54\uff55\uff52\uff4e policy", "return policy"),  # fullwidth forms fold under NFKC
        ("What\u2019s the return window?", "what's the return window"),  # typographic apostrophe
        ("STRASSE", "straße"),  # casefold, not lower
    ],
)
def test_spellings_of_one_question_share_an_exact_key(a: str, b: str) -> None:
    assert exact_key(a) == exact_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Where is order 1234?", "Where is order 1233?"),
        ("Is SKU AB-123 in stock?", "Is SKU AB-124 in stock?"),
        ("Can I return opened items?", "Can I not return opened items?"),
    ],
)
def test_different_questions_have_different_exact_keys(a: str, b: str) -> None:
    assert exact_key(a) != exact_key(b)


@pytest.mark.parametrize(
    ("prompt", "normal"),
    [
        ("  Where's   my\torder?\n", "where's my order"),
        ("Mail jane.doe@shop.com about SKU-9981.", "mail jane.doe@shop.com about sku-9981"),
        ("Is it $3,000.50 - or less?", "is it $3,000.50 or less"),  # "$" is a symbol, "-" alone is punctuation
        ("Order #1234 (urgent)!", "order 1234 urgent"),
        ("\u0661\u0662\u0663\u0664", "1234"),  # Arabic-Indic digits
    ],
)
def test_normalize_drops_punctuation_except_inside_tokens(prompt: str, normal: str) -> None:
    assert normalize(prompt) == normal


def test_exact_key_is_the_sha256_hex_of_the_normal_form() -> None:
    key = exact_key("How do I track my order?")
    assert len(key) == 64
    assert int(key, 16) >= 0
    assert key == exact_key("how do i track my order")


# Privacy


@pytest.mark.parametrize(
    ("prompt", "kind"),
    [
        ("My email is jane.doe@example.com", "email"),
        ("Call me on +1 415-555-0134", "phone"),
        ("My number is (415) 555 0134", "phone"),
        ("Ring 0044 20 7946 0958", "phone"),
        ("Text 415.555.0134", "phone"),
        ("Where is order 1234?", "order number"),
        ("Where is order 1233?", "order number"),
        ("order #88231", "order number"),
        ("Status of order #A1B2C3", "order number"),
        ("order no. 55555 is late", "order number"),
        ("My order number is 998877", "order number"),
        ("Any news on #12345?", "order number"),
        ("tracking number 1Z999AA10123456784", "order number"),
        ("my name is Jane Doe", "name"),
        ("Hi, my name is jane", "name"),
        ("I'm called Bob", "name"),
    ],
)
def test_personal_data_is_found(prompt: str, kind: str) -> None:
    assert personal_data(prompt) == kind


@pytest.mark.parametrize(
    "prompt",
    [
        "I bought 2 shirts in 2026",
        "I am happy with it",
        "This is great, thanks",
        "How do I track my order?",
        "I ordered 2 shirts on 2026-01-05",  # a date is no phone; "2" is too short for an order number
        "Do you have sizes 10 12 14 16?",
        "I paid 12345.67 in total",
        "My name is misspelled on the invoice",
        "Is #1 the best seller?",
        "Is SKU-9981 in stock?",
    ],
)
def test_generic_prompts_carry_no_personal_data(prompt: str) -> None:
    assert personal_data(prompt) is None


def test_privacy_rules_are_ordered_by_kind() -> None:
    # An order number is a long digit run too: it must be reported as such, not as a phone.
    assert personal_data("order 12345678") == "order number"
    assert [kind for kind, _, _ in PRIVACY_RULES] == ["email", "order number", "phone", "name"]


# Docs


def test_doc_lists_every_rule() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for name, _, _ in GUARDS:
        assert f"`{name}`" in doc
    assert f"`{VOCABULARY_REASON}`" in doc
    for kind, _, _ in PRIVACY_RULES:
        assert f"`{kind}`" in doc


# ---------------------------------------------------------------------------------------------------------------
# normalize: the regex form against the per-character form it replaced (the exact tier's keys must not change)


def _reference_normalize(prompt: str) -> str:
    import unicodedata

    from spendrail.cache.text import fold

    text = fold(prompt)

    def joiner(i: int) -> bool:
        return 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()

    def unpunctuated(i: int) -> str:
        is_punctuation = unicodedata.category(text[i]).startswith("P")
        return " " if is_punctuation and not joiner(i) else text[i]

    return " ".join("".join(unpunctuated(i) for i in range(len(text))).split())


_ALPHABET = (
    "abcXYZ019 _-.,'\u2019\u2018\u02bc!?;:/\\@#$%&*()[]{}<>+=~^`|\"\t\n\u00a0\u2003"
    "\u00e9\u00c9\u00df\u0130\u0131\ufb01\u00bd\u00b2\u0663\u0664\u06f5\u0967\u0e52\uff57\uff21\uff11\uff01\uff03\u3001\u3002\u300c\u300d\u2014\u2013\u2026\u2022\u20ac\u00a3\u00a5\u00a9\u00ae\u2122\U0001f600\U0001f44d\U0001f3fd\u0301\u200d"
)
_ASCII = [char for char in _ALPHABET if char.isascii()]
_SAMPLES = (
    "",
    "_",
    "a_b",
    "_a_",
    "don't",
    "Don\u2019t!",
    "jane.doe@shop.com?",
    "order #1234, please...",
    "3,000 or 3.000?",
    "ab-123 / ab_123",
    "\uff37\uff48\uff45\uff52\uff45\u3000\uff49\uff53\u3000\uff4d\uff59\u3000\uff4f\uff52\uff44\uff45\uff52\uff1f",
    "\u0637\u0644\u0628\u064a \u0631\u0642\u0645 \u0661\u0662\u0663\u0664\u061f",
    "O\u00f9 est ma commande ? \u00ab vite \u00bb",
    "\u00bfD\u00f3nde est\u00e1 mi pedido?",
    "free shipping over $50 (USD) \u2014 today only!!",
    "emoji \U0001f600! then \U0001f44d\U0001f3fd.",
)


@pytest.mark.parametrize("prompt", _SAMPLES)
def test_normalize_matches_the_per_character_form(prompt: str) -> None:
    assert normalize(prompt) == _reference_normalize(prompt)


def test_normalize_matches_the_per_character_form_on_random_text() -> None:
    import random

    rng = random.Random(20261128)
    for _ in range(5000):
        prompt = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 40)))
        assert normalize(prompt) == _reference_normalize(prompt), repr(prompt)
        ascii_prompt = "".join(rng.choice(_ASCII) for _ in range(rng.randint(0, 40)))
        assert normalize(ascii_prompt) == _reference_normalize(ascii_prompt), repr(ascii_prompt)


def test_normalize_matches_the_per_character_form_on_every_punctuation_and_symbol() -> None:
    import sys
    import unicodedata

    chars = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c))[0] in "PS"]
    for char in chars:
        for prompt in (char, f"a{char}b", f"1{char}", f"{char}x", f"a {char} b"):
            assert normalize(prompt) == _reference_normalize(prompt), repr(prompt)
