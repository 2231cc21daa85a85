from decimal import Decimal

import pytest

from spendrail.state import BudgetState, Level, crossed, window_level

SOFT, DEGRADE = Decimal(80), Decimal(95)


@pytest.mark.parametrize(
    ("spent", "state"),
    [
        (0, BudgetState.ACTIVE),
        (799_999_999, BudgetState.ACTIVE),
        (800_000_000, BudgetState.WARNED),
        (949_999_999, BudgetState.WARNED),
        (950_000_000, BudgetState.DEGRADED),
        (999_999_999, BudgetState.DEGRADED),
        (1_000_000_000, BudgetState.STOPPED),
        (5_000_000_000, BudgetState.STOPPED),
    ],
)
def test_state_follows_settled_spend_against_the_cap(spent: int, state: BudgetState) -> None:
    assert window_level(spent, 1_000_000_000, SOFT, DEGRADE).state is state


def test_a_zero_cap_is_stopped() -> None:
    assert window_level(0, 0, SOFT, DEGRADE) is Level.STOPPED


def test_fractional_thresholds_are_exact() -> None:
    assert window_level(875, 1000, Decimal("87.5"), DEGRADE) is Level.WARNED
    assert window_level(874, 1000, Decimal("87.5"), DEGRADE) is Level.ACTIVE


def test_crossed_lists_every_threshold_passed() -> None:
    assert crossed(Level.ACTIVE, Level.STOPPED) == (Level.WARNED, Level.DEGRADED, Level.STOPPED)
    assert crossed(Level.WARNED, Level.WARNED) == ()
    assert crossed(Level.DEGRADED, Level.WARNED) == ()


def test_states_and_levels_map_both_ways() -> None:
    for state in BudgetState:
        assert state.level.state is state
