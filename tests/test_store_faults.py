"""The store under real faults: a lock held by another process, read-only, full, damaged, gone.

Every fault becomes one exception, StoreUnavailable, within the caller's patience, and changes
nothing: a request is filed whole or not at all. The faults both engines can have run on both (the
`store` fixture); a full disk and a damaged header are the SQLite file's; a stopped PostgreSQL is in
tests/test_store_postgres.py.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import pytest
from click.testing import CliRunner

from deflect.cli import main
from deflect.store.model import StoreUnavailable
from deflect.store.sqlite import FIRST_TRY, Store
from tests.delivery_fixtures import file_sample
from tests.faults import FullStore, damage, held_lock, same_store, store_env, store_read_only

SETTINGS = {"DEFLECT_SITE_URL": "https://help.example"}


def test_a_locked_store_gives_up_after_its_patience_and_files_once_the_lock_is_gone(store, policy):
    impatient = store.with_patience(0.5)
    with held_lock(store):
        started = time.monotonic()
        with pytest.raises(StoreUnavailable) as refused:
            file_sample(impatient, policy, SETTINGS)
        waited = time.monotonic() - started
    assert refused.value.kind == "busy" and refused.value.retry_after == 5
    assert 0.4 < waited < 5  # it waited for the lock, then gave up, far from SQLite's old 30 s
    assert store.list_requests() == [] and store.list_outbox() == []
    case = file_sample(impatient, policy, SETTINGS)
    assert [r["case_number"] for r in store.list_requests()] == [case]


def test_the_outbox_worker_and_the_cli_wait_longer_than_requests(store, policy):
    """Patience is per store object: the request store gives up, the worker's store waits the lock out."""
    impatient, patient = store.with_patience(0.3), store.with_patience(20)
    lock = held_lock(store)
    threading.Timer(1.5, lock.release).start()
    with pytest.raises(StoreUnavailable):
        file_sample(impatient, policy, SETTINGS)
    case = file_sample(patient, policy, SETTINGS)  # waits until the lock is released, then files
    assert store.get_request(case) is not None


def test_at_most_the_allowed_number_of_threads_wait_for_a_locked_store(store, policy):
    """With one waiting slot, one caller waits its patience; the others are refused after the first try."""
    bounded = store.with_patience(2.5, waiters=1)
    answers: list[tuple[float, str]] = []

    def file() -> None:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable) as refused:
            file_sample(bounded, policy, SETTINGS)
        answers.append((time.monotonic() - started, refused.value.detail))

    with held_lock(store):
        callers = [threading.Thread(target=file) for _ in range(5)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join(20)
    waited = sorted(seconds for seconds, _ in answers)
    assert len(waited) == 5
    assert waited[-1] > 2.0  # the one in the waiting slot waited its patience
    assert all(seconds < 2.0 for seconds in waited[:-1]), waited  # the others were refused at once
    assert sum("no more calls may wait" in detail for _, detail in answers) == 4


def test_a_bounded_store_that_is_free_lets_every_thread_in(store, policy):
    bounded = store.with_patience(2.5, waiters=0)  # nobody may wait: a free lock is still taken at once
    cases = [file_sample(bounded, policy, SETTINGS) for _ in range(3)]
    assert len(set(cases)) == 3


def test_a_read_only_store_refuses_writes_and_still_reads(store, policy):
    case = file_sample(store, policy, SETTINGS)
    with store_read_only(store):
        with pytest.raises(StoreUnavailable) as refused:
            file_sample(store.with_patience(1), policy, SETTINGS)
        with pytest.raises(StoreUnavailable):
            store.record_deflection("reset my password", "/faq/reset/", "Reset")
        with contextlib.suppress(StoreUnavailable):  # a read-only folder (not root) stops reads too
            assert store.get_request(case) is not None
    assert refused.value.kind == "read-only" and refused.value.retry_after == 60
    assert [r["case_number"] for r in store.list_requests()] == [case]


def test_a_full_database_refuses_a_request_whole(tmp_path, policy):
    Store(tmp_path / "deflect.sqlite3").migrate()
    full = FullStore(tmp_path / "deflect.sqlite3")
    with pytest.raises(StoreUnavailable) as refused:
        file_sample(full, policy, SETTINGS)
    assert refused.value.kind == "full"
    assert "full" in str(refused.value)
    assert full.list_requests() == [] and full.list_outbox() == []  # nothing half-written


def test_a_damaged_file_and_a_removed_folder_are_unavailable_not_errors(tmp_path, policy):
    store = Store(tmp_path / "var" / "deflect.sqlite3").migrate()
    damage(store.path)
    with pytest.raises(StoreUnavailable) as damaged:
        store.get_request("OLR-2026-000001")
    assert damaged.value.kind == "damaged"
    gone = Store(tmp_path / "gone" / "deflect.sqlite3")  # the data folder was removed
    with pytest.raises(StoreUnavailable) as missing:
        gone.list_requests()
    assert missing.value.kind == "disk"


def test_an_outage_is_logged_once_and_its_end_once(store, policy, caplog):
    impatient = store.with_patience(FIRST_TRY)
    with caplog.at_level(logging.WARNING, logger="deflect.store"):
        with held_lock(store):
            for _ in range(3):
                with pytest.raises(StoreUnavailable):
                    impatient.record_deflection("reset my password", "/faq/reset/", "Reset")
        impatient.record_deflection("reset my password", "/faq/reset/", "Reset")
        impatient.record_deflection("reset my password", "/faq/reset/", "Reset")
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert len(lines) == 2, lines
    assert lines[0][0] == "ERROR" and "locked by another writer" in lines[0][1] and store.outage.name in lines[0][1]
    assert lines[1][0] == "WARNING" and "works again" in lines[1][1]


def test_a_locked_store_that_is_up_to_date_does_not_hold_up_a_start(store):
    with held_lock(store):
        started = time.monotonic()
        again = same_store(store).migrate()
        assert time.monotonic() - started < 5
    again.close()


def test_copies_share_the_file_and_the_outage_log(store):
    quick = store.with_patience(FIRST_TRY, waiters=0)
    assert quick.outage is store.outage and vars(quick).get("path") == vars(store).get("path")
    assert vars(quick).get("url") == vars(store).get("url")
    assert store.patience == 30.0 and store.waiters is None  # the original keeps its patience


def test_the_cli_says_the_store_is_read_only_instead_of_a_traceback(store, tmp_path, policy, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name, value in store_env(store).items():
        monkeypatch.setenv(name, value)
    file_sample(store, policy, SETTINGS)
    with store_read_only(store):
        result = CliRunner().invoke(main, ["outbox", "--deliver"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "the store is" in result.output and "nothing was changed" in result.output
    assert {e.status for e in store.list_outbox()} == {"pending"}  # nothing sent, nothing lost
