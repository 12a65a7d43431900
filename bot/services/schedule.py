"""The weekly self-review's schedule: when a member's reminder is due, pure rules, no I/O.

Rules:
- every local time is computed with ``zoneinfo`` in the member's zone (the caller passes one
  ``ZoneInfo``; nothing here builds one); moments in and out are aware, returned in UTC;
- a wall time that does not exist (the clock jumps forward over it) means the first valid
  moment after the gap (02:30 on the spring-forward night in Berlin is 03:00 local); a wall
  time that happens twice (the clock falls back) means the first of the two (``fold=0``);
- a week is the ISO week of the member's local date («2026-W53»: 2027-01-01 belongs to it);
- quiet hours run from ``start`` to ``end`` (wrapping midnight when start > end; equal means
  none); a reminder inside them waits for their end, and still belongs to the week it was
  scheduled for even when the wait carries it into the next ISO week: so ``next_due`` returns
  the week beside the moment, and the storage keeps that week (``week_of_due`` can only
  recover it when given the schedule);
- a week is skipped when the member skipped it, when the leads made it a holiday, or when its
  reminder falls on a local date before ``paused_until``;
- one follow-up the next working morning (Monday-Friday) at the end of the quiet hours
  (09:00 without quiet hours), unless that morning is in the next ISO week.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MORNING = time(9, 0)
_WEEK = re.compile(r"(\d{4})-W(\d{2})", re.ASCII)
_HHMM = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?", re.ASCII)
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
_DOT_DAY = re.compile(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{4}|\d{2}))?", re.ASCII)


@dataclass(frozen=True, slots=True)
class Quiet:
    """Quiet hours: nothing personal is sent from ``start`` to ``end`` local."""

    start: time = time(21, 0)
    end: time = time(9, 0)

    def contains(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True, slots=True)
class ReviewSchedule:
    weekday: int
    at: time
    zone: ZoneInfo
    quiet: Quiet = Quiet()
    paused_until: date | None = None
    skip_week: str | None = None
    holidays: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6, not {self.weekday}")


def _week_name(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(week: str) -> date:
    """The Monday of an ISO week «2026-W49»; ValueError for anything else."""
    found = _WEEK.fullmatch(week)
    if found is None:
        raise ValueError(f"not an ISO week: {week!r}")
    return date.fromisocalendar(int(found[1]), int(found[2]), 1)


def local_moment(day: date, at: time, zone: ZoneInfo, fold: int = 0) -> datetime:
    """The UTC moment of wall time ``at`` on ``day`` in ``zone`` (gap: the first valid moment
    after it; repeated hour: the first of the two unless ``fold=1``)."""
    wall = datetime.combine(day, at.replace(tzinfo=None, fold=fold))
    early = wall.replace(tzinfo=zone).astimezone(UTC)
    if early.astimezone(zone).replace(tzinfo=None) == wall:
        return early
    # in a gap: fold=0 reads it with the offset before, fold=1 with the offset after; the
    # transition lies between, and is the first moment whose wall time is past ``wall``
    lo = wall.replace(tzinfo=zone, fold=1 - fold).astimezone(UTC)
    lo, hi = min(lo, early), max(lo, early)
    second = timedelta(seconds=1)
    while hi - lo > second:
        mid = lo + (hi - lo) // 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(zone).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return hi


def iso_week(moment: datetime, zone: ZoneInfo) -> str:
    return _week_name(moment.astimezone(zone).date())


def week_start(week: str, zone: ZoneInfo) -> datetime:
    return local_moment(week_monday(week), time(0, 0), zone)


def out_of_quiet(moment: datetime, zone: ZoneInfo, quiet: Quiet) -> datetime:
    """``moment``, or the end of the quiet hours it falls in (UTC)."""
    result = moment.astimezone(UTC)
    for _ in range(3):  # a quiet end inside a clock gap can land in the next quiet hours
        local = result.astimezone(zone)
        now = local.time()
        if not quiet.contains(now):
            return result
        day = local.date()
        if quiet.start > quiet.end and now >= quiet.start:
            day += timedelta(days=1)
        end = local_moment(day, quiet.end, zone)
        if end <= result:  # the second pass of a repeated hour
            end = local_moment(day, quiet.end, zone, fold=1)
        if end <= result:
            return result
        result = end
    return result


def occurrence(schedule: ReviewSchedule, week: str) -> datetime:
    day = week_monday(week) + timedelta(days=schedule.weekday)
    base = local_moment(day, schedule.at, schedule.zone)
    return out_of_quiet(base, schedule.zone, schedule.quiet)


def week_of_due(due: datetime, zone: ZoneInfo, *, schedule: ReviewSchedule | None = None) -> str:
    """The week a reminder due at ``due`` belongs to: the local week of ``due``; with the
    schedule, the previous week when quiet hours carried its reminder to ``due``."""
    week = iso_week(due, zone)
    if schedule is not None:
        before = _week_name(week_monday(week) - timedelta(days=7))
        if occurrence(schedule, before) == due:
            return before
    return week


def _skipped(schedule: ReviewSchedule, week: str, moment: datetime) -> bool:
    if week == schedule.skip_week or week in schedule.holidays:
        return True
    until = schedule.paused_until
    return until is not None and moment.astimezone(schedule.zone).date() < until


def next_due(
    schedule: ReviewSchedule, after: datetime, *, last_week: str | None = None
) -> tuple[datetime, str]:
    """The first reminder strictly after ``after`` whose week is not skipped, not a holiday,
    not paused (nor ``last_week`` or earlier, the week already reminded): (UTC, ISO week)."""
    today = after.astimezone(schedule.zone).date()
    # quiet hours (under a day) may carry last week's reminder into Monday or early Tuesday
    monday = today - timedelta(days=today.weekday() + (7 if today.weekday() <= 1 else 0))
    if schedule.paused_until is not None:
        paused = schedule.paused_until - timedelta(days=schedule.paused_until.weekday() + 7)
        monday = max(monday, paused)
    if last_week is not None:
        monday = max(monday, week_monday(last_week))
    for _ in range(len(schedule.holidays) + 8):
        week = _week_name(monday)
        moment = occurrence(schedule, week)
        fresh = last_week is None or week > last_week
        if moment > after and fresh and not _skipped(schedule, week, moment):
            return moment, week
        monday += timedelta(days=7)
    raise AssertionError("no reminder found")  # pragma: no cover - bounded by the holidays


def follow_up(
    schedule: ReviewSchedule, due: datetime, *, week: str | None = None, within_week: bool = True
) -> datetime | None:
    """The one follow-up the next working morning after ``due`` (UTC), or None when that
    morning is outside ``week`` (default: ``due``'s local week) and ``within_week``; the
    bot's reminders pass ``within_week=False``: a Friday reminder's follow-up is Monday's,
    about the week just ended."""
    zone = schedule.zone
    day = due.astimezone(zone).date() + timedelta(days=1)
    while day.weekday() > 4:
        day += timedelta(days=1)
    if within_week and _week_name(day) != (week or iso_week(due, zone)):
        return None
    quiet = schedule.quiet
    return local_moment(day, quiet.end if quiet.start != quiet.end else _MORNING, zone)


def within_grace(due: datetime, now: datetime, grace: timedelta) -> bool:
    """A reminder due at ``due`` and missed (``due <= now``) is still sent within ``grace``."""
    return timedelta(0) <= now - due <= grace


def parse_hhmm(text: str) -> time | None:
    """«16:00», «9:30», «9», «16.00» → time; anything else → None."""
    found = _HHMM.fullmatch(text.strip())
    if found is None:
        return None
    hour, minute = int(found[1]), int(found[2] or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_day(text: str, today: date) -> date | None:
    """«2026-12-24», «24.12.2026», «24.12.26», «24.12» (the next such date from today, today
    included) → date; anything else → None."""
    text = text.strip()
    try:
        if found := _ISO_DAY.fullmatch(text):
            return date(int(found[1]), int(found[2]), int(found[3]))
        if found := _DOT_DAY.fullmatch(text):
            day, month = int(found[1]), int(found[2])
            if found[3] is not None:
                year = int(found[3])
                return date(year + 2000 if year < 100 else year, month, day)
            for year in range(today.year, today.year + 9):  # 29.02 waits for a leap year
                try:
                    candidate = date(year, month, day)
                except ValueError:
                    continue
                if candidate >= today:
                    return candidate
    except ValueError:
        return None
    return None
