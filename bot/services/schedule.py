"""PROVISIONAL (replaced by the h4 branch): the review schedule's pure rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Quiet:
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
    quiet: Quiet = field(default_factory=Quiet)
    paused_until: date | None = None
    skip_week: str | None = None
    holidays: frozenset[str] = frozenset()


def iso_week(moment: datetime, zone: ZoneInfo) -> str:
    y, w, _ = moment.astimezone(zone).isocalendar()
    return f"{y}-W{w:02d}"


def week_start(week: str, zone: ZoneInfo) -> datetime:
    y, w = week.split("-W")
    d = date.fromisocalendar(int(y), int(w), 1)
    return datetime.combine(d, time(0), zone).astimezone(UTC)


def _local(d: date, t: time, zone: ZoneInfo) -> datetime:
    naive = datetime.combine(d, t)
    aware = naive.replace(tzinfo=zone)
    back = aware.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != naive:  # in a gap
        aware = (naive + timedelta(hours=1)).replace(tzinfo=zone)
    return aware.astimezone(UTC)


def out_of_quiet(moment: datetime, zone: ZoneInfo, quiet: Quiet) -> datetime:
    local = moment.astimezone(zone)
    if not quiet.contains(local.time()):
        return moment
    d = local.date()
    if local.time() >= quiet.end and quiet.start > quiet.end:
        d = d + timedelta(days=1)
    return _local(d, quiet.end, zone)


def occurrence(schedule: ReviewSchedule, week: str) -> datetime:
    y, w = week.split("-W")
    d = date.fromisocalendar(int(y), int(w), schedule.weekday + 1)
    return out_of_quiet(_local(d, schedule.at, schedule.zone), schedule.zone, schedule.quiet)


def _skipped(schedule: ReviewSchedule, week: str, due: datetime) -> bool:
    if week == schedule.skip_week or week in schedule.holidays:
        return True
    local = due.astimezone(schedule.zone).date()
    return schedule.paused_until is not None and local < schedule.paused_until


def next_due(schedule: ReviewSchedule, after: datetime) -> tuple[datetime, str]:
    start = after - timedelta(days=8)
    for i in range(60):
        week = iso_week(start + timedelta(days=7 * i), schedule.zone)
        due = occurrence(schedule, week)
        if due > after and not _skipped(schedule, week, due):
            return due, week
    week = iso_week(after + timedelta(days=420), schedule.zone)
    return occurrence(schedule, week), week


def follow_up(schedule: ReviewSchedule, due: datetime) -> datetime | None:
    local = due.astimezone(schedule.zone).date()
    d = local + timedelta(days=1)
    while d.weekday() >= 5:
        d += timedelta(days=1)
    end = schedule.quiet.end if schedule.quiet.start != schedule.quiet.end else time(9, 0)
    return _local(d, end, schedule.zone)


def within_grace(due: datetime, now: datetime, grace: timedelta) -> bool:
    return now - due <= grace


def parse_hhmm(text: str) -> time | None:
    m = re.fullmatch(r"\s*(\d{1,2})(?:[:.](\d{2}))?\s*", text)
    if not m:
        return None
    h, mi = int(m.group(1)), int(m.group(2) or 0)
    return time(h, mi) if h < 24 and mi < 60 else None


def parse_day(text: str, today: date) -> date | None:
    t = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
            return date.fromisoformat(t)
        m = re.fullmatch(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{4}))?", t)
        if m:
            d = date(int(m.group(3) or today.year), int(m.group(2)), int(m.group(1)))
            if m.group(3) is None and d < today:
                d = d.replace(year=today.year + 1)
            return d
    except ValueError:
        return None
    return None
