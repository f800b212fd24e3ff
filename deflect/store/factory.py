"""Which store the settings name: PostgreSQL for `DEFLECT_DATABASE_URL=postgresql://...`, else SQLite.

The app, its outbox worker and the CLI all open the store here, migrated (the schema brought up to
date at every start). psycopg is imported only when PostgreSQL is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from deflect.settings import InvalidSetting
from deflect.store.base import StoreBase
from deflect.store.sqlite import Store

SETTING = "DEFLECT_DATABASE_URL"
SCHEMES = ("postgresql", "postgres")
EXAMPLE = "postgresql://deflect:PASSWORD@db.example.com:5432/deflect"


def open_store(database_url: str | None, data_dir: str | Path) -> StoreBase:
    """The migrated store: the database at `database_url`, else the SQLite file in `data_dir`."""
    if not database_url:
        return Store.in_data_dir(data_dir)
    return postgres_store(database_url).migrate()


def store_for(settings: Mapping[str, str | None]) -> StoreBase:
    """The migrated store the settings name (`DEFLECT_DATABASE_URL`, `DEFLECT_DATA_DIR`)."""
    return open_store(settings.get(SETTING), settings.get("DEFLECT_DATA_DIR") or "var")


def postgres_store(database_url: str) -> StoreBase:
    """A PostgreSQL store for this URL, not yet migrated; a URL that names none raises InvalidSetting with the fix."""
    try:
        scheme = urlsplit(database_url).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme not in SCHEMES:
        raise InvalidSetting(
            f"{SETTING} must be a PostgreSQL URL like {EXAMPLE} (or unset, for SQLite in the data folder)"
        )
    try:
        from deflect.store.postgres import PostgresStore
    except ImportError as error:
        raise InvalidSetting(
            f"{SETTING} names PostgreSQL, but its driver is not installed ({error.name}): "
            "pip install 'deflect[postgres]'"
        ) from None
    try:
        return PostgresStore(database_url)
    except ValueError as error:
        raise InvalidSetting(f"{SETTING} cannot be read ({error}): write it like {EXAMPLE}") from None
