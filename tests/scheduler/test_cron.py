"""Crontab schedules mean what they mean in cron, whatever APScheduler numbers its weekdays from.

Every case asks the trigger when it fires next, from a fixed moment: Wednesday 1 January 2025,
12:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.cron import cron_trigger

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)  # a Wednesday
ALL_DAYS = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}


def fire_times(expression: str, days: int = 14, timezone: str = "UTC") -> list[datetime]:
    """Every fire time of ``expression`` in the ``days`` after NOW."""
    trigger = cron_trigger(expression, timezone)
    end = NOW + timedelta(days=days)
    times: list[datetime] = []
    previous = None
    now = NOW
    while True:
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None or fire > end:
            return times
        times.append(fire)
        previous, now = fire, fire + timedelta(seconds=1)


def weekdays(expression: str) -> set[str]:
    return {fire.strftime("%a") for fire in fire_times(expression)}


def test_zero_is_sunday_not_monday() -> None:
    first = cron_trigger("0 2 * * 0").get_next_fire_time(None, NOW)
    assert first == datetime(2025, 1, 5, 2, 0, tzinfo=UTC)
    assert first.strftime("%A") == "Sunday"


@pytest.mark.parametrize(
    ("weekday_field", "expected"),
    [
        pytest.param("0", {"Sun"}, id="0-is-sunday"),
        pytest.param("7", {"Sun"}, id="7-is-sunday-too"),
        pytest.param("1", {"Mon"}, id="1-is-monday"),
        pytest.param("6", {"Sat"}, id="6-is-saturday"),
        pytest.param("1-5", {"Mon", "Tue", "Wed", "Thu", "Fri"}, id="1-5-is-mon-to-fri"),
        pytest.param("*/2", {"Sun", "Tue", "Thu", "Sat"}, id="every-second-day-from-sunday"),
        pytest.param("1-5/2", {"Mon", "Wed", "Fri"}, id="range-with-step"),
        pytest.param("5-7", {"Fri", "Sat", "Sun"}, id="range-ending-on-7"),
        pytest.param("0-7", ALL_DAYS, id="0-7-is-every-day"),
        pytest.param("6,0", {"Sat", "Sun"}, id="list-weekend"),
        pytest.param("1,3-4", {"Mon", "Wed", "Thu"}, id="list-with-range"),
        pytest.param("*", ALL_DAYS, id="star"),
        pytest.param("mon", {"Mon"}, id="name"),
        pytest.param("SUN", {"Sun"}, id="name-upper-case"),
        pytest.param("sat,sun", {"Sat", "Sun"}, id="names-list"),
        pytest.param("mon-fri", {"Mon", "Tue", "Wed", "Thu", "Fri"}, id="names-range"),
        pytest.param("mon-fri/2", {"Mon", "Wed", "Fri"}, id="names-range-with-step"),
        pytest.param("mon,5", {"Mon", "Fri"}, id="name-and-number-mixed"),
    ],
)
def test_weekday_field_keeps_crontab_meaning(weekday_field: str, expected: set[str]) -> None:
    assert weekdays(f"0 2 * * {weekday_field}") == expected


def test_minute_hour_day_and_month_fields_are_passed_through() -> None:
    times = fire_times("15,45 */6 * * *", days=1)
    assert [t.strftime("%H:%M") for t in times[:4]] == ["12:15", "12:45", "18:15", "18:45"]
    first_of_month = fire_times("0 3 1 * *", days=62)
    assert first_of_month == [
        datetime(2025, 2, 1, 3, 0, tzinfo=UTC),
        datetime(2025, 3, 1, 3, 0, tzinfo=UTC),
    ]
    assert fire_times("0 3 1 7 *", days=365) == [datetime(2025, 7, 1, 3, 0, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("expression", "count"),
    [
        pytest.param("0 2 * *", 4, id="four-fields"),
        pytest.param("0 0 2 * * * 2025", 7, id="seven-fields-with-year"),
        pytest.param("", 0, id="empty"),
    ],
)
def test_five_fields_are_required_or_six_with_seconds(expression: str, count: int) -> None:
    with pytest.raises(ValueError, match=rf"expected 5 fields .*, got {count}$"):
        cron_trigger(expression)


@pytest.mark.parametrize(
    ("expression", "first"),
    [
        pytest.param("@yearly", datetime(2026, 1, 1, 0, 0, tzinfo=UTC), id="yearly"),
        pytest.param("@annually", datetime(2026, 1, 1, 0, 0, tzinfo=UTC), id="annually"),
        pytest.param("@monthly", datetime(2025, 2, 1, 0, 0, tzinfo=UTC), id="monthly"),
        pytest.param("@weekly", datetime(2025, 1, 5, 0, 0, tzinfo=UTC), id="weekly-on-sunday"),
        pytest.param("@daily", datetime(2025, 1, 2, 0, 0, tzinfo=UTC), id="daily"),
        pytest.param("@midnight", datetime(2025, 1, 2, 0, 0, tzinfo=UTC), id="midnight"),
        pytest.param(
            "@hourly", datetime(2025, 1, 1, 12, 0, tzinfo=UTC), id="hourly-now-is-on-the-hour"
        ),
        pytest.param(" @Daily ", datetime(2025, 1, 2, 0, 0, tzinfo=UTC), id="case-and-spaces"),
    ],
)
def test_crontab_shorthands_fire_as_in_cron(expression: str, first: datetime) -> None:
    assert cron_trigger(expression).get_next_fire_time(None, NOW) == first


def test_shorthands_keep_firing_on_their_period() -> None:
    assert [t.day for t in fire_times("@daily", days=3)] == [2, 3, 4]
    assert {t.strftime("%a %H:%M") for t in fire_times("@weekly", days=21)} == {"Sun 00:00"}
    hourly = fire_times("@hourly", days=1)
    assert {t.minute for t in hourly} == {0}
    assert len(hourly) == 25  # 12:00 today to 12:00 tomorrow, both ends included


def test_a_shorthand_is_read_in_the_service_time_zone() -> None:
    # 12:00 UTC is 19:00 in Hanoi: the next local midnight is 17:00 UTC.
    first = cron_trigger("@daily", "Asia/Ho_Chi_Minh").get_next_fire_time(None, NOW)
    assert first is not None
    assert first.astimezone(UTC) == datetime(2025, 1, 1, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        pytest.param("@reboot", r"^@reboot is not supported: moocx serve runs feeds", id="reboot"),
        pytest.param("@dialy", r"^unknown shorthand @dialy \(did you mean @daily\?\)", id="typo"),
        pytest.param("@often", r"crontab knows @yearly, @annually, @monthly", id="unknown"),
    ],
)
def test_shorthands_crontab_lacks_or_serve_cannot_honour_are_refused(
    expression: str, reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        cron_trigger(expression)


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        pytest.param("60 * * * *", r"'60'.*higher than the maximum value \(59\)", id="minute-60"),
        pytest.param("0 25 * * *", r"'25'.*higher than the maximum value \(23\)", id="hour-25"),
        pytest.param("0 0 32 * *", r"'32'.*higher than the maximum value \(31\)", id="day-32"),
        pytest.param("0 0 0 * *", r"'0'.*lower than the minimum value \(1\)", id="day-0"),
        pytest.param("0 0 * 13 *", r"'13'.*higher than the maximum value \(12\)", id="month-13"),
        pytest.param("0 0 * * 8", r"days run 0-7, where 0 and 7 are Sunday", id="weekday-8"),
        pytest.param("0 0 * * 1-9", r"days run 0-7", id="weekday-range-past-7"),
        pytest.param("0 0 * * -1", r"weekday field '-1': use days 0-7", id="weekday-negative"),
        pytest.param("0 0 * * 5-1", r"weekday range '5-1' runs backwards", id="backwards"),
        pytest.param("0 0 * * fri-mon", r"'fri-mon' runs backwards", id="names-backwards"),
        pytest.param("0 0 * * */0", r"'\*/0': the step must be 1 or more", id="step-0"),
        pytest.param("0 0 * * 1/2", r"'1/2': a step needs a range", id="step-without-range"),
        pytest.param("0 0 * * funday", r"'funday': use days 0-7 .* or sun-sat", id="not-a-day"),
        pytest.param("0 0 * * sunday", r"or sun-sat", id="long-day-name"),
        pytest.param("0 0 * * 1,,2", r"use days 0-7", id="empty-list-item"),
    ],
)
def test_out_of_range_values_are_rejected_with_the_reason(expression: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        cron_trigger(expression)


def test_day_of_month_and_weekday_together_are_refused() -> None:
    # crontab runs "0 0 1 * 1" on every 1st AND every Monday; APScheduler would run it only on
    # Mondays that fall on a 1st. Refusing is better than silently firing on other days.
    with pytest.raises(ValueError, match=r"day-of-month '1' and day-of-week '1' are both set"):
        cron_trigger("0 0 1 * 1")


def test_day_of_month_with_a_star_step_combines_with_weekday() -> None:
    # A field starting with * leaves crontab's "either" rule out: both must match, as here.
    times = fire_times("0 0 */2 * 1", days=40)
    assert times
    assert all(t.strftime("%a") == "Mon" and t.day % 2 == 1 for t in times)


def test_time_zone_is_honoured() -> None:
    first = cron_trigger("0 8 * * *", "Asia/Ho_Chi_Minh").get_next_fire_time(None, NOW)
    assert first is not None
    assert first.astimezone(UTC) == datetime(2025, 1, 2, 1, 0, tzinfo=UTC)
    assert first.utcoffset() == timedelta(hours=7)


def test_time_zone_object_is_accepted() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    first = cron_trigger("30 6 * * *", zone).get_next_fire_time(None, NOW)
    assert first is not None
    assert first.astimezone(UTC) == datetime(2025, 1, 1, 22, 30, tzinfo=UTC)  # 06:30 on the 2nd


def test_weekday_is_the_weekday_in_the_schedules_time_zone() -> None:
    # Monday 01:00 in Hanoi is still Sunday evening in UTC.
    first = cron_trigger("0 1 * * 1", "Asia/Ho_Chi_Minh").get_next_fire_time(None, NOW)
    assert first is not None
    assert first.strftime("%a %H:%M") == "Mon 01:00"
    assert first.astimezone(UTC) == datetime(2025, 1, 5, 18, 0, tzinfo=UTC)
    assert first.astimezone(UTC).strftime("%a") == "Sun"


def test_daylight_saving_time_moves_the_utc_hour_not_the_local_one() -> None:
    trigger = cron_trigger("0 8 * * *", "Europe/Berlin")
    winter = trigger.get_next_fire_time(None, datetime(2025, 1, 15, tzinfo=UTC))
    summer = trigger.get_next_fire_time(None, datetime(2025, 7, 15, tzinfo=UTC))
    assert winter is not None and summer is not None
    assert winter.astimezone(UTC).hour == 7
    assert summer.astimezone(UTC).hour == 6


def test_utc_is_the_default_time_zone() -> None:
    first = cron_trigger("0 8 * * *").get_next_fire_time(None, NOW)
    assert first == datetime(2025, 1, 2, 8, 0, tzinfo=UTC)


def test_six_fields_put_seconds_first() -> None:
    trigger = cron_trigger("*/10 * * * * *")
    now = datetime(2025, 1, 1, 0, 0, 1, tzinfo=UTC)
    first = trigger.get_next_fire_time(None, now)
    assert first == datetime(2025, 1, 1, 0, 0, 10, tzinfo=UTC)
    assert trigger.get_next_fire_time(first, first) == datetime(2025, 1, 1, 0, 0, 20, tzinfo=UTC)
    # Five fields fire on the minute, as crontab does.
    assert cron_trigger("* * * * *").get_next_fire_time(None, now) == datetime(
        2025, 1, 1, 0, 1, tzinfo=UTC
    )
