"""Due times: a target such as `8h` counted in a region's support hours, or around the clock.

On the business clock only the region's open hours on its working days count, holidays excluded;
a day is one working day of support hours and a week is five. On the continuous clock a day is
24 hours and a week seven days.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from deflect.policy.model import WEEKDAYS, Duration, Holiday, Region

UTC = dt.UTC
MINUTES = {"m": 1, "h": 60}
# Far enough for a year of closed days (every holiday listed), near enough to stop a bad policy.
MAX_DAYS = 800


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
