"""Retention: visits and page feedback, and customers' emails, kept only for a settable age.

`deflect purge` and the running app (once a day across every process and instance: the store's
chore claim decides which one) delete visits whose last event is older than
DEFLECT_VISIT_RETENTION_DAYS, after adding what they counted to the daily counts, and erase the
email and name of requests older than DEFLECT_EMAIL_RETENTION_DAYS (the requests and counts stay).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from deflect.report.facts import feedback_facts, visit_facts
from deflect.settings import InvalidSetting

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class LedgerSettings:
    """The deflection window and the two retention ages."""

    window: dt.timedelta
    visit_days: int
    email_days: int


# The ledger's settings and the whole numbers each may be (the start-up checks use the same bounds).
BOUNDS = {
    "DEFLECT_DEFLECTION_WINDOW_HOURS": (1, 24 * 30),
    "DEFLECT_VISIT_RETENTION_DAYS": (30, 3650),
    "DEFLECT_EMAIL_RETENTION_DAYS": (1, 3650),
}


def check_number(name: str, value: object) -> int:
    """The whole number a ledger setting holds; raise InvalidSetting naming it and its bounds."""
    low, high = BOUNDS[name]
    text = str(value or "").strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise InvalidSetting(f"{name}={text[:40]!r}: give a whole number from {low} to {high}")
    return int(text)


def ledger_settings(values: Mapping[str, str | None]) -> LedgerSettings:
    """The ledger's settings from `settings.load()` or the app config; a wrong one names itself and the fix."""
    return LedgerSettings(
        window=dt.timedelta(
            hours=check_number("DEFLECT_DEFLECTION_WINDOW_HOURS", values.get("DEFLECT_DEFLECTION_WINDOW_HOURS"))
        ),
        visit_days=check_number("DEFLECT_VISIT_RETENTION_DAYS", values.get("DEFLECT_VISIT_RETENTION_DAYS")),
        email_days=check_number("DEFLECT_EMAIL_RETENTION_DAYS", values.get("DEFLECT_EMAIL_RETENTION_DAYS")),
    )


def purge(store, config: LedgerSettings, now: dt.datetime) -> dict:
    """Purge what is older than the retention ages; return what was purged."""

    def count(events: list[dict], feedback: list[dict]) -> list[tuple]:
        return visit_facts(events, config.window, now) + feedback_facts(feedback)

    found = store.purge_visits(now - dt.timedelta(days=config.visit_days), count)
    found["emails"] = store.purge_emails(now - dt.timedelta(days=config.email_days))
    return found


def purge_once_a_day(store, config: LedgerSettings, now: dt.datetime) -> dict | None:
    """Purge when no process has done it in the last day; None when another one has."""
    if not store.claim_chore("purge", DAY, now):
        return None
    return purge(store, config, now)


def describe(found: dict, config: LedgerSettings) -> str:
    """What a purge did, in a sentence."""
    return (
        f"Purged {found['visits']} visits and {found['feedback']} page answers older than {config.visit_days} days "
        f"(their counts kept by day), and the email of {found['emails']} requests older than {config.email_days} days."
    )
