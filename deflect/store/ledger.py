"""The ledger of visits: what each visit searched, was shown, opened, solved and filed; the daily counts
that outlive purged visits; the chores run at most once a day across processes; retention.

A visit is an opaque random id (no address, no browser detail). The figures are computed from these
rows by `deflect.report`, in Python, so the SQL stays plain: `?` placeholders, ISO-8601 UTC text
stamps compared as text, `INSERT ... ON CONFLICT`, no date functions.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
from collections.abc import Callable, Iterable

from deflect.store.model import stamp, utcnow

TEXT_MAX = 500  # a description or title as the ledger keeps it
EVENT_COLUMNS = (
    "visit, at, kind, door, form, tag, description, article_url, article_title, results, case_number, due_at"
)
# A fact counted into ledger_days: (day, metric, form, tag, article_url, article_title, count).
Fact = tuple[str, str, str, str, str, str, int]


def new_visit() -> str:
    """A fresh visit id: random, and nothing else."""
    return secrets.token_urlsafe(16)


def insert_event(connection: sqlite3.Connection, visit: str, kind: str, at: dt.datetime, **values) -> None:
    """Write one ledger row on an open connection (the filing transaction writes its own `filed` row)."""
    row = {
        "door": "web",
        "form": "",
        "tag": "",
        "description": "",
        "article_url": "",
        "article_title": "",
        "results": None,
        "case_number": None,
        "due_at": None,
        **values,
    }
    for key in ("description", "article_url", "article_title", "form", "tag"):
        row[key] = str(row[key] or "")[:TEXT_MAX]
    connection.execute(
        f"INSERT INTO visit_events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (visit[:64], stamp(at), kind, row["door"], row["form"], row["tag"], row["description"], row["article_url"])
        + (row["article_title"], row["results"], row["case_number"], row["due_at"]),
    )


class LedgerQueries:
    """The visit_events and ledger_days tables, and the chores; mixed into the store (`_connect`)."""

    def record_search(
        self, visit: str, *, door: str, form: str, tag: str, description: str, articles: Iterable[tuple[str, str]]
    ) -> None:
        """Record a search step: the description, how many articles it found, and each one shown."""
        now, shown = utcnow(), list(articles)
        context = {"door": door, "form": form, "tag": tag, "description": description}
        with self._connect(write=True) as connection:
            insert_event(connection, visit, "searched", now, results=len(shown), **context)
            for url, title in shown:
                insert_event(connection, visit, "shown", now, article_url=url, article_title=title, **context)

    def record_visit_event(self, visit: str, kind: str, article_url: str, article_title: str) -> None:
        """Record that a visit opened an article (`opened`) or said it solved the problem (`solved`)."""
        with self._connect(write=True) as connection:
            insert_event(connection, visit, kind, utcnow(), article_url=article_url, article_title=article_title)

    def visits_between(self, since: dt.datetime, until: dt.datetime) -> list[dict]:
        """Every event of the visits that did anything in [since, until), in order, with `reached_at` on
        filings: when the helpdesk got the request (its support email or webhook delivered), else None."""
        with self._connect() as connection:
            rows = connection.execute(
                f"SELECT {EVENT_COLUMNS}, (SELECT MIN(o.delivered_at) FROM outbox o"
                " WHERE o.case_number = e.case_number AND o.channel <> 'customer' AND o.status = 'delivered')"
                " AS reached_at FROM visit_events e WHERE e.visit IN"
                " (SELECT visit FROM visit_events WHERE at >= ? AND at < ?) ORDER BY e.visit, e.at, e.id",
                (stamp(since), stamp(until)),
            ).fetchall()
        return [dict(row) for row in rows]

    def feedback_between(self, since: dt.datetime, until: dt.datetime) -> list[dict]:
        """The page feedback given in [since, until), oldest first."""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT created_at, page, helpful, comment, title FROM page_feedback"
                " WHERE created_at >= ? AND created_at < ? ORDER BY id",
                (stamp(since), stamp(until)),
            ).fetchall()
        return [dict(row) for row in rows]

    def counted_days(self, first_day: str, last_day: str) -> list[dict]:
        """The daily counts kept for purged visits and feedback, for days first_day..last_day (YYYY-MM-DD)."""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT day, metric, form, tag, article_url, article_title, count FROM ledger_days"
                " WHERE day >= ? AND day <= ?",
                (first_day, last_day),
            ).fetchall()
        return [dict(row) for row in rows]

    def outbox_health(self) -> dict[str, dict]:
        """For waiting (pending) and failed messages: how many, and the oldest one's creation stamp."""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT status, COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox"
                " WHERE status IN ('pending', 'failed') GROUP BY status"
            ).fetchall()
        found = {row["status"]: {"count": row["n"], "oldest": row["oldest"]} for row in rows}
        return {status: found.get(status, {"count": 0, "oldest": None}) for status in ("pending", "failed")}

    def claim_chore(self, name: str, every: dt.timedelta, now: dt.datetime | None = None) -> bool:
        """True for the one caller, across processes and instances, that may run this chore now: it last
        ran `every` ago or more. One conditional UPDATE decides, so two callers never both win."""
        now = now or utcnow()
        with self._connect(write=True) as connection:
            cursor = connection.execute(
                "UPDATE chores SET last_run = ? WHERE name = ? AND last_run <= ?",
                (stamp(now), name, stamp(now - every)),
            )
        return cursor.rowcount == 1

    def purge_visits(self, before: dt.datetime, count: Callable[[list[dict], list[dict]], list[Fact]]) -> dict:
        """Delete the visits whose last event is before `before`, and the page feedback before it, after
        adding what they counted to ledger_days, in one transaction: the figures of past days stay right.

        `count(events, feedback)` turns the rows into facts (deflect.report); the store only adds them up.
        """
        moment = stamp(before)
        with self._connect(write=True) as connection:
            old = "SELECT visit FROM visit_events GROUP BY visit HAVING MAX(at) < ?"
            events = connection.execute(
                f"SELECT {EVENT_COLUMNS}, (SELECT MIN(o.delivered_at) FROM outbox o WHERE o.case_number ="
                " e.case_number AND o.channel <> 'customer' AND o.status = 'delivered') AS reached_at"
                f" FROM visit_events e WHERE e.visit IN ({old}) ORDER BY e.visit, e.at, e.id",
                (moment,),
            ).fetchall()
            feedback = connection.execute(
                "SELECT created_at, page, helpful, comment, title FROM page_feedback WHERE created_at < ?", (moment,)
            ).fetchall()
            facts = count([dict(r) for r in events], [dict(r) for r in feedback])
            for fact in facts:
                _add_fact(connection, fact)
            connection.execute(f"DELETE FROM visit_events WHERE visit IN ({old})", (moment,))
            connection.execute("DELETE FROM page_feedback WHERE created_at < ?", (moment,))
            connection.execute("DELETE FROM deflections WHERE created_at < ?", (moment,))
            connection.execute("DELETE FROM content_gaps WHERE last_seen < ?", (moment,))
        return {"visits": len({row["visit"] for row in events}), "feedback": len(feedback), "facts": len(facts)}

    def purge_emails(self, before: dt.datetime) -> int:
        """Erase the customer's email and name from requests filed before `before`, and the messages
        of their outbox that are no longer waiting; the requests themselves (and the counts) stay."""
        moment = stamp(before)
        with self._connect(write=True) as connection:
            rows = connection.execute(
                "SELECT case_number, data FROM requests WHERE created_at < ? AND email <> ''", (moment,)
            ).fetchall()
            for row in rows:
                data = dict(json.loads(row["data"]), email="", name="", purged=True)
                connection.execute(
                    "UPDATE requests SET email = '', data = ? WHERE case_number = ?",
                    (json.dumps(data), row["case_number"]),
                )
                connection.execute(
                    "UPDATE outbox SET payload = ? WHERE case_number = ? AND status <> 'pending'",
                    (json.dumps({"purged": True}), row["case_number"]),
                )
        return len(rows)


def _add_fact(connection: sqlite3.Connection, fact: Fact) -> None:
    connection.execute(
        "INSERT INTO ledger_days (day, metric, form, tag, article_url, article_title, count)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day, metric, form, tag, article_url)"
        " DO UPDATE SET count = ledger_days.count + excluded.count, article_title = excluded.article_title",
        fact,
    )
