"""Due times in business hours (region hours, working days, holidays) and around the clock."""

import datetime as dt
from pathlib import Path

import pytest

from deflect.policy.hours import as_read, due, in_words
from deflect.policy.model import Duration
from deflect.policy.reader import load_policy

POLICY = load_policy(Path(__file__).resolve().parents[1] / "kb" / "support.yml")
EUROPE = POLICY.region("europe")
UTC = dt.UTC


@pytest.mark.parametrize(
    "start, target, clock, expected",
    [
        # Monday 11:00 London + 8h business -> Tuesday 10:00 (9 open hours a day, 09:00 to 18:00).
        ("2026-01-05T11:00:00+00:00", Duration(8, "h"), "business", "2026-01-06T10:00:00+00:00"),
        # Friday 17:00 + 2h -> Monday 10:00.
        ("2026-01-09T17:00:00+00:00", Duration(2, "h"), "business", "2026-01-12T10:00:00+00:00"),
        # Saturday -> counting starts Monday 09:00.
        ("2026-01-10T12:00:00+00:00", Duration(30, "m"), "business", "2026-01-12T09:30:00+00:00"),
        # Before opening: counting starts at 09:00.
        ("2026-01-05T06:00:00+00:00", Duration(1, "h"), "business", "2026-01-05T10:00:00+00:00"),
        # Christmas Day and Boxing Day (a Saturday) are holidays: Thu 24 Dec 17:00 + 2h -> Mon 28 Dec 10:00.
        ("2026-12-24T17:00:00+00:00", Duration(2, "h"), "business", "2026-12-28T10:00:00+00:00"),
        # One business day = 9 hours of support; one week = five such days.
        ("2026-01-05T09:00:00+00:00", Duration(1, "d"), "business", "2026-01-05T18:00:00+00:00"),
        ("2026-01-05T09:00:00+00:00", Duration(1, "w"), "business", "2026-01-09T18:00:00+00:00"),
        # Summer time: London opens at 08:00 UTC.
        ("2026-07-06T07:00:00+00:00", Duration(1, "h"), "business", "2026-07-06T10:00:00+01:00"),
        # Critical runs around the clock.
        ("2026-01-10T23:00:00+00:00", Duration(2, "h"), "continuous", "2026-01-11T01:00:00+00:00"),
        ("2026-01-10T23:00:00+00:00", Duration(1, "w"), "continuous", "2026-01-17T23:00:00+00:00"),
    ],
)
def test_due(start, target, clock, expected):
    result = due(dt.datetime.fromisoformat(start), target, clock, EUROPE, POLICY.holidays)
    assert result == dt.datetime.fromisoformat(expected)
    assert result.tzinfo is not None


@pytest.mark.parametrize(
    "target, clock, said",
    [
        ("8 hours", "business", "8 support hours"),
        ("1 hour", "business", "1 support hour"),
        ("30 minutes", "business", "30 support minutes"),
        ("3 days", "business", "3 working days"),
        ("1 week", "business", "1 working week"),
        ("8 hours", "continuous", "8 hours"),
        ("our targets", "business", "our targets"),
    ],
)
def test_a_target_says_support_hours_when_only_support_hours_count(target, clock, said):
    assert in_words(target, clock) == said


@pytest.mark.parametrize(
    "stamp, zone, shown",
    [
        ("2026-03-03T18:00:00+00:00", "Europe/London", "Tue 3 Mar 2026, 18:00 Europe/London"),
        ("2026-07-06T10:00:00+01:00", "Europe/London", "Mon 6 Jul 2026, 10:00 Europe/London"),
        ("2026-07-06T09:00:00+00:00", "America/New_York", "Mon 6 Jul 2026, 05:00 America/New_York"),
        ("2026-07-06T09:00:00", "Asia/Singapore", "Mon 6 Jul 2026, 17:00 Asia/Singapore"),  # no zone: UTC
        ("soon", "Europe/London", "soon"),
    ],
)
def test_a_due_time_reads_the_same_everywhere_in_the_regions_zone(stamp, zone, shown):
    assert as_read(stamp, zone) == shown
