"""Guards: the differences that make a similar cached question a miss whatever its cosine score.

A cosine score cannot tell "free shipping over $50" from "under $50", "in stock" from "out of stock" or "Canada to
the US" from "the US to Canada". Each guard names one kind of difference; `guard_reason` runs them all and returns
the first that applies. Reasons are the guards' names: fixed strings without prompt content, safe to log and to use
as a metric dimension. Every guard is symmetric and errs towards a miss (a wrong miss costs one LLM call, a wrong hit
serves a wrong answer), but follows meaning where a word list alone would block a paraphrase: "can't log in" and
"unable to log in" both carry one negation, "thirty days" and "30-day" the same number.

Cost: each question is folded, tokenized and read once (`features`, memoized per text), so comparing it with each
candidate compares small sets; the word lists (`lexicon.py`) are compiled at import into tables keyed by a phrase's
first word or first two words, and only the words that can start a phrase are looked at.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from spendrail.cache import lexicon as lx
from spendrail.cache.text import fold

Guard = Callable[[str, str], str | None]

# ---------------------------------------------------------------------------------------------------------------
# Tokens: words (contractions split: "can't" -> "can not", "women's" -> "women") and numbers ("3,000", "12.50").

_SCAN: Final = re.compile(
    r"[^\W\d_]+(?:'[^\W\d_]+)*|[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?"
)
_NT_HEADS: Final = {"ca": "can", "wo": "will", "sha": "shall", "ai": "is"}
_CLITICS: Final = frozenset({"s", "re", "ll", "ve", "d", "m"})
# Chat spellings without the apostrophe; "cant" and "wont" are rare as nouns in a shop's support chat.
_BARE_HEADS: Final = {"cannot": "can", "cant": "can", "wont": "will", "aint": "is"}  # else "didnt" -> "did"
_BARE_NOT: Final = {
    word: (_BARE_HEADS.get(word, word[:-2]), "not")
    for word in (
        "cannot", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "cant", "couldnt", "shouldnt",
        "wouldnt", "wont", "havent", "hasnt", "hadnt", "aint", "mustnt", "neednt",
    )
}  # fmt: skip


def _word(word: str) -> tuple[str, ...]:
    if "'" in word:
        if word.endswith("n't"):
            head = word[:-3]
            return (_NT_HEADS.get(head, head), "not")
        head, _, tail = word.rpartition("'")
        return (head.replace("'", ""),) if tail in _CLITICS else (word.replace("'", ""),)
    return _BARE_NOT.get(word) or (word,)


def _reference_tokens(folded: str) -> list[str]:
    """What `_tokens` returns, the slow and obvious way (the tests compare the two)."""
    tokens: list[str] = []
    for word in _SCAN.findall(folded):
        tokens += _word(word) if "'" in word or word in _BARE_NOT else (word,)
    return tokens


# The same tokens, faster on long texts (Python's regex engine is slow on Unicode classes, so the work is done by
# str methods): contractions resolved, ASCII punctuation made spaces (dots and commas too unless a decimal number
# needs them), one split; only chunks that are no plain word (digits, other punctuation) go through `_SCAN`.
_DECIMAL: Final = re.compile(r"[0-9][.,][0-9]")
_SPACES: Final = str.maketrans(dict.fromkeys((chr(c) for c in range(128) if not chr(c).isalnum()), " "))
_SPACES_KEEP_DECIMALS: Final = str.maketrans(
    dict.fromkeys((chr(c) for c in range(128) if not chr(c).isalnum() and chr(c) not in ".,"), " ")
)


def _letter(ch: str) -> bool:
    return ch.isalnum() and not ch.isdecimal()  # `[^\W\d_]`


def _uncontracted(text: str) -> str:
    """Every word with an apostrophe inside ("can't", "women's") replaced by its tokens ("can not", "women")."""
    pieces: list[str] = []
    done, n = 0, len(text)
    at = text.find("'")
    while at != -1:
        if 0 < at < n - 1 and _letter(text[at - 1]) and _letter(text[at + 1]):
            start = at - 1
            while start > done and _letter(text[start - 1]):
                start -= 1
            end = at + 1
            while end < n and (_letter(text[end]) or (text[end] == "'" and end + 1 < n and _letter(text[end + 1]))):
                end += 1
            pieces += (text[done:start], " ".join(_word(text[start:end])))
            done = end
            at = text.find("'", end)
        else:
            at = text.find("'", at + 1)
    return "".join((*pieces, text[done:]))


def _tokens(folded: str) -> list[str]:
    text = _uncontracted(folded) if "'" in folded else folded
    chunks = text.translate(_SPACES_KEEP_DECIMALS if _DECIMAL.search(text) else _SPACES).split()
    if not "".join(chunks).isalpha():  # digits, decimals or non-ASCII punctuation: those chunks the slow way
        chunks = [token for chunk in chunks for token in ((chunk,) if chunk.isalpha() else _SCAN.findall(chunk))]
    if not _BARE_NOT.keys().isdisjoint(chunks):  # "dont", "cannot"
        chunks = [token for chunk in chunks for token in _BARE_NOT.get(chunk, (chunk,))]
    return chunks


# ---------------------------------------------------------------------------------------------------------------
# The lexicon compiled into one table: first word -> entries, longest phrase first, contextual entries first.


Meaning = tuple[str, str, str]  # kind ("list", "relation", "negation", "duration", "none"), category or class, value


@dataclass(frozen=True, slots=True)
class _Entry:
    words: tuple[str, ...]
    meanings: tuple[Meaning, ...]  # a phrase may mean several things: "cheaper" is a price and the aspect asked
    checks: tuple[tuple[str, tuple[str, ...]], ...]  # the context it needs, parsed: (check, its words); see _holds
    tail: list[str]  # the words after the first two, to compare with a slice of the tokens


_Table = dict[str, tuple[_Entry, ...]]
_PairTable = dict[tuple[str, str], tuple[_Entry, ...]]


def _compile() -> tuple[_Table, _PairTable, dict[str, tuple[str, str]]]:
    """One-word entries by their word, longer ones by their first two words (longest first), and symbols."""
    meanings: dict[tuple[tuple[str, ...], str], list[Meaning]] = {}  # (words, condition) -> meanings, in order
    symbols: dict[str, tuple[str, str]] = {}  # "$" -> ("currency", "usd"), "%" -> ("unit", "percent")

    def add(phrase: str, kind: str, group: str, value: str, condition: str = "") -> None:
        words = tuple(_tokens(fold(phrase)))
        if not words:
            if phrase:
                symbols[phrase] = (group, value)
            return
        known = meanings.setdefault((words, condition), [])
        if (kind, group, value) not in known:  # "Discover" is a card network and a credit card
            known.append((kind, group, value))

    for phrase, kind, group, value, condition in lx.CONDITIONAL:
        add(phrase, kind, group, value, condition)
    for phrase in lx.NEUTRAL:
        add(phrase, "none", "", "")
    for relation, values in lx.RELATIONS.items():
        for value, synonyms in values.items():
            for phrase in synonyms.split("|"):
                add(phrase, "relation", relation, value)
    for category, values in lx.LISTS.items():
        for value, synonyms in values.items():
            for phrase in (value, *synonyms.split("|")):
                add(phrase, "list", category, value)
    for phrase in lx.NEGATIONS:  # "order no. 55555": "no" before a number abbreviates "number"
        add(phrase, "negation", "", "", "not_number_after" if phrase == "no" else "")
    single: dict[str, list[_Entry]] = {}
    pairs: dict[tuple[str, str], list[_Entry]] = {}
    for (words, condition), found in meanings.items():
        entry = _Entry(words, tuple(found), _parsed(condition), list(words[2:]))
        if len(words) == 1:
            single.setdefault(words[0], []).append(entry)
        else:
            pairs.setdefault((words[0], words[1]), []).append(entry)
    longest_first = {pair: tuple(sorted(found, key=lambda e: -len(e.words))) for pair, found in pairs.items()}
    return {word: tuple(found) for word, found in single.items()}, longest_first, symbols


def _parsed(condition: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """ "after:how&before_any:is,are" -> (("after", ("how",)), ("before_any", ("is", "are")))"""
    checks = []
    for part in filter(None, condition.split("&")):
        name, _, words = part.partition(":")
        checks.append((name, tuple(words.replace(",", " ").split())))
    return tuple(checks)


_SINGLE, _PAIRS, _SYMBOLS = _compile()
_NUMBER_WORDS: Final = frozenset(
    {*lx.NUMBER_UNITS, *lx.NUMBER_TENS, *lx.NUMBER_SCALES, *lx.ORDINALS, *lx.SOFT_ORDINALS}
)
_SPELLED: Final = frozenset(
    {
        *lx.NUMBER_UNITS, *lx.NUMBER_TENS, *lx.NUMBER_SCALES, *lx.ORDINALS, *lx.SOFT_NUMBERS, *lx.SOFT_ORDINALS,
        *lx.COUNT_WORDS,
    }
)  # fmt: skip
_FROM_TO: Final = frozenset({"from", "to", "into"})
_KNOWN: Final = frozenset(_SINGLE) | {first for first, _ in _PAIRS} | _SPELLED | _FROM_TO | lx.PERIOD_UNITS
_AMOUNT_WORDS: Final = frozenset({"a", "an", "few", "couple", "several", "many"})
_PRICED: Final = frozenset({"dollars", "dollar", "bucks", "euros", "euro", "pounds", "times", "once", "twice"})
_SIZE_GLUE: Final = frozenset({"a", "an", "and", "or", "to", "the", "between", "vs", "versus", "from"})
_SIZE_LETTERS: Final = frozenset({"xxs", "xs", "s", "m", "l", "xl", "xxl", "xxxl", "small", "medium", "large"})
_UNIT_FILLERS: Final = frozenset({"business", "working", "calendar", "work", "more", "extra", "additional", "full"})
_TIME_STARTS: Final = frozenset(
    {
        e.words[0]
        for entries in (*_SINGLE.values(), *_PAIRS.values())
        for e in entries
        for m in e.meanings
        if m[1] == "time"
    }
    | {"end", "next", "this", "then", "now", "close", "midday", "noon", "midnight", "tomorrow", "tonight"}
)
_VARIANT_WORDS: Final = frozenset(lx.VARIANTS) | {"plus", "max", "air", "se", "slim", "sport", "classic"}
_DETERMINERS: Final = frozenset(
    {"the", "a", "an", "my", "your", "our", "their", "his", "her", "its", "this", "that", "these", "those", "some",
     "any"}
)  # fmt: skip
_TO: Final = frozenset({"to", "into", "towards", "toward", "for", "than", "in"})
# "order from Canada" says where the shopper is, not where the parcel leaves from
_BUY_VERBS: Final = frozenset(
    {"order", "ordering", "ordered", "buy", "buying", "bought", "shop", "shopping", "purchase"}
)
# Words that are never the name part of a model number ("for 30", "size 10" are no models; "zx 500" is)
_FUNCTION_WORDS: Final = frozenset(
    {
        *_TO, "from", "of", "at", "on", "by", "with", "over", "under", "about", "around", "up", "or", "and", "is",
        "are", "be", "was", "were", "within", "after", "before", "only", "just", "it", "i", "you", "we", "me", "us",
        "them", "than", "the", "a", "an", "my", "your", "our", "their", "this", "that", "these", "those", "some",
        "any", "per", "each", "every", "last", "next", "first", "almost", "nearly", "least", "most", "below",
        "above", "between", "get", "got", "have", "has", "had", "buy", "order", "pay", "costs", "cost",
        "spend", "spent", "take", "takes", "size", "sizes", "ages", "age", "like", "if", "do", "does", "did",
    }
)  # fmt: skip
# Closed-list mentions that take part in roles: "Canada to the US" / "the US to Canada".
_ROLE_CATEGORIES: Final = frozenset(
    {"place", "payment", "size", "colour", "material", "audience", "variant", "carrier", "variety", "time"}
)
_ROLE_RELATIONS: Final = frozenset({"frequency", "speed", "product"})
_UPPER_US: Final = re.compile(r"\bUS\b")
_UN_NOT_NEGATION: Final = tuple(lx.UN_NOT_NEGATION)


def _is_number(token: str) -> bool:
    return token[0].isdigit() or token in _NUMBER_WORDS


def _canonical_number(raw: str) -> str:
    # Leading zeros stay (they matter in ids); "12.50" and "12.5" are the same amount.
    number = raw.replace(",", "")
    return number.rstrip("0").rstrip(".") if "." in number else number


def _negative_word(word: str) -> bool:
    """Prefix negations outside the lists: "unworn", "unopened", "nonrefundable" (not "under", "unlock")."""
    if word.startswith("un"):
        return len(word) >= 5 and not word.startswith(_UN_NOT_NEGATION)
    return word.startswith("non") and len(word) >= 6 and word not in lx.NON_NOT_NEGATION


# ---------------------------------------------------------------------------------------------------------------
# Features: what the guards compare, read once per question


@dataclass(frozen=True, slots=True, eq=False)
class Features:
    numbers: Counter[str]  # counts that must be matched: "30", "thirty", "30th", "one item"
    loose: Counter[str]  # numbers plus uncertain ones that may match them: "first", "this one", "a week"
    identifiers: frozenset[str]
    loose_identifiers: frozenset[str]  # identifiers plus a word and the number after it: "zx 500" may be ZX-500
    emails: frozenset[str]
    negations: int
    lists: dict[str, frozenset[str]]  # category -> canonical values
    relations: dict[str, frozenset[str]]  # class -> values
    roles: dict[str, frozenset[str]]  # what -> "src" / "dst"
    bindings: frozenset[tuple[str, str]]  # (thing, the noun after it): ("place:us", "card")
    content: tuple[str, ...]  # the content words, sorted (see `_arrangement`)
    tokens: tuple[str, ...]


# Words of letters/digits, joined by "-" or "_" ("sku-9981"), with an optional leading "#" ("#1234").
_TOKEN: Final = re.compile(r"#?[^\W_]+(?:[-_][^\W_]+)*")
_EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ZIP: Final = re.compile(r"[0-9]{5}(?:-[0-9]{4})?")
_LETTER: Final = re.compile(r"[^\W\d_]")
_DIGIT: Final = re.compile(r"[0-9]")
# A number and a unit or word are no identifier: "2-day", "3-pack", "30days", "5kg", "3xl", "21st".
_MEASURE: Final = re.compile(r"([0-9]+(?:\.[0-9]+)?)([-_]?)([^\W\d_]+)")


def _identifier(token: str) -> str | None:
    """The canonical id a token stands for, if it is one: mixes letters and digits ("ab123", "sku-9981"), is a
    "#" number ("#1234") or a ZIP / ZIP+4 ("94107", "94107-1234"). Separators go: "AB-123" is "AB123"."""
    bare = token.removeprefix("#")
    measure = _MEASURE.fullmatch(bare)
    if measure is not None and (measure[3] in lx.NUMBER_SUFFIXES or (measure[2] and len(measure[3]) >= 3)):
        return None
    compact = bare.replace("-", "").replace("_", "")
    mixed = bool(_LETTER.search(compact)) and bool(_DIGIT.search(compact))
    hashed = token.startswith("#") and compact.isdecimal()
    return compact if mixed or hashed or _ZIP.fullmatch(bare) else None


_ID_MARK: Final = re.compile(r"[0-9#]")


def identifiers_of(folded: str) -> frozenset[str]:
    if _ID_MARK.search(folded) is None:  # every id has a digit
        return frozenset()
    rest = " ".join(chunk for chunk in folded.split() if not chunk.isalpha())
    return frozenset(
        ident for token in _TOKEN.findall(rest) if not token.isalpha() and (ident := _identifier(token)) is not None
    )


def emails_of(folded: str) -> frozenset[str]:
    return frozenset(_EMAIL.findall(folded)) if "@" in folded else frozenset()


class _Reader:
    """One left-to-right pass over a question's tokens: the longest lexicon phrase at each word, else a number, a
    prefix negation or nothing."""

    def __init__(self, tokens: list[str], upper_us: bool) -> None:
        self.tokens = tokens
        self.upper_us = upper_us
        self.numbers: Counter[str] = Counter()
        self.soft: Counter[str] = Counter()
        self.negations = 0
        self.lists: dict[str, set[str]] = {}
        self.relations: dict[str, set[str]] = {}
        self.mentions: list[tuple[int, int, str, str]] = []  # start, end, category, value
        self.last_mention_end = -1
        self.directions: list[int] = []  # where "from", "to" and "into" are
        self.glued: set[str] = set()  # a word and the number after it, written together: "zx 500" -> "zx500"
        self.last_number: tuple[int, str] | None = None  # where the last counted number ends, and its key

    def read(self) -> None:
        tokens = self.tokens
        # Only words the lexicon knows, numbers (t < ":") and "un-"/"non-" words can mean anything; each distinct
        # word is judged once, and only the positions of those that can are visited.
        distinct = set(tokens)
        wanted = (distinct & _KNOWN) | {t for t in distinct - _KNOWN if t < ":" or t.startswith(("un", "non"))}
        seen = [i for i, t in enumerate(tokens) if t in wanted]
        i = 0  # the first token not yet consumed by a phrase
        for start in seen:
            word = tokens[start]
            if word in _FROM_TO:
                self.directions.append(start)
            elif word in lx.PERIOD_UNITS:
                self._period(start)
            if start < i:
                continue
            if (end := self._phrase(start)) > start:
                i = end
            elif word < ":":
                i = self._digits(start)
            elif word in _SPELLED:
                i = self._spelled(start)
            else:
                if _negative_word(word):
                    self.negations += 1
                i = start + 1

    def _phrase(self, i: int) -> int:
        """Where the longest lexicon phrase starting at token i ends (emitting what it means), or i if none does."""
        tokens = self.tokens
        if i + 1 < len(tokens) and (longer := _PAIRS.get((tokens[i], tokens[i + 1]))) is not None:
            for entry in longer:
                end = i + len(entry.words)
                if (
                    end <= len(tokens)
                    and (end == i + 2 or tokens[i + 2 : end] == entry.tail)
                    and (not entry.checks or self._holds(entry.checks, i, end))
                ):
                    self._emit(entry, i, end)
                    return end
        for entry in _SINGLE.get(tokens[i], ()):
            if not entry.checks or self._holds(entry.checks, i, i + 1):
                self._emit(entry, i, i + 1)
                return i + 1
        return i

    def _emit(self, entry: _Entry, i: int, end: int) -> None:
        for kind, group, value in entry.meanings:
            if kind == "list":
                self.lists.setdefault(group, set()).add(value)
                if group in _ROLE_CATEGORIES:
                    self.mentions.append((i, end, group, value))
                self.last_mention_end = end
            elif kind == "relation":
                self.relations.setdefault(group, set()).add(value)
                if group in _ROLE_RELATIONS:
                    self.mentions.append((i, end, group, value))
            elif kind == "negation":
                self.negations += 1
            elif kind == "duration":
                self._duration(value, i)

    def _duration(self, unit: str, i: int) -> None:
        """A quantity of time in days, counted with the numbers ("2 weeks" = "14 days" = "fourteen days"), or the
        unit alone when no number says how many ("a few weeks")."""
        tokens = self.tokens
        j = i - 1
        if j > 0 and tokens[j] in _UNIT_FILLERS:  # "3 business days"
            j -= 1
        if self.last_number is not None and self.last_number[0] == j + 1:
            key = self.last_number[1]
            self.numbers[key] -= 1
            if self.numbers[key] <= 0:
                del self.numbers[key]
            self.numbers[_days(float(key) * lx.DAYS_PER[unit])] += 1
            self.last_number = None
        elif tokens[j] in {"a", "an"} and j > 0 and (_is_number(tokens[j - 1]) or tokens[j - 1] in _PRICED):
            self.relations.setdefault("frequency", set()).add(lx.FREQUENCY_OF[unit])  # "$25 a month", "twice a week"
        elif tokens[j] in {"a", "an"}:  # "a week": 7 days, maybe ("within a month" is about 30 days)
            self.soft[_days(lx.DAYS_PER[unit])] += 1
            self.relations.setdefault("span", set()).add(unit)
        else:
            self.lists.setdefault("unit", set()).add(unit)

    def _holds(self, checks: tuple[tuple[str, tuple[str, ...]], ...], i: int, end: int) -> bool:
        """Every check of an entry holds around tokens[i:end]."""
        return all(self._check(name, words, i, end) for name, words in checks)

    def _check(self, name: str, words: tuple[str, ...], i: int, end: int) -> bool:
        tokens = self.tokens
        before = tokens[i - 1] if i > 0 else ""
        after = tokens[end] if end < len(tokens) else ""
        if name == "after":
            return self._after(words, i)
        if name == "number_before":
            return bool(before) and _is_number(before)
        if name == "amount_before":
            return self._amount_before(i)
        if name == "not_number_before":
            return not self._amount_before(i)
        if name == "number_after":
            return any(_is_number(t) for t in tokens[end : end + 3])
        if name == "not_number_after":
            return not (after and after[0].isdigit())
        if name == "before_any":
            return after in words
        if name == "time_after":
            nxt = tokens[end + 1] if after == "the" and end + 1 < len(tokens) else after
            return bool(nxt) and (nxt[0].isdigit() or nxt in _TIME_STARTS)
        if name == "month_context":
            return before in lx.MONTH_CONTEXT or (bool(before) and before[0].isdigit()) or after[:1].isdigit()
        if name == "after_model":
            return bool(before) and (before[0].isdigit() or before in _VARIANT_WORDS)
        if name == "before_tier":
            return after in lx.TIER_NOUNS
        if name == "size_context":
            return before == "size" or after in {"size", "sizes"} or self._near_size(i, end)
        if name == "us_context":
            return before == "the" or self.upper_us or after in lx.US_CONTEXT
        raise AssertionError(name)

    def _amount_before(self, i: int) -> bool:
        tokens = self.tokens
        j = i - 1
        if j > 0 and tokens[j] in _UNIT_FILLERS:  # "3 business days", "2 more weeks"
            j -= 1
        return j >= 0 and (_is_number(tokens[j]) or tokens[j] in _AMOUNT_WORDS)

    def _near_size(self, i: int, end: int) -> bool:
        """A size letter next to another size: "between a S and a M", "S or M", "XS/S"."""
        tokens = self.tokens
        j, k = i - 1, end
        while j >= 0 and tokens[j] in _SIZE_GLUE:
            j -= 1
        while k < len(tokens) and tokens[k] in _SIZE_GLUE:
            k += 1
        left = j >= 0 and tokens[j] in _SIZE_LETTERS and (j < i - 1 or len(tokens[j]) > 1)
        right = k < len(tokens) and tokens[k] in _SIZE_LETTERS and (k > end or len(tokens[k]) > 1)
        return left or right

    def _after(self, words: tuple[str, ...], i: int) -> bool:
        """The words come just before token i, maybe with a determiner between: "in store", "in the store"."""
        tokens = self.tokens
        if i > 0 and tokens[i - 1] in _DETERMINERS and tokens[i - 1] not in words:
            i -= 1
        return i >= len(words) and tuple(tokens[i - len(words) : i]) == words

    def _period(self, i: int) -> None:
        """this/next/last before a period word: "next week", "last 30 days", "the past few days", "my last order"."""
        tokens = self.tokens
        j = i - 1
        while j >= 0 and i - j <= 3 and (tokens[j][0].isdigit() or tokens[j] in lx.PERIOD_FILLERS):
            j -= 1
        if j >= 0 and (modifier := lx.PERIOD_MODIFIERS.get(tokens[j])) is not None:
            self.relations.setdefault("period", set()).add(modifier)

    def _digits(self, i: int) -> int:
        tokens = self.tokens
        key = _canonical_number(tokens[i])
        self.numbers[key] += 1
        start = i
        if i > 0 and not tokens[i - 1][0].isdigit():
            self.glued.add(tokens[i - 1] + tokens[i])
            if tokens[i - 1] not in _FUNCTION_WORDS:  # a model number: "zx 500"
                start = i - 1
        end = i + 2 if i + 1 < len(tokens) and tokens[i + 1] in lx.ORDINAL_SUFFIXES else i + 1  # "21st"
        self.last_number = (end, key)
        name = "".join(tokens[start : i + 1])
        if end < len(tokens) and tokens[end] in _VARIANT_WORDS:  # "zx 500 pro"
            name += tokens[end]
        self.mentions.append((start, i + 1, "number", name))
        return end

    def _spelled(self, i: int) -> int:
        word = self.tokens[i]
        if word in lx.COUNT_WORDS:
            self.numbers[str(lx.COUNT_WORDS[word])] += 1
            return i + 1
        if word in lx.SOFT_NUMBERS or word in lx.SOFT_ORDINALS:
            self.soft[str(lx.SOFT_NUMBERS.get(word) or lx.SOFT_ORDINALS[word])] += 1
            return i + 1
        value, end = _spelled_number(self.tokens, i)
        if value is None:
            return i + 1
        if word == "one" and end == i + 1 and self._pronoun_one(i):
            self.soft["1"] += 1  # "this one", "a bigger one": maybe a count, maybe not
        else:
            self.numbers[str(value)] += 1
            self.last_number = (end, str(value))
        return end

    def _pronoun_one(self, i: int) -> bool:
        tokens = self.tokens
        before = tokens[i - 1] if i > 0 else ""
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        comparative = before.endswith(("er", "est")) and len(before) > 4 and before not in lx.NOT_COMPARATIVES
        return (
            before in lx.ONE_PRONOUN_AFTER
            or comparative
            or self.last_mention_end == i
            or not after  # "do I need to buy one?"
            or after in lx.ONE_PRONOUN_BEFORE
        )

    def roles(self) -> dict[str, frozenset[str]]:
        """Who goes where (see `_roles_of`), plus plain words after from / to: "refund to my card"."""
        tokens = self.tokens
        found = _roles_of(tokens, self.mentions)
        starts = {start for start, _, _, _ in self.mentions}
        for i in self.directions:
            if tokens[i] == "from" and i > 0 and tokens[i - 1] in _BUY_VERBS:
                continue
            if i == len(tokens) - 1 and i > 0:  # "where do you ship from?": the verb has the role
                found.setdefault(tokens[i - 1], set()).add("src" if tokens[i] == "from" else "dst")
                continue
            j = i + 1
            while j < len(tokens) and tokens[j] in _DETERMINERS:
                j += 1
            if j < len(tokens) and j not in starts and not tokens[j][0].isdigit():
                found.setdefault(tokens[j], set()).add("src" if tokens[i] == "from" else "dst")
        return {what: frozenset(roles) for what, roles in found.items()}

    def bindings(self) -> frozenset[tuple[str, str]]:
        """Which thing goes with which noun: "a US card on the Canadian site" binds US to card, Canada to site."""
        tokens = self.tokens
        return frozenset(
            (f"{category}:{value}", tokens[end])
            for _, end, category, value in self.mentions
            if end < len(tokens) and tokens[end].isalpha() and tokens[end] not in _FUNCTION_WORDS
        )


def _marker(tokens: list[str], start: int) -> str | None:
    """The role the words before a mention give it: "src" (from X, out of X), "dst" (to, into, for, in, than X) or
    "was" (instead of X, rather than X: what the shopper has, not what they want)."""
    j = start - 1
    while j >= 0 and tokens[j] in _DETERMINERS and start - j <= 2:
        j -= 1
    if j < 0:
        return None
    word, before = tokens[j], tokens[j - 1] if j > 0 else ""
    if word == "from":
        return None if before in _BUY_VERBS else "src"
    if word == "of" and before == "out":
        return "src"
    if (word == "of" and before == "instead") or (word == "than" and before == "rather"):
        return "was"
    return "dst" if word in _TO else None


def _roles_of(tokens: list[str], mentions: list[tuple[int, int, str, str]]) -> dict[str, set[str]]:
    """Roles of the mentions: their markers, and in "X to Y", "X for Y" (two things of one kind, close together,
    X unmarked) X is the source; in "X instead of Y" X is the destination."""
    marked = [(start, end, category, value, _marker(tokens, start)) for start, end, category, value in mentions]
    found: dict[str, set[str]] = {}
    for k, (_, end, category, value, role) in enumerate(marked):
        # the next mention of the same kind, if it is close: "the red shirt in blue", "the 30L for the 45L"
        following = next((m for m in marked[k + 1 :] if m[2] == category), None)
        if role is None and following is not None and following[0] - end <= 3 and following[4] in {"dst", "was"}:
            found.setdefault(f"{category}:{value}", set()).add("src" if following[4] == "dst" else "dst")
    for _, _, category, value, role in marked:
        if role is not None:
            found.setdefault(f"{category}:{value}", set()).add("src" if role == "was" else role)
    return found


Arrangement = tuple[tuple[str, ...], frozenset[str], frozenset[tuple[str, str]]]


@lru_cache(maxsize=1024)
def _arrangement(tokens: tuple[str, ...]) -> Arrangement:
    """The content words of a question (sorted), each with the preposition it hangs from ("to:uk", "from:us"; a
    word after "and"/"or" shares its neighbour's: "for men or women"), and the pairs of content words side by side
    ("us card"). Two questions with the same words differ in meaning when these differ; "ship to the UK from the
    US" and "ship from the US to the UK" do not."""
    words: list[str] = []
    attached: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    preposition = ""  # the preposition the previous content word hangs from
    previous = -2  # where the previous content word is
    head = ""  # the content word just before the previous one ("take" in "take Visa and PayPal")
    for i, token in enumerate(tokens):
        if token in lx.STOPWORDS:
            continue
        j = i - 1
        while j >= 0 and tokens[j] in _DETERMINERS:
            j -= 1
        coordinated = j >= 0 and tokens[j] in {"and", "or"} and j - 1 == previous
        if j >= 0 and tokens[j] in lx.ROLE_PREPOSITIONS:
            preposition = tokens[j]
        elif not coordinated:
            preposition = ""
        words.append(token)
        attached.add(f"{preposition}:{token}")
        if previous == i - 1:
            head = tokens[previous]
            pairs.add((head, token))
        elif coordinated and head:  # "take Visa and PayPal": take PayPal too
            pairs.add((head, token))
        else:
            head = ""
        previous = i
    return tuple(sorted(words)), frozenset(attached), frozenset(pairs)


def _days(days: float) -> str:
    return f"{days:g} days"


def _spelled_number(tokens: list[str], i: int) -> tuple[int | None, int]:
    """The number spelled from tokens[i] on ("twenty five", "a hundred", "two thousand", "thirty-first") and the
    index after it, or None when the words are no number ("a", "hundred" alone)."""
    total = current = 0
    # what the previous word was: "", "a" ("a hundred"), "unit", "tens", "scale", "and"
    last = "a" if tokens[i] in lx.NUMBER_SCALES and i > 0 and tokens[i - 1] in {"a", "an"} else ""
    j, n = i, len(tokens)
    while j < n:
        word = tokens[j]
        if word in lx.NUMBER_UNITS and last in {"", "tens", "scale", "and"}:
            if last == "tens" and lx.NUMBER_UNITS[word] >= 10:
                break
            current += lx.NUMBER_UNITS[word]
            last = "unit"
        elif word in lx.NUMBER_TENS and last in {"", "scale", "and"}:
            current += lx.NUMBER_TENS[word]
            last = "tens"
        elif word in lx.NUMBER_SCALES and last in {"a", "unit", "tens"}:
            scale = lx.NUMBER_SCALES[word]
            if scale >= 1000:
                total, current = total + max(current, 1) * scale, 0
            else:
                current = max(current, 1) * scale
            last = "scale"
        elif (word in lx.ORDINALS and last in {"", "tens", "scale", "and"}) or (
            word in lx.SOFT_ORDINALS and last in {"tens", "scale", "and"}
        ):
            return total + current + (lx.ORDINALS.get(word) or lx.SOFT_ORDINALS[word]), j + 1
        elif word == "and" and last == "scale" and j + 1 < n and tokens[j + 1] in _NUMBER_WORDS:
            last = "and"
        else:
            break
        j += 1
    if last in {"", "a", "and"}:
        return None, i + 1
    return total + current, j


@lru_cache(maxsize=8192)
def features(text: str) -> Features:
    """What the guards compare, read once per text (memoized: a cached question is read once per instance)."""
    folded = fold(text)
    reader = _Reader(_tokens(folded), "US" in text and bool(_UPPER_US.search(text)))
    reader.read()
    for symbol, (group, value) in _SYMBOLS.items():
        if symbol in folded:
            target = reader.relations if group in lx.RELATIONS else reader.lists
            target.setdefault(group, set()).add(value)
    identifiers = identifiers_of(folded)
    return Features(
        numbers=reader.numbers,
        loose=reader.numbers + reader.soft,
        identifiers=identifiers,
        loose_identifiers=identifiers | reader.glued,
        emails=emails_of(folded),
        negations=reader.negations,
        lists={category: frozenset(values) for category, values in reader.lists.items()},
        relations={relation: frozenset(values) for relation, values in reader.relations.items()},
        roles=reader.roles(),
        bindings=reader.bindings(),
        content=tuple(sorted(t for t in reader.tokens if t not in lx.STOPWORDS)),
        tokens=tuple(reader.tokens),
    )


# ---------------------------------------------------------------------------------------------------------------
# Comparisons

_NONE: Final[frozenset[str]] = frozenset()
Compare = Callable[[Features, Features], bool]


def _numbers(a: Features, b: Features) -> bool:
    if a.numbers == b.numbers:
        return False
    return bool(a.numbers - b.loose) or bool(b.numbers - a.loose)


def _listed(category: str) -> Compare:
    def compare(a: Features, b: Features) -> bool:
        return a.lists.get(category, _NONE) != b.lists.get(category, _NONE)

    return compare


def _incomparable(mine: frozenset[str], theirs: frozenset[str]) -> bool:
    """Both name some, and neither names all the other does: "2 weeks" / "2 days" differ, "5 kg" / "5 kg (11 lb)"
    and "in inches" / nothing do not."""
    return bool(mine) and bool(theirs) and not (mine <= theirs or theirs <= mine)


def _related(*relations: str) -> Compare:
    """Both name values of a relation and share none: "over" / "under". A question naming several ("return it
    for a refund") is not told apart from one naming some of them ("get a refund")."""

    def compare(a: Features, b: Features) -> bool:
        for relation in relations:
            mine, theirs = a.relations.get(relation), b.relations.get(relation)
            if mine and theirs and mine.isdisjoint(theirs):
                return True
        return False

    return compare


def _kinds(relation: str) -> Compare:
    """Both name kinds (of product, of property) and neither names all the other does: "headlamps with batteries"
    / "lanterns with batteries" differ though both name batteries."""

    def compare(a: Features, b: Features) -> bool:
        return _incomparable(a.relations.get(relation, _NONE), b.relations.get(relation, _NONE))

    return compare


def _contained(category: str) -> Compare:
    def compare(a: Features, b: Features) -> bool:
        return _incomparable(a.lists.get(category, _NONE), b.lists.get(category, _NONE))

    return compare


def _roles(a: Features, b: Features) -> bool:
    if (
        a.roles
        and b.roles
        and any((theirs := b.roles.get(what)) is not None and mine.isdisjoint(theirs) for what, mine in a.roles.items())
    ):
        return True
    if _swapped(a.bindings, b.bindings):
        return True
    # the same content words (rare but for swaps): only then the arrangements are worth reading
    return a.content == b.content and _rearranged(_arrangement(a.tokens), _arrangement(b.tokens))


def _rearranged(mine: Arrangement, theirs: Arrangement) -> bool:
    """The same content words, put together otherwise: one attached to another preposition, or modifying another
    word ("a US card on the Canadian site" / "a Canadian card on the US site")."""
    words, attached, pairs = mine
    if len(set(words)) < 2:
        return False
    their_attached, their_pairs = theirs[1], theirs[2]
    # the same prepositions on other words ("for cash" / "for a gift card"), or the same words paired otherwise;
    # a preposition one question has and the other not is rewording ("fit a laptop" / "a laptop fit in")
    moved = attached != their_attached and _preps(attached) == _preps(their_attached) != []
    repaired = pairs != their_pairs and _sides(pairs) == _sides(their_pairs)
    return moved or repaired


def _preps(attached: frozenset[str]) -> list[str]:
    return sorted(p for p, _, _ in (a.partition(":") for a in attached) if p)


def _sides(pairs: frozenset[tuple[str, str]]) -> tuple[list[str], list[str]]:
    return sorted(first for first, _ in pairs), sorted(second for _, second in pairs)


def _swapped(mine: frozenset[tuple[str, str]], theirs: frozenset[tuple[str, str]]) -> bool:
    """The same things and the same nouns, paired otherwise: "US card, Canadian site" / "Canadian card, US site"."""
    if mine == theirs or len(mine) < 2 or len(mine) != len(theirs):
        return False
    return {t for t, _ in mine} == {t for t, _ in theirs} and {n for _, n in mine} == {n for _, n in theirs}


_OPPOSITES: Final = tuple(
    r for r in lx.RELATIONS if r not in {"direction", "period", "span", "product", "aspect", "action"}
)
_GENERIC_ACTIONS: Final = frozenset({"use", "obtain"})  # "get a refund", "use my points to ..."


def _actions(a: Features, b: Features) -> bool:
    """What the shopper wants done differs: the specific actions (cancel, return, refund, exchange, track, ...) when
    both name one ("get a refund" / "get an exchange"), else the generic ones ("apply a code" / "get a code")."""
    mine, theirs = a.relations.get("action"), b.relations.get("action")
    if not (mine and theirs):
        return False
    specific, their_specific = mine - _GENERIC_ACTIONS, theirs - _GENERIC_ACTIONS
    if specific and their_specific:
        return specific.isdisjoint(their_specific)
    return not (specific or their_specific) and mine.isdisjoint(theirs)


_OPPOSITE_SIDES: Final = _related(*_OPPOSITES)


def _opposites(a: Features, b: Features) -> bool:
    return _OPPOSITE_SIDES(a, b) or _actions(a, b)


# name, comparison, what it means (docs/cache-rules.md lists the same)
_RULES: Final[tuple[tuple[str, Compare, str], ...]] = (
    (
        "numbers_differ",
        _numbers,
        "a number one question needs is not in the other: digits (3,000 = 3000, 12.50 = 12.5), number words "
        "(thirty, a hundred, twenty-five), ordinals (21st = twenty-first); first, second, twice, 'this one' only "
        "answer a number, never require one",
    ),
    (
        "identifiers_differ",
        lambda a, b: (
            a.identifiers != b.identifiers
            and not (a.identifiers <= b.loose_identifiers and b.identifiers <= a.loose_identifiers)
        ),
        "an id one question names is not in the other: letter+digit tokens (AB-123 = ab123 = AB 123), #numbers, "
        "ZIP and ZIP+4 codes; a number with a unit (2-day, 5kg, 3xl) is no id",
    ),
    ("emails_differ", lambda a, b: a.emails != b.emails, "the sets of email addresses differ (any case)"),
    (
        "negation_differs",
        lambda a, b: a.negations != b.negations,
        "the counts of negations differ: not, n't, never, no, none, without, unable, invalid, unavailable, "
        "non-/un- words, out of stock, sold out, missing, failed, ...",
    ),
    ("time_differs", _listed("time"), "the sets of time words differ: days, weekdays, parts of day, months, holidays"),
    ("sizes_differ", _listed("size"), "the sets of sizes differ: XS..5XL, small/medium/large, petite, king, ..."),
    ("colours_differ", _listed("colour"), "the sets of colours differ (shades: light blue is not blue)"),
    (
        "materials_differ",
        _contained("material"),
        "both name materials and neither names all the other does: cotton, leather, steel, ...",
    ),
    ("audiences_differ", _listed("audience"), "the sets of audiences differ: men, women, kids, baby, dogs, ..."),
    ("variants_differ", _listed("variant"), "the sets of model variants or tiers differ: Pro, Max, Mini, premium plan"),
    ("places_differ", _listed("place"), "the sets of places or languages differ: countries, states, cities, regions"),
    (
        "payments_differ",
        _contained("payment"),
        "both name payment methods and neither names all the other does: PayPal, gift card, store credit, ...",
    ),
    ("carriers_differ", _listed("carrier"), "the sets of carriers differ: UPS, USPS, FedEx, DHL, ..."),
    (
        "units_differ",
        _contained("unit"),
        "both name units after a number and neither names all the other does: kg/lb, GB/TB, a few days/weeks",
    ),
    (
        "varieties_differ",
        _listed("variety"),
        "the sets of varieties differ: flavours, scents, diets, skin types, forms, platforms",
    ),
    (
        "direction_differs",
        _related("direction"),
        "both name a side of a bound or date and share none: over/under, more/less than, at least/at most, "
        "before/after, within",
    ),
    (
        "period_differs",
        _related("period", "span"),
        "both name a period and share none: this/next/last week, order, month, ...; the week / the month",
    ),
    (
        "products_differ",
        _kinds("product"),
        "both name kinds of product and neither names all the other does: boots / socks, jacket / hoodie, ...",
    ),
    (
        "aspects_differ",
        _kinds("aspect"),
        "both ask about properties and neither asks all the other does: weight / price, waterproof / dustproof, ...",
    ),
    (
        "opposites_differ",
        _opposites,
        "both name one side of an opposite and share none: add/remove/change, refund/exchange, open/close, "
        "start/end, on/off, log in/out, up/downgrade, new/used, domestic/international, pickup/delivery, "
        "online/in store, express/standard, cheap/expensive/free, hot/cold, included/excluded, currencies, ...",
    ),
    (
        "roles_swapped",
        _roles,
        "the same thing is a source in one and a destination in the other: from X / to X, X to Y / Y to X, "
        "X for Y / Y for X",
    ),
)


def _named(name: str, compare: Compare) -> Guard:
    def guard(new: str, cached: str) -> str | None:
        return name if compare(features(new), features(cached)) else None

    guard.__name__ = guard.__qualname__ = name
    return guard


GUARDS: Final[tuple[tuple[str, Guard, str], ...]] = tuple(
    (name, _named(name, compare), description) for name, compare, description in _RULES
)
_BY_NAME: Final = {name: guard for name, guard, _ in GUARDS}
numbers_differ: Final = _BY_NAME["numbers_differ"]
identifiers_differ: Final = _BY_NAME["identifiers_differ"]
emails_differ: Final = _BY_NAME["emails_differ"]
negation_differs: Final = _BY_NAME["negation_differs"]
time_differs: Final = _BY_NAME["time_differs"]
sizes_differ: Final = _BY_NAME["sizes_differ"]
colours_differ: Final = _BY_NAME["colours_differ"]
materials_differ: Final = _BY_NAME["materials_differ"]
audiences_differ: Final = _BY_NAME["audiences_differ"]
variants_differ: Final = _BY_NAME["variants_differ"]
places_differ: Final = _BY_NAME["places_differ"]
payments_differ: Final = _BY_NAME["payments_differ"]
carriers_differ: Final = _BY_NAME["carriers_differ"]
units_differ: Final = _BY_NAME["units_differ"]
varieties_differ: Final = _BY_NAME["varieties_differ"]
direction_differs: Final = _BY_NAME["direction_differs"]
period_differs: Final = _BY_NAME["period_differs"]
products_differ: Final = _BY_NAME["products_differ"]
aspects_differ: Final = _BY_NAME["aspects_differ"]
opposites_differ: Final = _BY_NAME["opposites_differ"]
roles_swapped: Final = _BY_NAME["roles_swapped"]


def guard_reason(new: str, cached: str) -> str | None:
    """The first guard (in `GUARDS` order) that makes the pair a miss whatever the similarity, or None."""
    a, b = features(new), features(cached)
    return next((name for name, compare, _ in _RULES if compare(a, b)), None)


# ---------------------------------------------------------------------------------------------------------------
# Per tenant: the merchant's own products and brands

VOCABULARY_REASON: Final = "vocabulary_differs"
VOCABULARY_RULE: Final = (
    "the sets of the tenant's vocabulary terms (its products and brands) named differ; a longer term wins "
    "(ZX-500 Pro is not ZX-500), spacing and case do not matter (zx500 = ZX-500), a plural 's' is ignored"
)
_PIECE: Final = re.compile(r"[^\W\d_]+|[0-9]+")


def _pieces(text: str) -> list[str]:
    return _PIECE.findall(fold(text))


def tenant_guard(vocabulary: Iterable[str]) -> Guard:
    """`guard_reason` plus `vocabulary_differs`: a question naming one of the merchant's products or brands is only
    answered with a cached answer naming the same ones. No vocabulary: `guard_reason` itself. Built once per
    vocabulary (memoized), so asking for a tenant's guard on every request costs a lookup."""
    return _tenant_guard(tuple(vocabulary))


@lru_cache(maxsize=256)
def _tenant_guard(vocabulary: tuple[str, ...]) -> Guard:
    terms = tuple(sorted({pieces for term in vocabulary if (pieces := tuple(_pieces(term)))}))
    return _vocabulary_guard(terms) if terms else guard_reason


@lru_cache(maxsize=128)
def _vocabulary_guard(terms: tuple[tuple[str, ...], ...]) -> Guard:
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for term in sorted(terms, key=len, reverse=True):
        by_first.setdefault(term[0], []).append(term)
        by_first.setdefault(term[0] + "s", []).append(term)  # "Acmes" for a one-word term

    def same(piece: str, word: str) -> bool:
        return piece == word or piece in {word + "s", word + "es"}

    @lru_cache(maxsize=4096)
    def named(text: str) -> tuple[frozenset[str], dict[str, set[str]]]:
        """The terms a text names, and their roles ("swap the ZX-500 for the ZX-500 Pro")."""
        pieces = _pieces(text)
        mentions: list[tuple[int, int, str, str]] = []
        i = 0
        while i < len(pieces):
            for term in by_first.get(pieces[i], ()):
                end = i + len(term)
                if end <= len(pieces) and all(same(pieces[i + k], w) for k, w in enumerate(term)):
                    mentions.append((i, end, "term", " ".join(term)))
                    i = end
                    break
            else:
                i += 1
        return frozenset(value for _, _, _, value in mentions), _roles_of(pieces, mentions)

    def vocabulary_differs(new: str, cached: str) -> str | None:
        reason = guard_reason(new, cached)
        if reason is not None:
            return reason
        (mine, my_roles), (theirs, their_roles) = named(new), named(cached)
        if _incomparable(mine, theirs):
            return VOCABULARY_REASON
        swapped = any(
            (other := their_roles.get(what)) is not None and roles.isdisjoint(other) for what, roles in my_roles.items()
        )
        return VOCABULARY_REASON if swapped else None

    return vocabulary_differs
