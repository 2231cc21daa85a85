"""Rules around the semantic answer cache that similarity alone cannot decide.

Three concerns:
- the exact tier: `normalize` and `exact_key` make trivially different spellings of one question share a key;
- guards (`guards.py`, word lists in `lexicon.py`): a cosine score cannot tell "Where is order 1234?" from "Where is
  order 1233?" or "free shipping over $50" from "under $50"; each guard names a difference that forces a miss
  whatever the score. `guard_reason`, `GUARDS`, `Guard` and `tenant_guard` are re-exported here;
- privacy: `personal_data` names the personal data a prompt carries, so its reply is never cached.

Every rule errs towards a miss or towards not caching: a wrong miss costs one LLM call, a wrong hit serves one
shopper's answer to another. Guard reasons are fixed strings without prompt content, so they are safe to log and to
use as a metric dimension. `GUARDS` and `PRIVACY_RULES` enumerate the rules for docs/cache-rules.md and the tests.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Callable
from typing import Final

from spendrail.cache.guards import GUARDS, Guard, emails_of, guard_reason, tenant_guard
from spendrail.cache.text import fold as _fold

__all__ = [
    "GUARDS",
    "PRIVACY_RULES",
    "Guard",
    "exact_key",
    "guard_reason",
    "normalize",
    "personal_data",
    "tenant_guard",
]

Detector = Callable[[str], bool]


# ---------------------------------------------------------------------------------------------------------------
# Exact tier


# Punctuation (Unicode categories P*) stays when it sits between two alphanumerics ("jane.doe@shop.com", "ab-123",
# "3,000", "don't") and becomes a space otherwise. One regex per set of punctuation characters a prompt holds (a
# handful, memoized): a class of exactly those, then "not after an alphanumeric, or not before one"; `[^\W_]` is
# exactly `str.isalnum`. A class of literal characters scans far faster than a Unicode-category test on each one.


@functools.lru_cache(maxsize=4096)
def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


@functools.lru_cache(maxsize=512)
def _loose(punctuation: frozenset[str]) -> re.Pattern[str]:
    chars = "".join(re.escape(char) for char in sorted(punctuation))
    return re.compile(f"[{chars}](?:(?<![^\\W_].)|(?![^\\W_]))")


_ASCII_LOOSE: Final = _loose(frozenset(chr(c) for c in range(128) if _is_punctuation(chr(c))))


@functools.lru_cache(maxsize=16)
def _folded(text: str) -> str:
    # One request reads its prompt several times (the exact key twice, each privacy rule): folded once.
    return _fold(text)


def normalize(prompt: str) -> str:
    """The exact tier's form of a prompt: NFKC, typographic apostrophes made ASCII, casefolded, non-ASCII decimal
    digits made ASCII, punctuation (Unicode categories P*) replaced by a space unless it sits between two
    alphanumerics, whitespace collapsed and stripped. Symbols (S*: "$", "+", emoji) are kept."""
    text = _folded(prompt)
    if text.isascii():  # most prompts: one fixed class, no look at which characters are there
        return " ".join(_ASCII_LOOSE.sub(" ", text).split())
    punctuation = frozenset(char for char in set(text) if _is_punctuation(char))
    return " ".join((_loose(punctuation).sub(" ", text) if punctuation else text).split())


@functools.lru_cache(maxsize=16)
def exact_key(prompt: str) -> str:
    """sha256 hex of `normalize(prompt)`: the key of the exact tier (memoized: a request asks for it twice)."""
    return hashlib.sha256(normalize(prompt).encode("utf-8")).hexdigest()


# Words of letters/digits, joined by "-" or "_" ("sku-9981"), with an optional leading "#" ("#1234").
_TOKEN: Final = re.compile(r"#?[^\W_]+(?:[-_][^\W_]+)*")
_DIGIT: Final = re.compile(r"[0-9]")


# ---------------------------------------------------------------------------------------------------------------
# Privacy: prompts whose reply must never be cached

_ORDER_WORDS: Final = frozenset(
    {"order", "orders", "ordered", "purchase", "purchases", "purchased", "invoice", "invoices", "tracking", "receipt"}
)
_ORDER_WINDOW: Final = 3  # "order 1234", "order no. 1234", "order number is 1234"
_HASH_NUMBER: Final = re.compile(r"#\s?[0-9]{4,}")
# A loose run of digits and phone separators, not glued to a word; `_looks_like_phone` decides.
_PHONE_RUN: Final = re.compile(r"(?<![\w+])\+?\s?\(?[0-9][0-9().\s-]{5,}[0-9](?!\w)")
_PHONE_DIGITS: Final = 7
_DATE_SHAPE: Final = re.compile(r"[0-9]{1,4}([-./])[0-9]{1,2}\1[0-9]{1,4}")
_AMOUNT_SHAPE: Final = re.compile(r"[0-9]+\.[0-9]{1,2}")
_NAME_INTRO: Final = re.compile(r"\b(?:my name is|my name's|i'm called|i am called)\s+([^\W\d_]+)")
# "my name is misspelled on the invoice" asks a generic question; the word after the intro is no name.
_NOT_A_NAME: Final = frozenset(
    {
        "a", "also", "an", "changed", "different", "in", "incorrect", "listed", "misspelled", "missing", "not",
        "on", "printed", "showing", "shown", "spelled", "spelt", "still", "the", "wrong",
    }
)  # fmt: skip


def _has_email(text: str) -> bool:
    return bool(emails_of(_folded(text)))


def _has_order_number(text: str) -> bool:
    folded = _folded(text)
    if not _DIGIT.search(folded):  # both shapes need a digit: most prompts end here, before tokenizing
        return False
    if _HASH_NUMBER.search(folded):
        return True
    tokens = [t.removeprefix("#") for t in _TOKEN.findall(folded)]
    return any(
        len(t) >= 4 and _DIGIT.search(t)
        for i, word in enumerate(tokens)
        if word in _ORDER_WORDS
        for t in tokens[i + 1 : i + 1 + _ORDER_WINDOW]
    )


def _looks_like_phone(run: str) -> bool:
    run = run.strip()
    digits = sum(ch.isdigit() for ch in run)
    if not _PHONE_DIGITS <= digits <= 15 or _DATE_SHAPE.fullmatch(run) or _AMOUNT_SHAPE.fullmatch(run):
        return False
    # A country code or area-code parentheses is a phone; otherwise a group of 3+ digits or a long number is, so
    # a list of sizes like "10 12 14 16" is not.
    groups = re.findall(r"[0-9]+", run)
    return run.startswith(("+", "00", "(")) or "(" in run or max(map(len, groups)) >= 3 or digits >= 10


def _has_phone(text: str) -> bool:
    if len(_DIGIT.findall(_folded(text))) < _PHONE_DIGITS:  # a phone needs 7 digits: most prompts end here
        return False
    return any(_looks_like_phone(run) for run in _PHONE_RUN.findall(_folded(text)))


def _has_name(text: str) -> bool:
    folded = _folded(text)
    if "name" not in folded and "called" not in folded:  # every intro has one of the two: most prompts end here
        return False
    return any(word not in _NOT_A_NAME for word in _NAME_INTRO.findall(folded))


PRIVACY_RULES: Final[tuple[tuple[str, Detector, str], ...]] = (
    ("email", _has_email, "an email address: jane.doe@example.com"),
    (
        "order number",
        _has_order_number,
        "#<4+ digits>, or order/ordered/purchase/invoice/tracking/receipt followed within 3 words by a 4+ character "
        "token with a digit: order no. 55555, order #A1B2C3",
    ),
    (
        "phone",
        _has_phone,
        "7 to 15 digits with spaces, dashes, dots or parentheses, optional + or 00 country code; not dates, amounts "
        "or short groups: +1 415-555-0134",
    ),
    ("name", _has_name, "'my name is X', 'my name's X', 'I'm called X' (X not a word like 'wrong'): my name is Jane"),
)


def personal_data(prompt: str) -> str | None:
    """The kind of personal data the prompt carries (first match in `PRIVACY_RULES` order), or None if none."""
    return next((kind for kind, found, _ in PRIVACY_RULES if found(prompt)), None)
