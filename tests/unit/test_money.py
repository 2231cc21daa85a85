from decimal import Decimal

import pytest

from spendrail.money import MoneyError, nanos_to_usd, token_cost_nanos, usd_to_nanos


def test_a_million_tiny_charges_add_up_exactly() -> None:
    # Given a charge of $0.0000001 (a tenth of a micro-dollar)
    charge = usd_to_nanos("0.0000001")
    # When a million of them are added
    total = sum(charge for _ in range(1_000_000))
    # Then the total is exactly $0.1
    assert nanos_to_usd(total) == Decimal("0.1")


@pytest.mark.parametrize(
    ("usd", "nanos"),
    [
        ("10", 10_000_000_000),
        ("0.000000001", 1),
        (Decimal("123.456789012"), 123_456_789_012),
        (0, 0),
        ("1e-9", 1),
    ],
)
def test_exact_usd_amounts_convert_without_loss(usd: object, nanos: int) -> None:
    assert usd_to_nanos(usd) == nanos  # type: ignore[arg-type]
    assert usd_to_nanos(nanos_to_usd(nanos)) == nanos


def test_a_huge_amount_stays_exact() -> None:
    assert usd_to_nanos("999999999999.999999999") == 999_999_999_999_999_999_999


def test_configured_amounts_finer_than_a_nano_dollar_are_refused_not_rounded() -> None:
    with pytest.raises(MoneyError, match="finer than a nano-dollar"):
        usd_to_nanos("0.0000000001")


def test_provider_costs_round_up_so_a_charge_is_never_recorded_low() -> None:
    assert usd_to_nanos("0.0000000001", exact=False) == 1
    assert usd_to_nanos(0.0000123, exact=False) == 12_300


@pytest.mark.parametrize("bad", ["NaN", "inf", float("nan"), float("inf"), "ten dollars", True, None])
def test_non_numbers_are_not_money(bad: object) -> None:
    with pytest.raises(MoneyError):
        usd_to_nanos(bad)  # type: ignore[arg-type]


def test_token_cost_rounds_each_call_up_to_a_nano_dollar() -> None:
    # $0.20 per million tokens is 200 nano-USD a token; $0.0375 per million is 37.5, rounded up per call.
    assert token_cost_nanos(1_000, Decimal("0.20")) == 200_000
    assert token_cost_nanos(1, Decimal("0.0375")) == 38
    assert token_cost_nanos(0, Decimal("15")) == 0
    with pytest.raises(MoneyError):
        token_cost_nanos(-1, Decimal("1"))
