"""The text folding every cache rule starts from: compatibility forms, one apostrophe, ASCII digits, no case."""

from __future__ import annotations

import unicodedata
from typing import Final

# NFKC leaves typographic apostrophes (U+2018, U+2019, U+02BC) alone; chat clients send them as often as ASCII ones.
_APOSTROPHES: Final = str.maketrans(dict.fromkeys("\u2018\u2019\u02bc", "'"))


def _ascii_digits(text: str) -> str:
    # NFKC keeps e.g. Arabic-Indic digits as they are; "١٢٣٤" and "1234" are the same order number.
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in text)


def fold(text: str) -> str:
    """The common ground of every rule: compatibility forms, one apostrophe, ASCII digits, no case."""
    return _ascii_digits(unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold())
