"""What each visit and each page answer counts, as facts (day, metric, form, tag, article, title, count).

The honest rule: a "this solved it" counts as a deflection at once, and is withdrawn when the same
visit files a request within the window after it: then it is a failed deflection (of each article the
visit said solved it). A deflection whose window is still open is provisional. A visit counts one
deflection (or failed deflection) at most, dated by its first "solved it"; every filing counts.

The same facts are counted for visits still in the store and added up in `ledger_days` when visits
are purged, so the figures of a day do not change when its visits are gone.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from itertools import groupby

# Visit-level metrics (by form and tag) and article-level ones (with the article's URL).
VISIT_METRICS = ("searched", "no_results", "filed", "deflected", "provisional", "failed")
TARGET_METRICS = ("target_in_time", "target_late", "target_not_due", "target_unknown")
ARTICLE_METRICS = ("shown", "opened", "solved", "confirmed", "withdrawn", "filed_anyway", "helpful", "not_helpful")


def moment(text: str) -> dt.datetime:
    """A stored ISO-8601 stamp as a timezone-aware moment."""
    return dt.datetime.fromisoformat(text)


def visit_facts(events: list[dict], window: dt.timedelta, now: dt.datetime) -> list[tuple]:
    """The facts of these visits' events (ordered by visit, then time, as the store gives them)."""
    counted: Counter = Counter()
    titles: dict[str, str] = {}
    for _, rows in groupby(events, key=lambda row: row["visit"]):
        _count_visit(list(rows), window, now, counted, titles)
    return [(*key, titles.get(key[4], ""), n) for key, n in counted.items()]


def feedback_facts(rows: list[dict]) -> list[tuple]:
    """The facts of page answers: helpful or not, per article and day."""
    counted = Counter(
        (row["created_at"][:10], "helpful" if row["helpful"] else "not_helpful", "", "", row["page"]) for row in rows
    )
    titles = {row["page"]: row["title"] for row in rows if row.get("title")}
    return [(*key, titles.get(key[4], ""), n) for key, n in counted.items()]


def _count_visit(rows: list[dict], window: dt.timedelta, now: dt.datetime, counted: Counter, titles: dict) -> None:
    """Add one visit's facts: its searches, the articles it met, its deflection and its filings."""
    filings = [row for row in rows if row["kind"] == "filed"]
    context, seen, shown, deflection_counted = ("", ""), set(), [], False
    for row in rows:
        day, kind, url = row["at"][:10], row["kind"], row["article_url"]
        if url and row["article_title"]:
            titles[url] = row["article_title"]
        if kind == "searched":
            context = (row["form"], row["tag"])
            counted[(day, "searched", *context, "")] += 1
            if not row["results"]:
                counted[(day, "no_results", *context, "")] += 1
        elif kind in ("shown", "opened", "solved") and (kind, url) not in seen:
            seen.add((kind, url))
            counted[(day, kind, *context, url)] += 1
            if kind == "shown":
                shown.append(url)
            if kind == "solved":
                outcome = solved_outcome(row, filings, window, now)
                counted[
                    (day, {"failed": "withdrawn", "confirmed": "confirmed"}.get(outcome, "open"), *context, url)
                ] += 1
                if not deflection_counted:
                    deflection_counted = True
                    _count_deflection(counted, day, context, outcome)
        elif kind == "filed":
            _count_filing(counted, row, shown, now)


def _count_deflection(counted: Counter, day: str, context: tuple, outcome: str) -> None:
    if outcome == "failed":
        counted[(day, "failed", *context, "")] += 1
        return
    counted[(day, "deflected", *context, "")] += 1
    if outcome == "provisional":
        counted[(day, "provisional", *context, "")] += 1


def _count_filing(counted: Counter, row: dict, shown: list[str], now: dt.datetime) -> None:
    day, where = row["at"][:10], (row["form"], row["tag"])
    counted[(day, "filed", *where, "")] += 1
    counted[(day, "target_" + target_state(row, now), *where, "")] += 1
    for url in shown:
        counted[(day, "filed_anyway", *where, url)] += 1


def solved_outcome(solved: dict, filings: list[dict], window: dt.timedelta, now: dt.datetime) -> str:
    """`failed` when the visit filed within the window after this "solved it", else `provisional`
    while the window is open, else `confirmed`."""
    at = moment(solved["at"])
    later = [moment(f["at"]) for f in filings if moment(f["at"]) >= at]
    if later and min(later) - at <= window:
        return "failed"
    return "provisional" if now - at < window else "confirmed"


def target_state(filing: dict, now: dt.datetime) -> str:
    """Whether the request reached the helpdesk before its response was due (`in_time`), after it or
    not at all by then (`late`: the target cannot have been met), not yet and not due (`not_due`)."""
    if not filing.get("due_at"):
        return "unknown"
    due = moment(filing["due_at"])
    if filing.get("reached_at"):
        return "in_time" if moment(filing["reached_at"]) <= due else "late"
    return "late" if now > due else "not_due"
