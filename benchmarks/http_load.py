"""HTTP load on the served app: /support/api/suggest beside a trivial endpoint of the same server.

Usage (from the repository root):

    .venv/bin/python benchmarks/http_load.py                       # 2,000 requests each, 32 clients
    .venv/bin/python benchmarks/http_load.py --requests 3000 --concurrency 64 --threads 16
    .venv/bin/python benchmarks/http_load.py --url http://127.0.0.1:8000/   # a server already running
    .venv/bin/python benchmarks/http_load.py --filings 300   # and 300 requests filed through the API

It starts the real `deflect serve` (waitress, one process) on a free loopback port, with a copy of
the knowledge base and a fresh data dir in a temporary folder, then sends a bounded load: a fixed
number of requests at a fixed concurrency, each client a thread with one keep-alive connection.
First `/support/healthz` (a constant "ok": Flask, routing and waitress only), then
`/support/api/suggest?q=...` with customer questions as typing produces them: every word prefix,
from two words on, of the 80 questions of benchmarks/sample_queries.jsonl, in order, so a question
repeats only after all the others were asked. It prints requests/s, p50 and p99 latency and errors
for both, and suggest's throughput as a share of the trivial endpoint's.

Each client thread plays one customer after another: a customer opens a connection from a loopback
address of their own (127.0.0.2, 127.0.0.3, ...), sends --per-customer requests on it (keep-alive),
and leaves. The app limits suggestions per client address (SUGGEST_RATE_LIMIT, 120 a minute), as it
should in production; where the machine cannot bind those addresses every request comes from
127.0.0.1 and the limit answers 429 (counted as errors).
Loopback only; the load stops by itself. Figures vary with the machine: compare within one run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "benchmarks" / "sample_queries.jsonl"
GOAL_SHARE, GOAL_P99 = 0.05, 1.0


def typed_questions(path: Path = QUESTIONS) -> list[str]:
    """Every word prefix (two words or more) of each question, as a customer's typing sends them."""
    questions = [json.loads(line)["q"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    prefixes = []
    for question in questions:
        words = question.split()
        prefixes.extend(" ".join(words[:n]) for n in range(2, len(words) + 1))
    return list(dict.fromkeys(prefixes))


@dataclass
class Run:
    """The outcome of one bounded load."""

    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")

    def line(self) -> str:
        errors = sum(self.errors.values())
        detail = f" ({', '.join(f'{k}: {v}' for k, v in self.errors.items())})" if errors else ""
        return (
            f"{self.name:<26} {len(self.latencies):>6} ok {errors:>5} errors {self.rate:>9.1f} req/s "
            f"p50 {self.percentile(50) * 1000:>7.1f} ms  p99 {self.percentile(99) * 1000:>7.1f} ms{detail}"
        )


class Customers:
    """Loopback source addresses, one per customer: 127.0.0.2, 127.0.0.3, ... (None: can't bind them)."""

    SPAN = 254 * 256 * 256

    def __init__(self):
        self.lock, self.next = threading.Lock(), 1
        try:
            with socket.socket() as probe:
                probe.bind(("127.0.0.2", 0))
            self.usable = True
        except OSError:
            self.usable = False

    def address(self) -> str | None:
        with self.lock:
            n, self.next = self.next, self.next % (self.SPAN - 1) + 1  # never 0, which is 127.0.0.1
        return f"127.{n // (254 * 256)}.{n // 254 % 256}.{n % 254 + 1}" if self.usable else None


CUSTOMERS = Customers()


def load(
    name: str, host: str, port: int, paths: list[str], requests: int, concurrency: int, per_customer: int = 20
) -> Run:
    """Send `requests` GETs (paths taken in turn) from `concurrency` clients; stop when all are answered."""
    run, lock, next_index = Run(name), threading.Lock(), iter(range(requests))

    def client() -> None:
        connection, sent = None, 0
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                break
            if connection is not None and sent >= per_customer:
                connection.close()
                connection = None
            if connection is None:
                address, sent = CUSTOMERS.address(), 0
                connection = http.client.HTTPConnection(
                    host, port, timeout=30, source_address=(address, 0) if address else None
                )
            sent += 1
            started = time.perf_counter()
            try:
                connection.request("GET", paths[index % len(paths)], headers={"Accept": "application/json"})
                response = connection.getresponse()
                response.read()
                outcome = None if response.status == 200 else f"HTTP {response.status}"
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as error:
                outcome = type(error).__name__
                connection.close()
                connection = None
            elapsed = time.perf_counter() - started
            with lock:
                if outcome:
                    run.errors[outcome] = run.errors.get(outcome, 0) + 1
                else:
                    run.latencies.append(elapsed)
        if connection is not None:
            connection.close()

    run.seconds = run_clients(client, concurrency)
    return run


FILING = {
    "form": "question",
    "subject": "[QUESTION] Bonus points for quizzes finished early",
    "fields": {
        "question": "How do I give bonus points for quizzes finished early?",
        "organisation": "Springfield University",
        "plan": "standard",
    },
}


def file_requests(name: str, host: str, port: int, requests: int, concurrency: int) -> Run:
    """File `requests` questions through the API (the search step, then the request: two POSTs) from
    `concurrency` clients, each filing from a customer address of its own; latency is both POSTs."""
    run, lock, next_index = Run(name), threading.Lock(), iter(range(requests))

    def post(connection, body: dict) -> tuple[int, dict]:
        connection.request("POST", "/support/api/requests", json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")

    def client() -> None:
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            address = CUSTOMERS.address()
            body = dict(FILING, email=f"customer{index % 50}@springfield.example")
            started = time.perf_counter()
            connection = http.client.HTTPConnection(
                host, port, timeout=30, source_address=(address, 0) if address else None
            )
            try:
                status, answer = post(connection, body)
                if status == 428:
                    status, answer = post(connection, dict(body, deflect_token=answer["deflect_token"]))
                outcome = None if status == 201 else f"HTTP {status}"
            except (OSError, http.client.HTTPException, ValueError) as error:
                outcome = type(error).__name__
            finally:
                connection.close()
            elapsed = time.perf_counter() - started
            with lock:
                if outcome:
                    run.errors[outcome] = run.errors.get(outcome, 0) + 1
                else:
                    run.latencies.append(elapsed)

    run.seconds = run_clients(client, concurrency)
    return run


def run_clients(client: Callable[[], None], concurrency: int) -> float:
    """Run `client` in `concurrency` threads at once; return the seconds until the last one ended."""
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    kb: Path, workdir: Path, threads: int, settings: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    """`deflect serve` on a copy of the knowledge base in `workdir` (`settings` on top); wait until it answers."""
    copy = workdir / "project"
    shutil.copytree(kb, copy / kb.name)
    if (kb.parent / "mkdocs.yml").is_file() and not (kb / "mkdocs.yml").is_file():
        shutil.copy2(kb.parent / "mkdocs.yml", copy / "mkdocs.yml")
    port = free_port()
    env = {**os.environ, "DEFLECT_DATA_DIR": str(workdir / "var"), "PYTHONUNBUFFERED": "1"}
    env.pop("DEFLECT_SMTP_URL", None)
    env.update(settings or {})
    with (workdir / "serve.log").open("wb") as log:  # the server keeps its own copy of the descriptor
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "deflect",
                "serve",
                "--kb",
                str(copy / kb.name),
                "--port",
                str(port),
                "--threads",
                str(threads),
            ],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url + "support/healthz", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"deflect serve did not start:\n{(workdir / 'serve.log').read_text()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per endpoint (default 2000)")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--threads", type=int, default=8, help="server threads, `deflect serve --threads`")
    parser.add_argument("--kb", type=Path, default=ROOT / "kb", help="knowledge base to serve (default kb/)")
    parser.add_argument("--url", help="measure a server already running at this URL instead of starting one")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests first (default 200)")
    parser.add_argument(
        "--filings",
        type=int,
        default=0,
        help="also file this many requests through the API, each from a customer address of its own (default 0)",
    )
    parser.add_argument(
        "--filing-concurrency",
        type=int,
        default=8,
        help="concurrent clients filing (default 8; more make SQLite answer 503 'try again' to some)",
    )
    parser.add_argument(
        "--per-customer",
        type=int,
        default=20,
        help="requests per customer connection, as one customer typing (default 20)",
    )
    args = parser.parse_args()

    questions = typed_questions()
    paths = [f"/support/api/suggest?q={urllib.parse.quote_plus(q)}" for q in questions]
    with tempfile.TemporaryDirectory(prefix="deflect-load-") as folder:
        process = None
        url = args.url
        if url is None:
            process, url = start_server(args.kb.resolve(), Path(folder), args.threads)
        parts = urllib.parse.urlsplit(url)
        host, port = parts.hostname, parts.port or 80
        try:
            print(
                f"{url}  {args.requests} requests per endpoint, {args.concurrency} clients, "
                f"{args.threads} server threads; {len(questions)} distinct questions\n"
            )
            warm = [f"/support/api/suggest?q=warm+up+{n}" for n in range(50)]  # not among the questions
            load("warm-up", host, port, ["/support/healthz", *warm], args.warmup, args.concurrency, args.per_customer)
            trivial = load(
                "GET /support/healthz",
                host,
                port,
                ["/support/healthz"],
                args.requests,
                args.concurrency,
                args.per_customer,
            )
            print(trivial.line())
            suggest = load(
                "GET /support/api/suggest", host, port, paths, args.requests, args.concurrency, args.per_customer
            )
            print(suggest.line())
            if args.filings:
                filed = file_requests("POST /support/api/requests", host, port, args.filings, args.filing_concurrency)
                print(filed.line() + "  (a filing: the search step and the request)")
        finally:
            if process is not None:
                process.send_signal(signal.SIGINT)
                process.wait(30)
    share = suggest.rate / trivial.rate if trivial.rate else 0.0
    p99 = suggest.percentile(99)
    print(
        f"\nsuggest / healthz throughput: {share:.1%} (goal >= {GOAL_SHARE:.0%}); suggest p99 "
        f"{p99 * 1000:.0f} ms (goal < {GOAL_P99 * 1000:.0f} ms); "
        f"{'all goals met' if share >= GOAL_SHARE and p99 < GOAL_P99 and not suggest.errors else 'goal missed'}"
    )
    return 1 if trivial.errors or suggest.errors or (args.filings and filed.errors) else 0


if __name__ == "__main__":
    sys.exit(main())
