"""The store's schema as numbered migrations, the same for both engines, never a drop.

A migration is appended, never edited: a store created by any earlier version is brought up to
date by running the ones it has not had, in order (SQLite records how many in `PRAGMA
user_version`, PostgreSQL in the table `deflect_migrations`; `migrate()` runs at every start).

Adding one, for both engines, is one step: append to MIGRATIONS either
- a string, when its SQL is the same on both: TEXT and INTEGER columns, `id INTEGER PRIMARY KEY`
  for a number the database assigns (on PostgreSQL it becomes a BIGINT identity column, the one
  rewrite `postgres_form` makes), REFERENCES, UNIQUE, DEFAULT with a constant, CREATE [UNIQUE]
  INDEX, ALTER TABLE ... ADD COLUMN; stamps are TEXT (`model.stamp`), JSON is TEXT;
- or `Migration(sqlite=..., postgres=...)`, when the two need different SQL.
`tests/test_store_migrations.py` runs every migration on both engines, from an empty database and
from each earlier version, so a migration that one engine does not take fails there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    """One migration written twice, when the engines need different SQL."""

    sqlite: str
    postgres: str


MIGRATIONS: tuple[str | Migration, ...] = (
    # 1: requests with case numbers, the outbox, deflections and content gaps.
    """
    CREATE TABLE requests (
        id INTEGER PRIMARY KEY,
        case_number TEXT NOT NULL UNIQUE,
        year INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        form TEXT NOT NULL,
        subject TEXT NOT NULL,
        email TEXT NOT NULL,
        data TEXT NOT NULL,
        UNIQUE (year, seq)
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        case_number TEXT NOT NULL REFERENCES requests (case_number),
        channel TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        claimed_by TEXT,
        claimed_until TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL,
        delivered_at TEXT,
        UNIQUE (case_number, channel)
    );
    CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
    CREATE TABLE deflections (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        query TEXT NOT NULL,
        article_url TEXT NOT NULL,
        article_title TEXT NOT NULL,
        from_page TEXT
    );
    CREATE TABLE content_gaps (
        query TEXT PRIMARY KEY,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        count INTEGER NOT NULL,
        results INTEGER NOT NULL,
        suggestion TEXT
    );
    CREATE TABLE page_feedback (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        page TEXT NOT NULL,
        helpful INTEGER NOT NULL
    );
    """,
    # 2: single-use search-step tokens (the request that used one), and the confirmations sent in the
    # last hour, counted per mailbox and in all for the confirmation caps.
    """
    ALTER TABLE requests ADD COLUMN search_token TEXT;
    CREATE UNIQUE INDEX requests_search_token ON requests (search_token);
    CREATE TABLE confirmations (
        id INTEGER PRIMARY KEY,
        sent_at TEXT NOT NULL,
        recipient TEXT NOT NULL,
        case_number TEXT NOT NULL
    );
    CREATE INDEX confirmations_recipient ON confirmations (recipient, sent_at);
    CREATE INDEX confirmations_sent ON confirmations (sent_at);
    """,
    # 3: the ledger of visits (what each visit searched, was shown, opened, solved and filed), the daily
    # counts that outlive purged visits, comments on page feedback, the support team's accounts and
    # sessions, failed logins, and the chores run at most once a day across processes.
    """
    CREATE TABLE visit_events (
        id INTEGER PRIMARY KEY,
        visit TEXT NOT NULL,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        door TEXT NOT NULL,
        form TEXT NOT NULL,
        tag TEXT NOT NULL,
        description TEXT NOT NULL,
        article_url TEXT NOT NULL,
        article_title TEXT NOT NULL,
        results INTEGER,
        case_number TEXT,
        due_at TEXT
    );
    CREATE INDEX visit_events_at ON visit_events (at);
    CREATE INDEX visit_events_visit ON visit_events (visit, kind);
    CREATE TABLE ledger_days (
        day TEXT NOT NULL,
        metric TEXT NOT NULL,
        form TEXT NOT NULL,
        tag TEXT NOT NULL,
        article_url TEXT NOT NULL,
        article_title TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, metric, form, tag, article_url)
    );
    ALTER TABLE page_feedback ADD COLUMN comment TEXT;
    CREATE INDEX page_feedback_at ON page_feedback (created_at);
    CREATE TABLE admins (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE admin_sessions (
        token_hash TEXT PRIMARY KEY,
        admin_id INTEGER NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE TABLE chores (
        name TEXT PRIMARY KEY,
        last_run TEXT NOT NULL
    );
    INSERT INTO chores (name, last_run) VALUES ('purge', '1970-01-01T00:00:00.000000+00:00')
    """,
    # 4: the article's title with each page answer, for articles the support form never showed.
    """
    ALTER TABLE page_feedback ADD COLUMN title TEXT
    """,
)

IDENTITY = re.compile(r"\bINTEGER PRIMARY KEY\b", re.IGNORECASE)
CREATED = re.compile(r"\bCREATE TABLE (?:IF NOT EXISTS )?(\w+)", re.IGNORECASE)


def sqlite_form(migration: str | Migration) -> str:
    """The migration's SQL for SQLite."""
    return migration.sqlite if isinstance(migration, Migration) else migration


def postgres_form(migration: str | Migration) -> str:
    """The migration's SQL for PostgreSQL: a shared string with `INTEGER PRIMARY KEY` as an identity column."""
    if isinstance(migration, Migration):
        return migration.postgres
    return IDENTITY.sub("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", migration)


def statements(script: str) -> list[str]:
    """The statements of a migration's script (split at `;`: no migration has one inside a literal)."""
    return [statement.strip() for statement in script.split(";") if statement.strip()]


def tables(upto: int | None = None) -> tuple[str, ...]:
    """The tables the migrations (the first `upto` of them) create, in order."""
    return tuple(name for m in MIGRATIONS[:upto] for name in CREATED.findall(postgres_form(m)))
