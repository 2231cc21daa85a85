from pathlib import Path

import pytest

from spendrail.cache.rules import (
    GUARDS,
    PRIVACY_RULES,
    day_words_differ,
    emails_differ,
    exact_key,
    guard_reason,
    identifiers_differ,
    negation_differs,
    normalize,
    numbers_differ,
    personal_data,
)

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


# Guards


@pytest.mark.parametrize(
    ("new", "cached", "miss"),
    [
        ("Where is order 1234?", "Where is order 1233?", True),
        ("Can I buy 3,000 units?", "Can I buy 3000 units?", False),  # thousands separator
        ("Is it 12.50 dollars?", "Is it 12.5 dollars?", False),
        ("Ship 3 shirts and 5 hats", "Ship 5 hats and 3 shirts", False),  # a multiset, not a sequence
        ("Ship 3 shirts and 3 hats", "Ship 3 shirts and hats", True),  # counts matter
        ("Can I return two items?", "Can I return one item?", True),  # spelled-out counts
        ("Can I return 2 items?", "Can I return two items?", False),
        ("How do I track my order?", "How can I track my order?", False),
    ],
)
def test_numbers_guard(new: str, cached: str, miss: bool) -> None:
    assert (numbers_differ(new, cached) == "numbers_differ") is miss


@pytest.mark.parametrize(
    ("new", "cached", "miss"),
    [
        ("Is SKU-1 in stock?", "Is SKU-2 in stock?", True),
        ("Do you deliver to 94107?", "Do you deliver to 94110?", True),
        ("Deliver to 94107-1234?", "Deliver to 94107?", True),  # ZIP+4
        ("Where is 1Z999AA10123456784?", "Where is 1Z999AA10123456785?", True),
        ("Status of #1234?", "Status of #1235?", True),
        ("Is AB-123 in stock?", "is ab123 in stock", False),  # case and separators do not matter
        ("Is sku-9981 back?", "Is SKU-9981 back?", False),
        ("Where is order 1234?", "Where is order 1233?", False),  # 4 bare digits: the numbers guard's job
        ("Do you sell t-shirts?", "Do you sell tshirts?", False),  # no digits, no id
    ],
)
def test_identifiers_guard(new: str, cached: str, miss: bool) -> None:
    assert (identifiers_differ(new, cached) == "identifiers_differ") is miss


@pytest.mark.parametrize(
    ("new", "cached", "miss"),
    [
        ("Update jane@example.com", "Update john@example.com", True),
        ("Update jane@example.com", "Update the email", True),
        ("Update Jane@Example.com", "update jane@example.com", False),
        ("Update my email", "Change my email", False),
    ],
)
def test_emails_guard(new: str, cached: str, miss: bool) -> None:
    assert (emails_differ(new, cached) == "emails_differ") is miss


@pytest.mark.parametrize(
    ("new", "cached", "miss"),
    [
        ("can I return opened items", "can I not return opened items", True),
        ("I can't return it", "I cannot return it", False),
        ("I can\u2019t return it", "I can not return it", False),  # typographic apostrophe
        ("I dont want it", "I don't want it", False),
        ("I don't want it", "I do want it", True),
        ("Is shipping free without a code?", "Is shipping free with a code?", True),
        ("I never got it", "I did not get it", True),  # different markers: a multiset of words
        ("not not", "not", True),  # counted, not just present
        ("What is order no. 55555?", "What is order number 55555?", False),  # "no." abbreviates "number"
    ],
)
def test_negation_guard(new: str, cached: str, miss: bool) -> None:
    assert (negation_differs(new, cached) == "negation_differs") is miss


@pytest.mark.parametrize(
    ("new", "cached", "miss"),
    [
        ("Will it arrive today?", "Will it arrive tomorrow?", True),
        ("Open on Sunday?", "Open on Monday?", True),
        ("Will it arrive today?", "Will it arrive TODAY?", False),
        ("When will it arrive?", "When does it arrive?", False),
    ],
)
def test_day_words_guard(new: str, cached: str, miss: bool) -> None:
    assert (day_words_differ(new, cached) == "day_words_differ") is miss


@pytest.mark.parametrize(
    ("new", "cached", "reason"),
    [
        ("Where is order 1234?", "Where is order 1233?", "numbers_differ"),
        ("Is SKU-1 in stock?", "Is SKU-2 in stock?", "numbers_differ"),  # first in GUARDS order
        ("Is SKU-A in stock?", "Is SKU-A1 in stock?", "numbers_differ"),
        ("Is ab-cd1 in stock?", "Is cd-ab1 in stock?", "identifiers_differ"),
        ("Mail a@x.com", "Mail b@x.com", "emails_differ"),
        ("can I return opened items", "can I not return opened items", "negation_differs"),
        ("Ship today?", "Ship tomorrow?", "day_words_differ"),
        ("How do I track my package?", "Where can I see my parcel's tracking?", None),
        ("What is your return policy?", "How do returns work?", None),
        ("I can't return it", "I cannot return it", None),
    ],
)
def test_guard_reason_runs_every_guard_in_order(new: str, cached: str, reason: str | None) -> None:
    assert guard_reason(new, cached) == reason
    assert guard_reason(cached, new) == reason  # symmetric


def test_guards_are_named_after_their_reason() -> None:
    names = [name for name, _, _ in GUARDS]
    assert len(set(names)) == len(names)
    for name, guard, description in GUARDS:
        assert guard.__name__ == name
        assert description


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
    for kind, _, _ in PRIVACY_RULES:
        assert f"`{kind}`" in doc
