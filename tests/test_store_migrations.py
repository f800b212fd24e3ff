"""The same migrations story on both engines: a version recorded in the database, an upgrade at every
start from any earlier version with nothing lost, and one migration however many instances start.

Every migration of deflect/store/schema.py runs here on SQLite and on a real PostgreSQL, so a new
one that either engine does not take fails here.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deflect.store.factory import postgres_store
from deflect.store.schema import MIGRATIONS, Migration, postgres_form, sqlite_form, tables
from deflect.store.sqlite import Store
from tests.delivery_fixtures import ROOT
from tests.faults import same_store

LATEST = len(MIGRATIONS)
IN_2026 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def unopened(store_settings: dict):
    """The store the settings name, not migrated yet: an empty data dir, an empty database."""
    url = store_settings.get("DEFLECT_DATABASE_URL")
    return postgres_store(url) if url else Store(Path(store_settings["DEFLECT_DATA_DIR"]) / Store.FILE_NAME)


def old_store(store_settings: dict, version: int):
    """The store as an earlier deflect left it: migrated to `version`, with one request of that time."""
    old = unopened(store_settings).migrate(upto=version)
    if version:
        with old._connect(write=True) as connection:  # the columns migration 1 made, as deflect wrote them then
            connection.execute(
                "INSERT INTO requests (case_number, year, seq, created_at, form, subject, email, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                ("OLR-2026-000001", 2026, 1, "2026-03-03T10:00:00.000000+00:00", "problem", "[HIGH] Old", "a@b.example",
                 '{"case_number": "OLR-2026-000001", "subject": "[HIGH] Old"}'),
            )  # fmt: skip
            connection.execute(
                "INSERT INTO content_gaps (query, first_seen, last_seen, count, results) VALUES (?, ?, ?, 3, 0)",
                ("badge designer", "2026-03-03T10:00:00+00:00", "2026-03-03T10:00:00+00:00"),
            )
    return old


def test_an_empty_database_gets_every_migration_and_records_its_version(store_settings, stores):
    store = stores(store_settings)
    assert store.schema_version() == LATEST
    assert store.list_requests() == [] and store.list_outbox() == [] and store.list_content_gaps() == []
    store.ping()


@pytest.mark.parametrize("version", range(LATEST))
def test_a_store_of_each_earlier_version_is_brought_up_to_date_with_nothing_lost(store_settings, stores, version):
    old = old_store(store_settings, version)
    assert old.schema_version() == version
    upgraded = stores(store_settings)  # what the next start does
    assert upgraded.schema_version() == LATEST
    kept = [r["case_number"] for r in upgraded.list_requests()]
    assert kept == (["OLR-2026-000001"] if version else [])
    if version:
        assert [(g["query"], g["count"]) for g in upgraded.list_content_gaps()] == [("badge designer", 3)]
    case = upgraded.file_request(
        prefix="OLR", digits=6, form="problem", subject="[HIGH] New", email="a@b.example", data={}, now=IN_2026
    )
    assert case == ("OLR-2026-000002" if version else "OLR-2026-000001")  # numbering goes on after the old ones
    old.close()


def test_migrating_again_changes_nothing(store):
    again = same_store(store)
    assert again.migrate().migrate().schema_version() == LATEST == store.schema_version()
    again.close()


STARTER = """
import os, sys, time
from pathlib import Path
from deflect.store.factory import store_for
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.002)
print(store_for(os.environ).schema_version(), flush=True)
"""


def test_instances_starting_together_on_an_empty_database_migrate_it_once(tmp_path, store_settings, stores):
    go = tmp_path / "go"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEFLECT_")} | store_settings
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", STARTER, str(go)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(4)
    ]
    go.touch()
    outputs = [starter.communicate(timeout=60) for starter in starters]
    assert [s.returncode for s in starters] == [0] * 4, [err.decode() for _, err in outputs]
    assert [out.decode().strip() for out, _ in outputs] == [str(LATEST)] * 4
    store = stores(store_settings)
    if not isinstance(store, Store):
        with store._connect() as connection:
            rows = connection.execute("SELECT version FROM deflect_migrations ORDER BY version").fetchall()
        assert [row["version"] for row in rows] == list(range(1, LATEST + 1))  # each applied once


def test_each_migration_has_its_form_for_each_engine():
    for migration in MIGRATIONS:
        assert sqlite_form(migration).strip() and postgres_form(migration).strip()
        if not isinstance(migration, Migration):
            assert "INTEGER PRIMARY KEY" not in postgres_form(migration)  # an identity column there
    assert tables(1) == ("requests", "outbox", "deflections", "content_gaps", "page_feedback")
    assert tables()[: len(tables(1))] == tables(1) and "confirmations" in tables()
