from datetime import UTC, datetime

import pytest

from spendrail.windows import WindowKeys, seconds_to_day_reset, seconds_to_month_reset, window_keys


@pytest.mark.parametrize(
    ("utc", "zone", "day", "month"),
    [
        # Honolulu is UTC-10: 09:59 UTC on Dec 1 is still Nov 30 there; 10:00 UTC is its midnight.
        (datetime(2026, 12, 1, 9, 59, 59, tzinfo=UTC), "Pacific/Honolulu", "2026-11-30", "2026-11"),
        (datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC), "Pacific/Honolulu", "2026-12-01", "2026-12"),
        # Kiritimati is UTC+14: 10:00 UTC on Nov 30 is already Dec 1 there.
        (datetime(2026, 11, 30, 9, 59, 59, tzinfo=UTC), "Pacific/Kiritimati", "2026-11-30", "2026-11"),
        (datetime(2026, 11, 30, 10, 0, 0, tzinfo=UTC), "Pacific/Kiritimati", "2026-12-01", "2026-12"),
        # Leap day and the year end.
        (datetime(2028, 2, 29, 23, 59, tzinfo=UTC), "UTC", "2028-02-29", "2028-02"),
        (datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC), "UTC", "2026-12-31", "2026-12"),
        (datetime(2027, 1, 1, 0, 0, tzinfo=UTC), "UTC", "2027-01-01", "2027-01"),
    ],
)
def test_windows_follow_the_tenants_local_calendar(utc: datetime, zone: str, day: str, month: str) -> None:
    assert window_keys(utc, zone) == WindowKeys(day, month)


def test_window_keys_only_move_forward() -> None:
    assert WindowKeys("2026-11-30", "2026-11").later(WindowKeys("2026-12-01", "2026-12")) == WindowKeys(
        "2026-12-01", "2026-12"
    )


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        window_keys(datetime(2026, 1, 1), "UTC")  # noqa: DTZ001


def test_seconds_to_reset_count_to_local_midnight() -> None:
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 23:00 Nov 29 in Honolulu, 23:00 Nov 30 in Kiritimati
    assert seconds_to_day_reset(now, "Pacific/Honolulu") == 3600
    assert seconds_to_day_reset(now, "Pacific/Kiritimati") == 3600
    assert seconds_to_month_reset(now, "Pacific/Kiritimati") == 3600
    assert seconds_to_month_reset(now, "Pacific/Honolulu") == 3600 + 86_400


def test_month_reset_over_the_year_end_and_leap_february() -> None:
    assert seconds_to_month_reset(datetime(2026, 12, 31, 23, 0, tzinfo=UTC), "UTC") == 3600
    assert seconds_to_month_reset(datetime(2028, 2, 28, 0, 0, tzinfo=UTC), "UTC") == 2 * 86_400


def test_reset_is_never_zero_seconds_away() -> None:
    assert seconds_to_day_reset(datetime(2026, 11, 28, 23, 59, 59, 999_000, tzinfo=UTC), "UTC") == 1
