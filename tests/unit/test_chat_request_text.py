"""The prompt's control-character rule: exactly Unicode's Cc characters but tab, line feed and carriage return."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from pydantic import ValidationError

from spendrail.api.models import ChatRequest


def valid(prompt: str) -> bool:
    try:
        ChatRequest.model_validate({"prompt": prompt, "customerId": "c-1"})
    except ValidationError:
        return False
    return True


def test_every_control_character_but_line_breaks_and_tabs_is_refused() -> None:
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if unicodedata.category(char) == "Cc":
            assert valid(f"hello {char} there") == (char in "\n\r\t"), hex(code)


@pytest.mark.parametrize("char", ["\u00a0", "\u200b", "\u2028", "\ufeff", "\u00ad", "\U0001f600"])
def test_other_invisible_or_format_characters_are_not_control_characters(char: str) -> None:
    assert valid(f"hello {char} there")
