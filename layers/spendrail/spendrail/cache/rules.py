"""Rules around the semantic answer cache that similarity alone cannot decide.

One module on purpose (about 290 lines): the three concerns share the text folding, and issue 10 replaces the guards.

Three concerns:
- the exact tier: `normalize` and `exact_key` make trivially different spellings of one question share a key;
- guards: a cosine score cannot tell "Where is order 1234?" from "Where is order 1233?" or "can I return opened
  items" from "can I not return opened items"; each guard names a difference that forces a miss whatever the score;
- privacy: `personal_data` names the personal data a prompt carries, so its reply is never cached.

Every rule errs towards a miss or towards not caching: a wrong miss costs one LLM call, a wrong hit serves one
shopper's answer to another. Guard reasons are fixed strings without prompt content, so they are safe to log and to
use as a metric dimension. `GUARDS` and `PRIVACY_RULES` enumerate the rules for docs/cache-rules.md and the tests.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from typing import Final

Guard = Callable[[str, str], str | None]
Detector = Callable[[str], bool]

# NFKC leaves typographic apostrophes (U+2018, U+2019, U+02BC) alone; chat clients send them as often as ASCII ones.
_APOSTROPHES: Final = str.maketrans(dict.fromkeys("\u2018\u2019\u02bc", "'"))


def _ascii_digits(text: str) -> str:
    # NFKC keeps e.g. Arabic-Indic digits as they are; "١٢٣٤" and "1234" are the same order number.
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in text)


def _fold(text: str) -> str:
    """The common ground of every rule: compatibility forms, one apostrophe, ASCII digits, no case."""
    return _ascii_digits(unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold())


# ---------------------------------------------------------------------------------------------------------------
# Exact tier


def _is_joiner(text: str, i: int) -> bool:
    # Punctuation between two letters/digits is part of a token: "jane.doe@shop.com", "ab-123", "3,000", "don't".
    return 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()


def _unpunctuated(text: str, i: int) -> str:
    is_punctuation = unicodedata.category(text[i]).startswith("P")
    return " " if is_punctuation and not _is_joiner(text, i) else text[i]


def normalize(prompt: str) -> str:
    """The exact tier's form of a prompt: NFKC, typographic apostrophes made ASCII, casefolded, non-ASCII decimal
    digits made ASCII, punctuation (Unicode categories P*) replaced by a space unless it sits between two
    alphanumerics, whitespace collapsed and stripped. Symbols (S*: "$", "+", emoji) are kept."""
    text = _fold(prompt)
    return " ".join("".join(_unpunctuated(text, i) for i in range(len(text))).split())


def exact_key(prompt: str) -> str:
    """sha256 hex of `normalize(prompt)`: the key of the exact tier."""
    return hashlib.sha256(normalize(prompt).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------------------------
# Features the guards compare

# Thousands groups only when every group after the first has exactly three digits: "3,000" is 3000, "1,2" is 1 and 2.
_NUMBER: Final = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?")
# Small counts are often spelled out: "return two items" must not be answered with "return one item".
_NUMBER_WORDS: Final = {
    w: str(n)
    for n, w in enumerate(
        ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
    )
}
# Words of letters/digits, joined by "-" or "_" ("sku-9981"), with an optional leading "#" ("#1234").
_TOKEN: Final = re.compile(r"#?[^\W_]+(?:[-_][^\W_]+)*")
_WORD: Final = re.compile(r"[^\W_]+(?:'[^\W_]+)*")  # keeps contractions whole: "can't"
_EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ZIP: Final = re.compile(r"[0-9]{5}(?:-[0-9]{4})?")
_LETTER: Final = re.compile(r"[^\W\d_]")
_DIGIT: Final = re.compile(r"[0-9]")

_NEGATIONS: Final = frozenset(
    {"not", "no", "never", "none", "nothing", "neither", "nor", "without", "nobody", "nowhere"}
)
# Chat spellings without the apostrophe; "cant" and "wont" are rare as nouns in a shop's support chat.
_BARE_NOT: Final = frozenset(
    {
        "cannot", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "cant", "couldnt",
        "shouldnt", "wouldnt", "wont", "havent", "hasnt", "hadnt", "aint", "mustnt", "neednt",
    }
)  # fmt: skip
_DAY_WORDS: Final = frozenset(
    {
        "today", "tonight", "tomorrow", "yesterday", "weekend",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    }
)  # fmt: skip


def _canonical_number(raw: str) -> str:
    # Leading zeros stay (they matter in ids); "12.50" and "12.5" are the same amount.
    number = raw.replace(",", "")
    return number.rstrip("0").rstrip(".") if "." in number else number


def _numbers(text: str) -> Counter[str]:
    folded = _fold(text)
    found = Counter(_canonical_number(m) for m in _NUMBER.findall(folded))
    found.update(_NUMBER_WORDS[w] for w in _WORD.findall(folded) if w in _NUMBER_WORDS)
    return found


def _identifier(token: str) -> str | None:
    """The canonical id a token stands for, if it is one: mixes letters and digits ("ab123", "sku-9981"), is a
    "#" number ("#1234") or a ZIP / ZIP+4 ("94107", "94107-1234"). Separators go: "AB-123" is "AB123"."""
    bare = token.removeprefix("#")
    compact = bare.replace("-", "").replace("_", "")
    mixed = bool(_LETTER.search(compact)) and bool(_DIGIT.search(compact))
    hashed = token.startswith("#") and compact.isdecimal()
    return compact if mixed or hashed or _ZIP.fullmatch(bare) else None


def _identifiers(text: str) -> set[str]:
    return {ident for token in _TOKEN.findall(_fold(text)) if (ident := _identifier(token)) is not None}


def _emails(text: str) -> set[str]:
    return set(_EMAIL.findall(_fold(text)))


def _negation_marker(word: str, following: str) -> str | None:
    if word.endswith("n't") or word in _BARE_NOT:
        return "not"  # "can't", "cannot" and "can not" say the same thing
    if word == "no" and following[:1].isdigit():
        return None  # "order no 55555" is an abbreviation of "number"
    return word if word in _NEGATIONS else None


def _negations(text: str) -> Counter[str]:
    words = _WORD.findall(_fold(text))
    markers = (_negation_marker(w, nxt) for w, nxt in zip(words, [*words[1:], ""], strict=True))
    return Counter(m for m in markers if m is not None)


def _day_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(_fold(text)) if w in _DAY_WORDS}


# ---------------------------------------------------------------------------------------------------------------
# Guards: each returns its own name as the reason when the pair must be a miss


def _differs(reason: str, feature: Callable[[str], object], new: str, cached: str) -> str | None:
    return reason if feature(new) != feature(cached) else None


def numbers_differ(new: str, cached: str) -> str | None:
    return _differs("numbers_differ", _numbers, new, cached)


def identifiers_differ(new: str, cached: str) -> str | None:
    return _differs("identifiers_differ", _identifiers, new, cached)


def emails_differ(new: str, cached: str) -> str | None:
    return _differs("emails_differ", _emails, new, cached)


def negation_differs(new: str, cached: str) -> str | None:
    return _differs("negation_differs", _negations, new, cached)


def day_words_differ(new: str, cached: str) -> str | None:
    return _differs("day_words_differ", _day_words, new, cached)


GUARDS: Final[tuple[tuple[str, Guard, str], ...]] = (
    (
        "numbers_differ",
        numbers_differ,
        "the multisets of numbers differ (thousands separators dropped, 12.50 = 12.5, zero..twelve spelled out count)",
    ),
    (
        "identifiers_differ",
        identifiers_differ,
        "the sets of ids differ: letter+digit tokens (AB-123 = ab123), #numbers, ZIP and ZIP+4 codes; any case",
    ),
    ("emails_differ", emails_differ, "the sets of email addresses differ (any case)"),
    (
        "negation_differs",
        negation_differs,
        "the multisets of negation markers differ; n't, cannot and dont-style spellings count as 'not'",
    ),
    ("day_words_differ", day_words_differ, "the sets of day words differ: today, tonight, tomorrow, weekdays, ..."),
)


def guard_reason(new: str, cached: str) -> str | None:
    """The first guard (in `GUARDS` order) that makes the pair a miss whatever the similarity, or None."""
    return next((reason for _, guard, _ in GUARDS if (reason := guard(new, cached)) is not None), None)


# ---------------------------------------------------------------------------------------------------------------
# Privacy: prompts whose reply must never be cached

_ORDER_WORDS: Final = frozenset(
    {"order", "orders", "ordered", "purchase", "purchases", "purchased", "invoice", "invoices", "tracking", "receipt"}
)
_ORDER_WINDOW: Final = 3  # "order 1234", "order no. 1234", "order number is 1234"
_HASH_NUMBER: Final = re.compile(r"#\s?[0-9]{4,}")
# A loose run of digits and phone separators, not glued to a word; `_looks_like_phone` decides.
_PHONE_RUN: Final = re.compile(r"(?<![\w+])\+?\s?\(?[0-9][0-9().\s-]{5,}[0-9](?!\w)")
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
    return bool(_emails(text))


def _has_order_number(text: str) -> bool:
    folded = _fold(text)
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
    if not 7 <= digits <= 15 or _DATE_SHAPE.fullmatch(run) or _AMOUNT_SHAPE.fullmatch(run):
        return False
    # A country code or area-code parentheses is a phone; otherwise a group of 3+ digits or a long number is, so
    # a list of sizes like "10 12 14 16" is not.
    groups = re.findall(r"[0-9]+", run)
    return run.startswith(("+", "00", "(")) or "(" in run or max(map(len, groups)) >= 3 or digits >= 10


def _has_phone(text: str) -> bool:
    return any(_looks_like_phone(run) for run in _PHONE_RUN.findall(_fold(text)))


def _has_name(text: str) -> bool:
    return any(word not in _NOT_A_NAME for word in _NAME_INTRO.findall(_fold(text)))


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
