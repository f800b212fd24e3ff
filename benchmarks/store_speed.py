"""How fast each engine of the store files requests and hands out outbox messages, from several processes.

    .venv/bin/python benchmarks/store_speed.py                        # SQLite and a throwaway PostgreSQL
    .venv/bin/python benchmarks/store_speed.py --url postgresql://...  # a PostgreSQL of yours (an empty database)

Each of `--processes` processes files its share of `--filings` requests the way the app does (a
case number, the search-step token's one use, the confirmation caps, the request and its two
outbox messages in one transaction; the two emails are rendered once per process, as their
rendering costs the same on either engine), then as many worker processes deliver every message
to a sender that only counts it (claim with a lease, renew, mark delivered: the outbox's own cost,
without SMTP). It prints filings and messages per second per engine, and checks that every case
number is unique and every message was delivered once. The throwaway PostgreSQL is Debian's
(tests/postgres_server.py) with fsync on, as in production; SQLite's file is on the same disk.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FILER = """
import os, sys, uuid
from deflect.delivery.channels import outbox_messages
from deflect.policy.reader import load_policy
from deflect.store.factory import store_for
from deflect.store.model import ConfirmationCap
from tests.delivery_fixtures import ROOT, sample_record
store, policy = store_for(os.environ), load_policy(ROOT / "kb" / "support.yml")
record = sample_record()
messages = outbox_messages(dict(record, case_number="OLR-2026-000000"), policy, {})
for n in range(int(sys.argv[1])):
    print(store.file_request(prefix="OLR", digits=6, form="problem", subject=record["subject"],
          email=record["email"], data=record, token=uuid.uuid4().hex,
          confirmation=ConfirmationCap(f"person{n % 50}@example.org", 10**6, 10**9),
          outbox=lambda case, confirmation: messages), flush=True)
"""
WORKER = """
import os
from deflect.delivery.outbox import deliver_pending
from deflect.store.factory import store_for
store, sent = store_for(os.environ), []
counted = {"support": sent.append, "customer": sent.append}
while deliver_pending(store, counted, limit=100).delivered:
    pass
print(len(sent), flush=True)
"""


def run_all(script: str, args: list[str], processes: int, env: dict) -> tuple[float, list[str]]:
    """Start the processes together; return the seconds until the last one ended, and their output lines."""
    started = time.perf_counter()
    running = [
        subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    outputs = [process.communicate(timeout=600)[0] for process in running]
    seconds = time.perf_counter() - started
    assert all(process.returncode == 0 for process in running), "a process failed"
    return seconds, [line for output in outputs for line in output.split()]


def measure(name: str, settings: dict, filings: int, processes: int) -> None:
    """File and deliver on one engine; print the figures."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEFLECT_")} | settings | {"PYTHONPATH": str(ROOT)}
    from deflect.store.factory import store_for

    store_for(settings).close()  # migrated once, before the clock starts
    seconds, cases = run_all(FILER, [str(filings // processes)], processes, env)
    assert len(set(cases)) == len(cases) == filings // processes * processes, "case numbers repeat"
    sent_seconds, counts = run_all(WORKER, [], processes, env)
    sent = sum(int(n) for n in counts)
    assert sent == 2 * len(cases), f"{sent} messages delivered for {len(cases)} requests (2 each)"
    print(
        f"| {name} | {processes} | {len(cases):,} | {len(cases) / seconds:,.0f} | {sent:,} | {sent / sent_seconds:,.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--filings", type=int, default=2000, help="requests filed in all (default 2000)")
    parser.add_argument("--processes", type=int, default=4, help="filing and delivering processes (default 4)")
    parser.add_argument("--url", help="measure this PostgreSQL database (empty) instead of a throwaway server")
    parser.add_argument("--engine", choices=("both", "sqlite", "postgresql"), default="both")
    parser.add_argument(
        "--no-fsync",
        action="store_true",
        help="the throwaway PostgreSQL without fsync, as in the tests: the store's own cost",
    )
    options = parser.parse_args()
    print("| engine | processes | filed | filings/s (processes together) | messages | delivered/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory(prefix="deflect-store-speed-") as folder:
        if options.engine in ("both", "sqlite"):
            measure("SQLite", {"DEFLECT_DATA_DIR": folder}, options.filings, options.processes)
        if options.engine in ("both", "postgresql"):
            if options.url:
                measure("PostgreSQL", {"DEFLECT_DATABASE_URL": options.url}, options.filings, options.processes)
                return
            from tests.postgres_server import PostgresServer

            server = PostgresServer(durable=not options.no_fsync).start()
            try:
                url = server.url(server.create_database())
                measure("PostgreSQL", {"DEFLECT_DATABASE_URL": url}, options.filings, options.processes)
            finally:
                server.remove()


if __name__ == "__main__":
    main()
