"""The review schedule's rules (``bot.services.schedule``): local weeks on both sides of
midnight, daylight-saving changes both ways, quiet hours, skipped, holiday and paused weeks,
the follow-up, the grace window, typed times and dates; and random schedules checked for the
properties every answer must have."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest

from bot.services.schedule import (
    Quiet,
    ReviewSchedule,
    follow_up,
    iso_week,
    next_due,
    occurrence,
    out_of_quiet,
    parse_day,
    parse_hhmm,
    week_of_due,
    week_start,
    within_grace,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")
PAGO_PAGO = ZoneInfo("Pacific/Pago_Pago")
KOLKATA = ZoneInfo("Asia/Kolkata")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
MOSCOW = ZoneInfo("Europe/Moscow")
NO_QUIET = Quiet(time(0, 0), time(0, 0))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local(moment: datetime, zone: ZoneInfo) -> tuple[int, ...]:
    """The wall clock of ``moment`` in ``zone``: (year, month, day, hour, minute)."""
    return tuple(moment.astimezone(zone).timetuple())[:5]


# --- quiet hours --------------------------------------------------------------------------------


def test_quiet_wraps_midnight() -> None:
    quiet = Quiet()
    assert quiet.contains(time(21, 0))
    assert quiet.contains(time(23, 59))
    assert quiet.contains(time(0, 0))
    assert quiet.contains(time(8, 59))
    assert not quiet.contains(time(9, 0))
    assert not quiet.contains(time(20, 59))


def test_quiet_within_a_day_and_none() -> None:
    lunch = Quiet(time(12, 0), time(14, 0))
    assert lunch.contains(time(12, 0))
    assert not lunch.contains(time(14, 0))
    assert not lunch.contains(time(11, 59))
    assert not NO_QUIET.contains(time(3, 0))


def test_out_of_quiet_evening_waits_for_next_morning() -> None:
    moment = datetime(2026, 12, 3, 22, 30, tzinfo=BERLIN)
    assert local(out_of_quiet(moment, BERLIN, Quiet()), BERLIN) == (2026, 12, 4, 9, 0)


def test_out_of_quiet_early_morning_waits_same_day() -> None:
    moment = datetime(2026, 12, 3, 6, 0, tzinfo=BERLIN)
    assert local(out_of_quiet(moment, BERLIN, Quiet()), BERLIN) == (2026, 12, 3, 9, 0)


def test_out_of_quiet_leaves_free_time_alone() -> None:
    moment = datetime(2026, 12, 3, 16, 0, tzinfo=BERLIN)
    assert out_of_quiet(moment, BERLIN, Quiet()) == moment
    assert out_of_quiet(moment, BERLIN, Quiet()).tzinfo is UTC


# --- weeks are the member's local weeks --------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "zone", "week"),
    [
        (utc(2026, 12, 6, 12, 0), KIRITIMATI, "2026-W50"),  # Sunday in UTC, Monday 02:00 local
        (utc(2026, 12, 7, 10, 0), PAGO_PAGO, "2026-W49"),  # Monday in UTC, Sunday 23:00 local
        (utc(2026, 12, 6, 18, 30), KOLKATA, "2026-W50"),  # 00:00 Monday local
        (utc(2026, 12, 6, 18, 29), KOLKATA, "2026-W49"),
        (utc(2026, 12, 6, 18, 15), KATHMANDU, "2026-W50"),
        (utc(2026, 12, 6, 18, 14), KATHMANDU, "2026-W49"),
        (utc(2027, 1, 1, 12, 0), BERLIN, "2026-W53"),
        (utc(2027, 1, 3, 22, 59), BERLIN, "2026-W53"),
        (utc(2027, 1, 3, 23, 0), BERLIN, "2027-W01"),
        (utc(2027, 1, 3, 10, 0), KIRITIMATI, "2027-W01"),
        (utc(2026, 12, 28, 10, 0), PAGO_PAGO, "2026-W52"),
    ],
)
def test_iso_week_is_local(moment: datetime, zone: ZoneInfo, week: str) -> None:
    assert iso_week(moment, zone) == week


def test_week_start_is_local_monday_midnight() -> None:
    assert week_start("2026-W50", BERLIN) == utc(2026, 12, 6, 23, 0)
    assert week_start("2026-W50", KIRITIMATI) == utc(2026, 12, 6, 10, 0)
    assert week_start("2026-W50", PAGO_PAGO) == utc(2026, 12, 7, 11, 0)
    assert week_start("2026-W53", KATHMANDU) == utc(2026, 12, 27, 18, 15)
    assert week_start("2026-W53", KATHMANDU).tzinfo is UTC


def test_bad_week_is_refused() -> None:
    with pytest.raises(ValueError, match="ISO week"):
        week_start("2026-49", BERLIN)
    with pytest.raises(ValueError, match="week"):
        week_start("2025-W53", BERLIN)  # 2025 has 52 weeks


def test_bad_weekday_is_refused() -> None:
    with pytest.raises(ValueError, match="weekday"):
        ReviewSchedule(weekday=7, at=time(16, 0), zone=BERLIN)


# --- occurrences across daylight saving --------------------------------------------------------


def test_friday_afternoon_in_winter_and_summer() -> None:
    friday = ReviewSchedule(weekday=4, at=time(16, 0), zone=BERLIN)
    assert occurrence(friday, "2026-W50") == utc(2026, 12, 11, 15, 0)
    assert occurrence(friday, "2026-W28") == utc(2026, 7, 10, 14, 0)


def test_spring_forward_gap_goes_out_at_the_end_of_the_gap() -> None:
    # Berlin 2026-03-29 (Sunday): 02:00 -> 03:00
    schedule = ReviewSchedule(weekday=6, at=time(2, 30), zone=BERLIN, quiet=NO_QUIET)
    moment = occurrence(schedule, "2026-W13")
    assert moment == utc(2026, 3, 29, 1, 0)
    assert local(moment, BERLIN) == (2026, 3, 29, 3, 0)
    # New York 2026-03-08 (Sunday)
    schedule = ReviewSchedule(weekday=6, at=time(2, 30), zone=NEW_YORK, quiet=NO_QUIET)
    assert local(occurrence(schedule, "2026-W10"), NEW_YORK) == (2026, 3, 8, 3, 0)
    assert occurrence(schedule, "2026-W10") == utc(2026, 3, 8, 7, 0)


def test_fall_back_repeated_hour_goes_out_once_at_the_first() -> None:
    # Berlin 2026-10-25 (Sunday): 03:00 CEST -> 02:00 CET, 02:30 happens twice
    schedule = ReviewSchedule(weekday=6, at=time(2, 30), zone=BERLIN, quiet=NO_QUIET)
    first = occurrence(schedule, "2026-W43")
    assert first == utc(2026, 10, 25, 0, 30)
    due, week = next_due(schedule, first - timedelta(minutes=1))
    assert (due, week) == (first, "2026-W43")
    later, week2 = next_due(schedule, first)
    assert week2 == "2026-W44"
    assert later == utc(2026, 11, 1, 1, 30)
    # New York 2026-11-01 (Sunday): 01:30 twice
    ny = ReviewSchedule(weekday=6, at=time(1, 30), zone=NEW_YORK, quiet=NO_QUIET)
    assert occurrence(ny, "2026-W44") == utc(2026, 11, 1, 5, 30)
    assert next_due(ny, utc(2026, 11, 1, 5, 30))[1] == "2026-W45"


def test_same_wall_time_either_side_of_a_change() -> None:
    schedule = ReviewSchedule(weekday=4, at=time(16, 0), zone=NEW_YORK)
    assert occurrence(schedule, "2026-W10") == utc(2026, 3, 6, 21, 0)  # EST
    assert occurrence(schedule, "2026-W11") == utc(2026, 3, 13, 20, 0)  # EDT
    assert occurrence(schedule, "2026-W44") == utc(2026, 10, 30, 20, 0)
    assert occurrence(schedule, "2026-W45") == utc(2026, 11, 6, 21, 0)


def test_quiet_end_on_a_change_day() -> None:
    schedule = ReviewSchedule(weekday=6, at=time(7, 0), zone=BERLIN)
    assert local(occurrence(schedule, "2026-W13"), BERLIN) == (2026, 3, 29, 9, 0)
    assert local(occurrence(schedule, "2026-W43"), BERLIN) == (2026, 10, 25, 9, 0)


# --- quiet hours and the week a reminder belongs to --------------------------------------------


def test_sunday_night_reminder_moves_into_monday_but_keeps_its_week() -> None:
    schedule = ReviewSchedule(weekday=6, at=time(22, 0), zone=MOSCOW)
    due, week = next_due(schedule, utc(2026, 12, 10, 0, 0))
    assert local(due, MOSCOW) == (2026, 12, 14, 9, 0)
    assert week == "2026-W50"
    assert iso_week(due, MOSCOW) == "2026-W51"
    assert week_of_due(due, MOSCOW, schedule=schedule) == "2026-W50"
    assert week_of_due(due, MOSCOW) == "2026-W51"  # without the schedule: the local week
    # the next one is the following week's, not this one again
    assert next_due(schedule, due) == (utc(2026, 12, 21, 6, 0), "2026-W51")


def test_carried_reminder_found_from_inside_the_next_week() -> None:
    schedule = ReviewSchedule(weekday=6, at=time(22, 0), zone=MOSCOW)
    # Monday 08:00 local: last week's reminder is still ahead, at 09:00
    assert next_due(schedule, utc(2026, 12, 14, 5, 0)) == (utc(2026, 12, 14, 6, 0), "2026-W50")


def test_year_boundary_week_53() -> None:
    schedule = ReviewSchedule(weekday=4, at=time(16, 0), zone=KIRITIMATI)
    due, week = next_due(schedule, utc(2026, 12, 28, 0, 0))
    assert week == "2026-W53"
    assert local(due, KIRITIMATI) == (2027, 1, 1, 16, 0)
    assert next_due(schedule, due)[1] == "2027-W01"


def test_week_of_due_on_both_sides_of_midnight() -> None:
    assert week_of_due(utc(2026, 12, 6, 12, 0), KIRITIMATI) == "2026-W50"
    assert week_of_due(utc(2026, 12, 7, 10, 0), PAGO_PAGO) == "2026-W49"


# --- next_due ---------------------------------------------------------------------------------

FRIDAY = ReviewSchedule(weekday=4, at=time(16, 0), zone=MOSCOW)  # 13:00 UTC


def test_next_due_later_this_week() -> None:
    assert next_due(FRIDAY, utc(2026, 12, 2, 21, 0)) == (utc(2026, 12, 4, 13, 0), "2026-W49")


def test_next_due_is_strictly_after() -> None:
    assert next_due(FRIDAY, utc(2026, 12, 4, 13, 0)) == (utc(2026, 12, 11, 13, 0), "2026-W50")
    just_before = utc(2026, 12, 4, 12, 59, 59)
    assert next_due(FRIDAY, just_before) == (utc(2026, 12, 4, 13, 0), "2026-W49")


def test_next_due_skips_the_skipped_week() -> None:
    schedule = ReviewSchedule(weekday=4, at=time(16, 0), zone=MOSCOW, skip_week="2026-W49")
    assert next_due(schedule, utc(2026, 12, 2, 21, 0))[1] == "2026-W50"


def test_next_due_skips_holidays_in_a_row() -> None:
    holidays = frozenset({"2026-W52", "2026-W53", "2027-W01"})
    schedule = ReviewSchedule(weekday=4, at=time(16, 0), zone=MOSCOW, holidays=holidays)
    assert next_due(schedule, utc(2026, 12, 19, 0, 0)) == (utc(2027, 1, 15, 13, 0), "2027-W02")


def test_next_due_skips_skip_and_holiday_together() -> None:
    schedule = ReviewSchedule(
        weekday=4,
        at=time(16, 0),
        zone=MOSCOW,
        skip_week="2026-W50",
        holidays=frozenset({"2026-W49", "2026-W51"}),
    )
    assert next_due(schedule, utc(2026, 12, 2, 21, 0))[1] == "2026-W52"


def test_pause_until_a_date() -> None:
    paused = ReviewSchedule(weekday=4, at=time(16, 0), zone=MOSCOW, paused_until=date(2026, 12, 18))
    assert next_due(paused, utc(2026, 12, 2, 21, 0))[1] == "2026-W51"  # Friday 18th: not before
    paused = ReviewSchedule(weekday=4, at=time(16, 0), zone=MOSCOW, paused_until=date(2026, 12, 19))
    assert next_due(paused, utc(2026, 12, 2, 21, 0))[1] == "2026-W52"


def test_long_pause_jumps_ahead() -> None:
    paused = ReviewSchedule(weekday=0, at=time(10, 0), zone=MOSCOW, paused_until=date(2030, 6, 5))
    due, week = next_due(paused, utc(2026, 12, 2, 21, 0))
    assert week == "2030-W24"
    assert local(due, MOSCOW) == (2030, 6, 10, 10, 0)


def test_pause_in_the_past_changes_nothing() -> None:
    paused = ReviewSchedule(weekday=4, at=time(16, 0), zone=MOSCOW, paused_until=date(2026, 1, 1))
    assert next_due(paused, utc(2026, 12, 2, 21, 0))[1] == "2026-W49"


def test_schedule_moved_to_a_day_already_passed_gives_next_week() -> None:
    monday = ReviewSchedule(weekday=0, at=time(16, 0), zone=MOSCOW)
    wednesday = utc(2026, 12, 2, 10, 0)
    assert next_due(monday, wednesday) == (utc(2026, 12, 7, 13, 0), "2026-W50")


def test_schedule_moved_later_in_a_week_already_reminded() -> None:
    friday_later = ReviewSchedule(weekday=4, at=time(16, 0), zone=MOSCOW)
    wednesday = utc(2026, 12, 2, 10, 0)
    assert next_due(friday_later, wednesday)[1] == "2026-W49"
    assert next_due(friday_later, wednesday, last_week="2026-W49")[1] == "2026-W50"


# --- the follow-up ----------------------------------------------------------------------------


def test_follow_up_next_working_morning() -> None:
    wednesday = ReviewSchedule(weekday=2, at=time(16, 0), zone=MOSCOW)
    due = occurrence(wednesday, "2026-W49")
    assert local(follow_up(wednesday, due) or due, MOSCOW) == (2026, 12, 3, 9, 0)


def test_no_follow_up_into_the_next_week() -> None:
    assert follow_up(FRIDAY, occurrence(FRIDAY, "2026-W49")) is None
    saturday = ReviewSchedule(weekday=5, at=time(12, 0), zone=MOSCOW)
    assert follow_up(saturday, occurrence(saturday, "2026-W49")) is None


def test_follow_up_at_the_end_of_quiet_hours_or_nine() -> None:
    late = ReviewSchedule(
        weekday=0, at=time(16, 0), zone=KATHMANDU, quiet=Quiet(time(22), time(7, 30))
    )
    due = occurrence(late, "2026-W49")
    assert local(follow_up(late, due) or due, KATHMANDU) == (2026, 12, 1, 7, 30)
    none = ReviewSchedule(weekday=0, at=time(16, 0), zone=KATHMANDU, quiet=NO_QUIET)
    assert local(follow_up(none, due) or due, KATHMANDU) == (2026, 12, 1, 9, 0)


def test_no_follow_up_for_a_reminder_carried_into_the_next_week() -> None:
    sunday = ReviewSchedule(weekday=6, at=time(22, 0), zone=MOSCOW)
    due, week = next_due(sunday, utc(2026, 12, 10, 0, 0))
    assert follow_up(sunday, due, week=week) is None


# --- grace after downtime ----------------------------------------------------------------------


def test_within_grace() -> None:
    due = utc(2026, 12, 4, 13, 0)
    grace = timedelta(hours=12)
    assert within_grace(due, due, grace)
    assert within_grace(due, due + grace, grace)
    assert not within_grace(due, due + grace + timedelta(seconds=1), grace)
    assert not within_grace(due, due - timedelta(seconds=1), grace)


# --- typed input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("16:00", time(16, 0)),
        ("9:30", time(9, 30)),
        ("9", time(9, 0)),
        ("16.00", time(16, 0)),
        (" 07:05 ", time(7, 5)),
        ("0", time(0, 0)),
        ("23:59", time(23, 59)),
    ],
)
def test_parse_hhmm(text: str, expected: time) -> None:
    assert parse_hhmm(text) == expected


@pytest.mark.parametrize(
    "text", ["", "24:00", "12:60", "9:5", "abc", "16:00:00", "-1", "１６:００", "16 00", "1600"]
)
def test_parse_hhmm_garbage(text: str) -> None:
    assert parse_hhmm(text) is None


TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-24", date(2026, 12, 24)),
        ("24.12.2026", date(2026, 12, 24)),
        ("24.12.26", date(2026, 12, 24)),
        ("24.12", date(2026, 12, 24)),
        ("2.12", date(2026, 12, 2)),  # today itself
        ("1.12", date(2027, 12, 1)),  # passed this year
        ("15.01", date(2027, 1, 15)),
        ("29.02", date(2028, 2, 29)),
    ],
)
def test_parse_day(text: str, expected: date) -> None:
    assert parse_day(text, TODAY) == expected


@pytest.mark.parametrize("text", ["", "31.02", "2026-13-01", "32.01.2026", "tomorrow", "24/12"])
def test_parse_day_garbage(text: str) -> None:
    assert parse_day(text, TODAY) is None


# --- properties over random schedules ----------------------------------------------------------

ZONES = [ZoneInfo(name) for name in sorted(available_timezones()) if "/" in name]


def _random_schedule(rng: random.Random) -> ReviewSchedule:
    zone = rng.choice(ZONES)
    start = time(rng.randrange(24), rng.choice((0, 15, 30, 45)))
    end = time(rng.randrange(24), rng.choice((0, 15, 30, 45)))
    base = rng.randrange(2000, 2040)
    weeks = {f"{base + rng.randrange(2)}-W{rng.randrange(1, 53):02d}" for _ in range(8)}
    return ReviewSchedule(
        weekday=rng.randrange(7),
        at=time(rng.randrange(24), rng.randrange(60)),
        zone=zone,
        quiet=rng.choice((Quiet(), Quiet(start, end), NO_QUIET)),
        skip_week=rng.choice(sorted(weeks)),
        holidays=frozenset(weeks),
        paused_until=rng.choice((None, date(base, 1, 1) + timedelta(days=rng.randrange(700)))),
    )


def test_next_due_properties_over_random_schedules() -> None:
    rng = random.Random(20261202)
    for _ in range(3000):
        schedule = _random_schedule(rng)
        after = utc(2000, 1, 1) + timedelta(seconds=rng.randrange(40 * 365 * 86400))
        due, week = next_due(schedule, after)
        assert due > after
        assert due.tzinfo is UTC
        assert not schedule.quiet.contains(due.astimezone(schedule.zone).time()), schedule
        assert week != schedule.skip_week
        assert week not in schedule.holidays
        assert occurrence(schedule, week) == due
        if schedule.paused_until is not None:
            assert due.astimezone(schedule.zone).date() >= schedule.paused_until
        due2, week2 = next_due(schedule, due)
        assert week2 > week
        assert due2 > due
