"""Which days a report covers: the last N days (today included) or two dates, in UTC, and its buckets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DEFAULT_DAYS = 30
CHOICES = (7, 30, 90)
LONGEST = 731  # days one report may cover: two years of visits are read in one go
WEEKLY_AFTER = 31  # periods longer than this are bucketed by week


class InvalidPeriod(ValueError):
    """Dates that make no period; the message names the date and the fix."""


@dataclass(frozen=True)
class Period:
    """The days `first` to `last`, both included (UTC)."""

    first: dt.date
    last: dt.date

    @classmethod
    def last_days(cls, days: int, today: dt.date) -> Period:
        """The last `days` days, today included."""
        return cls(today - dt.timedelta(days=days - 1), today)

    @classmethod
    def parse(cls, since: str | None, until: str | None, today: dt.date, days: int = DEFAULT_DAYS) -> Period:
        """The period of `--since`/`--until` (YYYY-MM-DD, either may be missing), else the last `days` days."""
        last = _date("until", until) if until else today
        first = _date("since", since) if since else last - dt.timedelta(days=days - 1)
        if first > last:
            raise InvalidPeriod(f"since ({first}) is after until ({last}): give the earlier date as since")
        if (last - first).days + 1 > LONGEST:
            raise InvalidPeriod(f"the period has {(last - first).days + 1} days: choose at most {LONGEST}")
        return cls(first, last)

    @property
    def days(self) -> int:
        """How many days the period has."""
        return (self.last - self.first).days + 1

    @property
    def start(self) -> dt.datetime:
        """The first moment of the period (UTC midnight of `first`)."""
        return dt.datetime.combine(self.first, dt.time(), dt.UTC)

    @property
    def end(self) -> dt.datetime:
        """The first moment after the period (UTC midnight after `last`)."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), dt.UTC)

    def bucket_size(self, by: str | None = None) -> str:
        """`day` or `week`: as asked, else by day up to a month and by week beyond."""
        if by in ("day", "week"):
            return by
        return "day" if self.days <= WEEKLY_AFTER else "week"

    def buckets(self, by: str) -> list[dt.date]:
        """The first day of each bucket that overlaps the period (weeks start on Monday)."""
        first = self.first - dt.timedelta(days=self.first.weekday()) if by == "week" else self.first
        step = dt.timedelta(days=7 if by == "week" else 1)
        found = []
        while first <= self.last:
            found.append(first)
            first += step
        return found

    def as_json(self) -> dict:
        """The period as the report's JSON shows it."""
        return {"since": self.first.isoformat(), "until": self.last.isoformat(), "days": self.days}


def bucket_of(day: str, by: str) -> str:
    """The bucket (its first day, YYYY-MM-DD) a day falls in."""
    date = dt.date.fromisoformat(day)
    return (date - dt.timedelta(days=date.weekday()) if by == "week" else date).isoformat()


def _date(name: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidPeriod(f"{name}: {text[:40]!r} is not a date: write it as YYYY-MM-DD, like 2026-11-01") from None
