"""Due times: a target such as `8h` counted in a region's support hours, or around the clock.

On the business clock only the region's open hours on its working days count, holidays excluded;
a day is one working day of support hours and a week is five. On the continuous clock a day is
24 hours and a week seven days.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from deflect.policy.model import WEEKDAYS, Duration, Holiday, Region

UTC = dt.UTC
MINUTES = {"m": 1, "h": 60}
# Far enough for a year of closed days (every holiday listed), near enough to stop a bad policy.
MAX_DAYS = 800
TARGET_TEXT = re.compile(r"^(\d+) (minute|hour|day|week)s?$")  # how a Duration reads ("8 hours")
SUPPORT_UNITS = {"minute": "support minute", "hour": "support hour", "day": "working day", "week": "working week"}


def continuous_due(start: dt.datetime, target: Duration) -> dt.datetime:
    """Return `start` plus the target, counting every hour of every day."""
    days = {"d": 1, "w": 7}.get(target.unit)
    if days:
        return start + dt.timedelta(days=days * target.amount)
    return start + dt.timedelta(minutes=target.amount * MINUTES[target.unit])


def business_minutes(target: Duration, region: Region) -> int:
    """Return the target in minutes of support time (a day is one day of open hours)."""
    if target.unit in MINUTES:
        return target.amount * MINUTES[target.unit]
    day = dt.datetime.combine(dt.date.min, region.close) - dt.datetime.combine(dt.date.min, region.open)
    per_day = int(day.total_seconds() // 60)
    return target.amount * per_day * (5 if target.unit == "w" else 1)


def counted_minutes(target: Duration, clock: str, region: Region) -> int:
    """A target in the minutes that count for it: support time on the business clock, else every minute."""
    if clock == "continuous" or not region.days:
        start = dt.datetime(2000, 1, 1)
        return int((continuous_due(start, target) - start).total_seconds() // 60)
    return business_minutes(target, region)


def _is_open(day: dt.date, region: Region, closed: set[dt.date]) -> bool:
    """True when support works on `day` in this region."""
    return WEEKDAYS[day.weekday()] in region.days and day not in closed


def business_due(start: dt.datetime, minutes: int, region: Region, holidays: tuple[Holiday, ...]) -> dt.datetime:
    """Return the moment `minutes` of open support time have passed after `start`."""
    zone = ZoneInfo(region.timezone)
    begin = start.astimezone(zone)
    closed = {h.date for h in holidays}
    remaining = dt.timedelta(minutes=minutes)
    day = begin.date()
    for _ in range(MAX_DAYS):
        if _is_open(day, region, closed):
            opens = dt.datetime.combine(day, region.open, zone)
            closes = dt.datetime.combine(day, region.close, zone)
            here = max(opens, begin)
            if here < closes:
                # Differences in UTC, so a day that changes to or from summer time counts right.
                available = closes.astimezone(UTC) - here.astimezone(UTC)
                if remaining <= available:
                    return (here.astimezone(UTC) + remaining).astimezone(zone)
                remaining -= available
        day += dt.timedelta(days=1)
    raise ValueError(f"region {region.id!r} has no support hours within {MAX_DAYS} days")


def due(
    start: dt.datetime, target: Duration, clock: str, region: Region, holidays: tuple[Holiday, ...] = ()
) -> dt.datetime:
    """Return when a target falls due, in the region's time zone."""
    if clock == "continuous" or not region.days:
        return continuous_due(start, target).astimezone(ZoneInfo(region.timezone))
    return business_due(start, business_minutes(target, region), region, holidays)


def in_words(target: str, clock: str) -> str:
    """A target as a customer reads it: "8 support hours" when only support hours count (the
    business clock), "8 hours" around the clock; a day or week of support hours is a working one."""
    match = TARGET_TEXT.match(str(target).strip())
    if clock == "continuous" or match is None:
        return str(target)
    amount = int(match.group(1))
    return f"{amount} {SUPPORT_UNITS[match.group(2)]}" + ("" if amount == 1 else "s")


def as_read(stamp: object, timezone: str) -> str:
    """A moment (ISO 8601) as the page and the emails both show it, in the region's zone:
    `Tue 3 Mar 2026, 17:00 Europe/London`; what is not a time is returned as it is."""
    try:
        moment = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp or "")
    here = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(ZoneInfo(timezone))
    return f"{here:%a} {here.day} {here:%b %Y}, {here:%H:%M} {timezone}"
