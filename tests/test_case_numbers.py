"""Case numbers, on both engines: `PREFIX-YEAR-NNNNNN`, unique and in order, restarting at 1 each year.

SQLite takes the year's last number plus one under its write lock; PostgreSQL draws from the year's
sequence (made by the year's first filing), so filings never wait for each other for a number.
Across processes: tests/test_outbox_faults.py (two processes, 200 requests).
"""

from __future__ import annotations

import datetime as dt
import threading


def file_at(store, moment: dt.datetime, digits: int = 6) -> str:
    return store.file_request(
        prefix="OLR", digits=digits, form="problem", subject="[HIGH] x", email="a@b.example", data={}, now=moment
    )


def test_numbers_restart_at_one_on_the_first_of_january_utc(store):
    new_year = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    cases = [file_at(store, new_year - dt.timedelta(seconds=2)), file_at(store, new_year - dt.timedelta(seconds=1))]
    cases += [file_at(store, new_year), file_at(store, new_year + dt.timedelta(days=40))]
    assert cases == ["OLR-2026-000001", "OLR-2026-000002", "OLR-2027-000001", "OLR-2027-000002"]
    late = file_at(store, new_year - dt.timedelta(microseconds=1))  # a filing stamped in the old year, stored late
    assert late == "OLR-2026-000003"
    assert (
        file_at(store, dt.datetime(2027, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))) == "OLR-2026-000004"
    )


def test_a_number_past_its_digits_grows_instead_of_wrapping(store):
    moment = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    assert [file_at(store, moment, digits=1) for _ in range(10)][-2:] == ["OLR-2026-9", "OLR-2026-10"]


def test_threads_sharing_one_store_get_unique_numbers_each_in_order(store):
    moment, found = dt.datetime(2026, 5, 1, tzinfo=dt.UTC), {}

    def file_many(name: str) -> None:
        found[name] = [int(file_at(store, moment).rsplit("-", 1)[1]) for _ in range(25)]

    threads = [threading.Thread(target=file_many, args=(f"t{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(numbers == sorted(numbers) for numbers in found.values())
    assert sorted(n for numbers in found.values() for n in numbers) == list(range(1, 151))
