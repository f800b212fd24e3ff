"""Real faults for the tests: of the store on either engine (`held_lock`, `store_read_only`: SQLite's
below, PostgreSQL's in tests/postgres_faults.py), of the SQLite store (a lock held by another process, a read-only file,
a full database, a damaged file) and of the search index (a segment overwritten).

Each store fault is what SQLite itself reports, not a mock: the lock is `BEGIN IMMEDIATE` in a second process;
read-only is both `chmod a-w` (what an operator's mistake does; it does not stop root, and CI runs
as root) and the file header's "write version" raised above 2, which makes SQLite open the file
read-only for everyone, root included; full is SQLite's `max_page_count` at the file's current size,
a real SQLITE_FULL.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from deflect.store.base import StoreBase
from deflect.store.sqlite import FIRST_TRY, Store

HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()  # until the test releases the lock (or dies: stdin closes)
connection.execute("ROLLBACK")
"""
WRITE_VERSION = 18  # offset of the header byte "file format write version" (1 or 2; more: read-only)


class LockHolder:
    """Another process running `script` with `args`: it takes a lock, prints "locked" and holds the lock
    until `release()` (or until the test dies: its stdin closes)."""

    def __init__(self, script: str, *args: str):
        self.process = subprocess.Popen(
            [sys.executable, "-c", script, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        line = self.process.stdout.readline()
        assert line.strip() == "locked", f"the lock holder did not take the lock: {line!r}"

    def release(self) -> None:
        """Roll back and end the holder process."""
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(10)
        self.process.stdout.close()

    def __enter__(self) -> LockHolder:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class HeldLock(LockHolder):
    """Another process holding the store's write lock (`BEGIN IMMEDIATE`) until `release()`."""

    def __init__(self, path: Path):
        super().__init__(HOLDER, str(path))


def checkpoint(path: Path, timeout: float = 10) -> None:
    """Move everything in the write-ahead log into the file itself, so its header is what SQLite reads."""
    deadline = time.monotonic() + timeout
    with contextlib.closing(sqlite3.connect(path, isolation_level=None, timeout=timeout)) as connection:
        while connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] != 0:
            assert time.monotonic() < deadline, "the store's log could not be checkpointed"
            time.sleep(0.05)


def _write_version(path: Path, version: int) -> None:
    with open(path, "r+b") as handle:
        handle.seek(WRITE_VERSION)
        handle.write(bytes([version]))


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """The store's file and folder read-only (chmod a-w, and SQLite's own read-only header flag)."""
    checkpoint(path)
    _write_version(path, 3)
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in (path, path.parent)}
    for p, mode in modes.items():
        os.chmod(p, mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        yield
    finally:
        for p, mode in modes.items():
            os.chmod(p, mode)
        _write_version(path, 2)


class FullStore(Store):
    """The store on a full disk: no connection may grow the file beyond its size (SQLITE_FULL)."""

    def _open(self) -> sqlite3.Connection:
        connection = super()._open()
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages}")
        return connection


def use_store(app, store_class: type[Store]) -> None:
    """Put a store of `store_class` on the same file under the app's requests (same patience and bound)."""
    resources = app.extensions["deflect"]
    store = store_class(resources.store.path).with_patience(resources.store.patience, resources.store.waiters)
    resources.store, resources.quick_store = store, store.with_patience(FIRST_TRY, waiters=0)


def damage(path: Path) -> None:
    """Overwrite the file's header: SQLite no longer recognises it as a database."""
    checkpoint(path)
    with open(path, "r+b") as handle:
        handle.write(b"this is not a database anymore")


def corrupt_segments(index_dir: Path) -> None:
    """Overwrite every segment file of a search index in place with random bytes (same length).

    In place, as a bad disk would: truncating a file the server has memory-mapped would kill it.
    """
    segments = list(Path(index_dir).resolve().glob("*.seg"))
    assert segments, f"no segment in {index_dir}"
    rng = random.Random(9)
    for segment in segments:
        with open(segment, "r+b") as handle:
            handle.write(rng.randbytes(segment.stat().st_size))


def held_lock(store: StoreBase):
    """Another process holding what the store's writers need: SQLite's write lock, PostgreSQL's tables."""
    if isinstance(store, Store):
        return HeldLock(store.path)
    from tests.postgres_faults import HeldTables

    return HeldTables(store.url)


def store_read_only(store: StoreBase):
    """The store read-only: SQLite's file and folder, PostgreSQL's database."""
    if isinstance(store, Store):
        return read_only(store.path)
    from tests.postgres_faults import read_only_database

    return read_only_database(store.url)


def same_store(store: StoreBase) -> StoreBase:
    """A new store object on the same file or database (as another process would open it)."""
    if isinstance(store, Store):
        return Store(store.path)
    from deflect.store.postgres import PostgresStore

    return PostgresStore(store.url)


def store_env(store: StoreBase) -> dict[str, str]:
    """The settings that name this store for a CLI or app process (SQLite: its data dir; PostgreSQL: its URL)."""
    if isinstance(store, Store):
        return {"DEFLECT_DATA_DIR": str(store.path.parent)}
    return {"DEFLECT_DATABASE_URL": store.url}
