"""Money as integer nano-USD: the only place USD amounts are converted.

Why nano and not micro: token prices are fractions of a micro-dollar ($0.20 per million tokens is 0.2 micro-USD a
token) and the smallest amount we must add up exactly is $0.0000001 (0.1 micro-USD). An integer count of 1e-9 USD
holds both exactly, fits DynamoDB's 38-digit numbers many times over, and keeps every sum exact.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, Decimal, InvalidOperation

NANOS_PER_USD = 1_000_000_000
_QUANTUM = Decimal(1).scaleb(-9)


class MoneyError(ValueError):
    """An amount that is not a finite, representable USD value."""


def _to_decimal(value: Decimal | int | str | float) -> Decimal:
    if isinstance(value, bool):
        raise MoneyError("a USD amount must be a number, not a boolean")
    if isinstance(value, float):
        # repr() is the shortest string that round-trips, so 0.0000123 stays 0.0000123; no float arithmetic here.
        if not math.isfinite(value):
            raise MoneyError(f"a USD amount must be finite, got {value!r}")
        value = repr(value)
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise MoneyError(f"not a USD amount: {value!r}") from exc
    if not amount.is_finite():
        raise MoneyError(f"a USD amount must be finite, got {value!r}")
    return amount


def usd_to_nanos(value: Decimal | int | str | float, *, exact: bool = True) -> int:
    """Convert USD to nano-USD.

    exact=True (caps, configured amounts) refuses precision finer than a nano-dollar instead of rounding it away;
    exact=False (a provider's reported cost) rounds up, so a charge is never recorded below what was billed.
    """
    amount = _to_decimal(value)
    nanos = amount.scaleb(9)
    whole = nanos.to_integral_value(rounding=ROUND_CEILING)
    if exact and whole != nanos:
        raise MoneyError(f"{value!r} USD is finer than a nano-dollar (1e-9 USD)")
    return int(whole)


def nanos_to_usd(nanos: int) -> Decimal:
    """Exact USD value of an amount in nano-USD (a Decimal with 9 places)."""
    return (Decimal(nanos) * _QUANTUM).quantize(_QUANTUM)


def token_cost_nanos(tokens: int, usd_per_million: Decimal) -> int:
    """Cost of `tokens` at a per-million-token price, rounded up to the next nano-USD."""
    if tokens < 0:
        raise MoneyError(f"token count must not be negative, got {tokens}")
    # USD per million tokens * 1e9 nanos/USD / 1e6 tokens = nanos per token * 1000.
    exact = Decimal(tokens) * usd_per_million * 1000
    return int(exact.to_integral_value(rounding=ROUND_CEILING))
