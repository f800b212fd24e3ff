"""The production set-up of docs/deploy.md section 6 under load, beside one instance alone, in one run.

Usage (from the repository's root, after scripts/bootstrap test; Debian's nginx, redis-server and
postgresql: scripts/install-test-packages, which scripts/test runs):

    .venv/bin/python benchmarks/instances_load.py                   # 2,000 searches, 300 filings per set-up
    .venv/bin/python benchmarks/instances_load.py --filings 600 --filing-concurrency 16 --rounds 2

It builds the knowledge base once (`deflect build`, as at deploy time), starts a real PostgreSQL
(Debian's, fsync on, as in production; tests/postgres_server.py) and a real Redis, then measures
each set-up in turn, every one behind Debian's nginx running docs/nginx/deflect.conf, with a real
SMTP server taking the mail (tests/several_instances.py starts and stops them, as for the tests):

- two `deflect serve --no-site` instances on PostgreSQL (DEFLECT_DATABASE_URL) with Redis limits
  (DEFLECT_RATE_LIMIT_STORAGE): section 6;
- one instance on SQLite with limits in memory, as `deflect serve` runs by default (section 1);
- one instance on PostgreSQL with limits in memory.

Against each: `GET /support/api/suggest` with customer questions as typing sends them (from
benchmarks/http_load.py, 32 clients), then requests filed through the API (the search step's
428 and the 201, two POSTs timed together; each filing from a customer address of its own and
to a mailbox of its own, so each gets a confirmation: two emails). Then it waits for the outbox
workers to deliver, reads the store (sqlite3 or psql) and the SMTP server's mail, and prints, side
by side: filings/s, p50/p95 of filing and suggest, errors by status, whether every accepted request
was stored once (and none lost) and every email delivered once. Everything (the clients and the SMTP
server in this process, too) runs on this machine's cores: compare within one run. Loopback only;
it stops everything it started, and exits 1 when a request was lost or stored or mailed twice.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the tests folder's servers are imported as a package
    sys.path.insert(0, str(ROOT))

from benchmarks.http_load import CUSTOMERS, Run, load, run_clients, typed_questions  # noqa: E402
from tests.helpers import copy_kb  # noqa: E402
from tests.postgres_server import PostgresServer  # noqa: E402
from tests.redis_server import RedisServer, start_redis  # noqa: E402
from tests.several_instances import Deployment, Stored, deployed, file_request, question  # noqa: E402

SETTINGS = {
    "DEFLECT_SECRET_KEY": "one-key-for-every-instance-0123456789",
    "DEFLECT_TRUSTED_PROXIES": "127.0.0.1",  # nginx: limits count per real client
    "DEFLECT_CONFIRMATIONS_PER_HOUR": "1000000",  # a busy helpdesk raises it: every filing mails twice
}
QUESTIONS = typed_questions()


@dataclass(frozen=True)
class SetUp:
    """One set-up to measure: how many instances, and whether the store and the limits are shared."""

    name: str
    instances: int
    postgres: bool
    redis: bool


SET_UPS = (
    SetUp("nginx + 2 instances, PostgreSQL, Redis limits", 2, True, True),
    SetUp("nginx + 1 instance, SQLite, memory limits", 1, False, False),
    SetUp("nginx + 1 instance, PostgreSQL, memory limits", 1, True, False),
)


@dataclass
class Filings:
    """What the filing customers saw: the timings, each accepted case with its marker, the failures."""

    run: Run
    accepted: dict[str, str] = field(default_factory=dict)  # case number -> marker
    failed: Counter = field(default_factory=Counter)  # (status (0: the connection broke), the answer's reason)


def file_many(port: int, count: int, concurrency: int, tag: str) -> Filings:
    """File `count` questions through nginx from `concurrency` clients, each from an address of its own."""
    filings, lock, numbers = Filings(Run("POST /support/api/requests")), threading.Lock(), iter(range(count))

    def client() -> None:
        while (n := next(numbers, None)) is not None:
            marker, source = f"{tag}-{n}", CUSTOMERS.address() or "127.0.0.1"
            started = time.perf_counter()
            status, answer = file_request(port, source, question(marker, f"customer{n}@springfield.example"))
            elapsed = time.perf_counter() - started
            with lock:
                if status == 201:
                    filings.run.latencies.append(elapsed)
                    filings.accepted[answer["case"]] = marker
                else:
                    filings.failed[status, reason(answer)] += 1
                    filings.run.errors[f"HTTP {status}"] = filings.run.errors.get(f"HTTP {status}", 0) + 1

    filings.run.seconds = run_clients(client, concurrency)
    return filings


def reason(answer: dict) -> str:
    """What a refusal said (the API's message, or its errors), shortened for the report."""
    text = answer.get("message") or answer.get("error") or str(answer.get("errors") or answer)
    return str(text)[:160]


@dataclass
class Outcome:
    """One set-up's figures and what its store and mail server hold afterwards."""

    setup: SetUp
    suggest: Run
    filings: Filings
    store: Stored
    mail_ids: Counter  # Message-ID -> times received
    drained: float  # seconds from the last filing until no message waited

    def stored_check(self) -> tuple[int, int, int, int]:
        """(accepted requests stored once with what was sent, stored twice, accepted but not stored,
        stored though the customer was refused)."""
        markers = Counter(marker_of(record) for record in self.store.requests.values())
        accepted = self.filings.accepted
        once = sum(1 for case, marker in accepted.items() if marker_of(self.store.requests.get(case)) == marker)
        refused_yet_stored = sum(1 for case in self.store.requests if case not in accepted)
        return once, sum(1 for n in markers.values() if n > 1), len(accepted) - once, refused_yet_stored

    def mail_check(self) -> tuple[int, int, int, int]:
        """(outbox messages, delivered, received once, received more than once)."""
        delivered = sum(1 for _, _, status in self.store.outbox if status == "delivered")
        once = sum(1 for n in self.mail_ids.values() if n == 1)
        return len(self.store.outbox), delivered, once, sum(1 for n in self.mail_ids.values() if n > 1)

    @property
    def sound(self) -> bool:
        """Every accepted request stored once, every message delivered and received once."""
        _, twice, lost, unanswered = self.stored_check()
        messages, delivered, received, again = self.mail_check()
        return twice == lost == unanswered == again == 0 and messages == delivered == received


def marker_of(record: dict | None) -> str | None:
    """The marker a filing's question ends with (tests/several_instances.py `question`)."""
    return record["fields"][0]["value"].rsplit(" ", 1)[1] if record else None


def measure(setup: SetUp, deployment: Deployment, args, tag: str) -> Outcome:
    """Searches, then filings, through nginx; then wait for the outbox and read the store and the mail."""
    port, paths = deployment.nginx_port, [f"/support/api/suggest?q={urllib.parse.quote_plus(q)}" for q in QUESTIONS]
    load("warm-up", "127.0.0.1", port, [f"/support/api/suggest?q=warm+up+{n}" for n in range(50)], 200, 8)
    suggest = load("GET /support/api/suggest", "127.0.0.1", port, paths, args.requests, args.concurrency)
    filings = file_many(port, args.filings, args.filing_concurrency, tag)
    finished = time.monotonic()
    store = deployment.wait_until_delivered(timeout=300)
    drained = time.monotonic() - finished
    time.sleep(1)  # a message sent twice gets a moment to arrive the second time too
    ids = Counter(message.message["Message-ID"] for message in deployment.smtp.received)
    return Outcome(setup, suggest, filings, store, ids, drained)


def run_set_up(setup: SetUp, root: Path, kb: Path, index: Path, servers: dict, args, tag: str) -> Outcome:
    """Deploy one set-up on its own data folder (the shipped index copied in), measure it, stop it."""
    data = root / "var"
    shutil.copytree(index, data / "index")
    env = dict(SETTINGS)
    if setup.postgres:
        env["DEFLECT_DATABASE_URL"] = servers["postgres"].url(servers["postgres"].create_database())
    if setup.redis:
        env["DEFLECT_RATE_LIMIT_STORAGE"] = servers["redis"].url
    with deployed(root, kb, data, env, count=setup.instances) as deployment:
        print(f"== {setup.name}: {deployment.nginx_port}", flush=True)
        outcome = measure(setup, deployment, args, tag)
    print(details(outcome), flush=True)
    return outcome


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def errors(run: Run) -> str:
    return ", ".join(f"{n} {status}" for status, n in sorted(run.errors.items())) or "0"


def details(outcome: Outcome) -> str:
    """The outcome's lines: the two loads, then the store and the mail."""
    once, twice, lost, unanswered = outcome.stored_check()
    messages, delivered, received, again = outcome.mail_check()
    return (
        f"  {outcome.suggest.line()}\n  {outcome.filings.run.line()}\n"
        f"  stored: {once} of {len(outcome.filings.accepted)} accepted stored once with what was sent, "
        f"{twice} stored twice, {lost} lost, {unanswered} stored though refused; "
        f"{len(outcome.store.requests)} requests in the store\n"
        f"  mail: {messages} outbox messages, {delivered} delivered, {received} received once, {again} more than "
        f"once; outbox empty {outcome.drained:.1f} s after the last filing"
    ) + "".join(f"\n  refused {n}x: {status} {why}" for (status, why), n in outcome.filings.failed.items())


def table(outcomes: list[Outcome]) -> str:
    """The figures side by side, as a Markdown table."""
    lines = [
        "| set-up | filings/s | filing p50 / p95 | filing errors | suggest req/s | suggest p50 / p95 | suggest "
        "errors | stored once (lost, twice, refused yet stored) | emails delivered once (twice) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for o in outcomes:
        filed, suggest = o.filings.run, o.suggest
        once, twice, lost, unanswered = o.stored_check()
        messages, _, received, again = o.mail_check()
        lines.append(
            f"| {o.setup.name} | {filed.rate:.1f} | {ms(filed.percentile(50))} / {ms(filed.percentile(95))} | "
            f"{errors(filed)} | {suggest.rate:.0f} | {ms(suggest.percentile(50))} / {ms(suggest.percentile(95))} | "
            f"{errors(suggest)} | {once} of {len(o.filings.accepted)} ({lost}, {twice}, {unanswered}) | "
            f"{received} of {messages} ({again}) |"
        )
    return "\n".join(lines)


def build(kb: Path, data: Path, semantic: bool) -> None:
    """`deflect build` once, as at deploy time (it says which search mode it built)."""
    command = [sys.executable, "-m", "deflect", "build", "--kb", str(kb), *([] if semantic else ["--no-semantic"])]
    subprocess.run(command, env={**os.environ, "DEFLECT_DATA_DIR": str(data)}, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="searches per set-up (default 2000)")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent searching clients (default 32)")
    parser.add_argument("--filings", type=int, default=300, help="requests filed per set-up (default 300)")
    parser.add_argument("--filing-concurrency", type=int, default=8, help="concurrent filing clients (default 8)")
    parser.add_argument("--rounds", type=int, default=1, help="measure every set-up this many times, in turn")
    parser.add_argument("--set-ups", default="1,2,3", help="which set-ups, by number (default 1,2,3: all)")
    parser.add_argument("--no-semantic", action="store_true", help="build a lexical index only")
    args = parser.parse_args()
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="deflect-instances-") as folder, contextlib.ExitStack() as stack:
        root = Path(folder)
        kb = copy_kb(root / "release").root
        build(kb, root / "build", semantic=not args.no_semantic)
        postgres = PostgresServer(durable=True).start()
        stack.callback(postgres.remove)
        redis: RedisServer = start_redis(root / "redis")
        stack.callback(redis.stop)
        servers = {"postgres": postgres, "redis": redis}
        for n in range(args.rounds):
            for s, setup in enumerate(SET_UPS):
                if str(s + 1) not in args.set_ups.split(","):
                    continue
                where = root / f"round-{n + 1}-set-up-{s + 1}"
                outcomes.append(run_set_up(setup, where, kb, root / "build" / "index", servers, args, f"R{n}S{s}"))
    print(
        f"\n{args.requests} searches ({args.concurrency} clients) and {args.filings} filings "
        f"({args.filing_concurrency} clients) per set-up\n"
    )
    print(table(outcomes))
    return 0 if all(o.sound for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
