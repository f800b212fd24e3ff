"""Hostile inputs against `deflect serve`, through every door; prints what broke and how to reproduce it.

Usage (from the repository root, with the test extra installed: `scripts/bootstrap test`):

    .venv/bin/python benchmarks/attack.py                          # 10,000 inputs, seed 0
    .venv/bin/python benchmarks/attack.py --examples 50000 --seed 7
    .venv/bin/python benchmarks/attack.py --url http://127.0.0.1:8000/   # a server already running (no mail check)
    .venv/bin/python benchmarks/attack.py --replay REPORT/500-0001.json  # send one reproducer again

Hypothesis draws each input (benchmarks/attack_doors.py): filings through the JSON API and the HTML
form with hostile values (huge, nested, wrong types, lone surrogates, control characters, RFC 2047
encoded-words, CR/LF header tricks, Unicode tricks, repeated keys), with and without their tokens,
the search and feedback endpoints, the deflection and thank-you pages, odd paths, methods and
headers on the static site. Unless given --url, it starts `deflect serve` on a copy of kb/ with a
real SMTP server (aiosmtpd) on loopback and inspects every message that server receives.

It prints the inputs sent, the answers by status (429s, the per-client rate limits, apart), every
500, every answer slower than 2 s, HTML pages that echo markup unescaped, and every message whose
header lines, recipients or MIME parts input reshaped (benchmarks/attack_mail.py), each with a
reproducer file. Inputs come from many loopback addresses (127.x.y.z), so the per-client limits
rarely answer 429. Loopback only; the run is bounded by --examples and stops by itself.
Exit status 1 when anything of the above was found.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the benchmarks and tests folders are imported as packages
    sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402

from benchmarks.attack_client import Answer, Client, Exchange  # noqa: E402
from benchmarks.attack_doors import api_body, probes  # noqa: E402
from benchmarks.attack_inputs import MARKERS, Probe, encode_json  # noqa: E402
from benchmarks.attack_mail import MailFinding, header_lines, inspect, normal_forms  # noqa: E402
from benchmarks.attack_report import describe, lines  # noqa: E402
from benchmarks.http_load import start_server  # noqa: E402

SLOW = 2.0
LONG_HEADER = 8 * 1024  # nginx's largest default proxy buffer for an upstream's headers
PROGRESS = 1000  # a line on stderr every so many inputs
SETUP_DOOR = "GET pages opened first (for their tokens)"
FAILURES = ("500", "slow", "markup", "header", "recipient", "mime", "script error")


@dataclass
class Finding:
    """Something an input broke, with the probe that did it (saved as a reproducer file)."""

    kind: str
    probe: Probe | None
    detail: str
    file: Path | None = None


@dataclass
class Tally:
    """What the run sent and got, shared by the client threads."""

    inputs: int = 0
    requests: Counter = field(default_factory=Counter)  # "input" / "setup"
    statuses: Counter = field(default_factory=Counter)  # (door, status or None)
    findings: list[Finding] = field(default_factory=list)
    cases: dict[str, Probe] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, probe: Probe, exchange: Exchange) -> None:
        """Count one probe's answers and keep what they broke."""
        found = [f for role, answer in exchange.answers for f in answer_findings(probe, answer, role)]
        with self.lock:
            self.inputs += 1
            for role, answer in exchange.answers:
                self.requests[role] += 1
                self.statuses[(probe.door if role == "input" else SETUP_DOOR, answer.status)] += 1
            self.findings.extend(found)
            if exchange.case:
                self.cases[exchange.case] = probe
            if self.inputs % PROGRESS == 0:
                print(
                    f"  {self.inputs:,} inputs sent, {len(self.cases):,} requests filed, "
                    f"{len(self.findings):,} findings so far",
                    file=sys.stderr,
                    flush=True,
                )


def answer_findings(probe: Probe, answer: Answer, role: str) -> list[Finding]:
    """A 500, a slow answer, no answer, a header too long for a proxy, or an HTML page showing markup as sent."""
    where = "" if role == "input" else " (on the page opened first)"
    found = []
    if answer.status == 500:
        found.append(Finding("500", probe, f"500{where}: {answer.body[:200]!r}"))
    if answer.seconds > SLOW:
        found.append(Finding("slow", probe, f"{answer.seconds:.1f} s{where}, status {answer.status}"))
    if answer.status is None:
        found.append(Finding("no answer", probe, answer.error + where))
    found += [
        Finding("long header", probe, f"a {name} header of {len(v):,} bytes{where}: a proxy in front refuses it")
        for name, values in answer.headers.items()
        for v in values
        if len(v) > LONG_HEADER
    ]
    if "text/html" in answer.header("content-type"):
        page = answer.body.decode("utf-8", "replace")
        found += [Finding("markup", probe, f"the page shows {m!r} unescaped{where}") for m in MARKERS if m in page]
    return found


# --- The server and its mail -----------------------------------------------------------------


@dataclass
class Served:
    """The server the run attacks: its URL, and when the run started it, its process, data dir and SMTP server."""

    url: str
    kb: Path
    process: object = None
    data_dir: Path | None = None
    smtp: object = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(30)
        if self.smtp is not None:
            self.smtp.stop()


def serve(kb: Path, workdir: Path, threads: int) -> Served:
    """`deflect serve` on a copy of `kb`, sending mail to a real SMTP server on loopback."""
    from tests.loopback import SmtpServer  # aiosmtpd: the test extra

    smtp = SmtpServer().start()
    try:
        process, url = start_server(kb, workdir, threads, {"DEFLECT_SMTP_URL": smtp.url})
    except BaseException:
        smtp.stop()
        raise
    return Served(url, kb, process, workdir / "var", smtp)


def outbox(served: Served, status: str) -> list:
    """The server's outbox entries with this status (its store, read directly)."""
    from deflect.store.sqlite import Store

    return Store.in_data_dir(served.data_dir).list_outbox((status,))


def wait_for_outbox(served: Served, timeout: float) -> None:
    """Until every message filed has been delivered or has failed (bounded by `timeout`)."""
    deadline = time.monotonic() + timeout
    while outbox(served, "pending") and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(0.5)  # the SMTP server records a message just after it answers


def baseline(client: Client, served: Served) -> set[str]:
    """File one benign request; the header names of its two messages are the ones deflect writes."""
    body = encode_json(api_body("problem"), False)
    probe = Probe(
        "baseline", "POST", b"/support/api/requests", [(b"Content-Type", b"application/json")], body, step="token"
    )
    case = client.send(probe).case
    if case is None:
        raise SystemExit("the benign baseline filing was not accepted: is this deflect, with its kb/?")
    deadline = time.monotonic() + 60
    while len([r for r in served.smtp.received if case in r.data.decode("utf-8", "replace")]) < 2:
        if time.monotonic() > deadline:
            raise SystemExit(f"the baseline filing {case}'s two messages did not reach the SMTP server within 60 s")
        time.sleep(0.2)
    return {name.strip().lower() for r in served.smtp.received for name, _ in header_lines(r.data)}


def mail_findings(served: Served, tally: Tally, expected: set[str]) -> list[Finding]:
    """Inspect every message the SMTP server received; tie each finding to the probe that filed its case."""
    from deflect.policy.reader import load_policy

    policy = load_policy(served.kb / "support.yml")
    routes = {policy.organisation["support_email"].casefold()} | {r.to.casefold() for r in policy.routes}
    every_typed = {form for p in tally.cases.values() for a in p.typed_emails for form in normal_forms(a)}

    def allowed(case: str | None) -> set[str]:
        probe = tally.cases.get(case or "")
        typed = {form for a in probe.typed_emails for form in normal_forms(a)} if probe else every_typed
        return routes | typed

    found: list[MailFinding] = []
    for received in list(served.smtp.received):
        found += inspect(received.data, received.rcpt_tos, expected, allowed)
    return [Finding(f.kind, tally.cases.get(f.case or ""), f"case {f.case}: {f.detail}") for f in found]


# --- The run ---------------------------------------------------------------------------------


def generate(examples: int, seed: int, submit) -> None:
    """Draw `examples` probes with Hypothesis (reproducible for a seed) and hand each to `submit`."""

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis_seed(seed)
    @given(probes)
    def one(probe: Probe) -> None:
        submit(probe)

    one()


def attack(client: Client, examples: int, seed: int, concurrency: int) -> Tally:
    """Send the probes from `concurrency` threads, at most that many in flight."""
    tally, slots = Tally(), threading.BoundedSemaphore(concurrency)

    def work(probe: Probe) -> None:
        try:
            tally.record(probe, client.send(probe))
        except Exception as error:  # a bug of this script must show, not vanish in a thread
            with tally.lock:
                tally.findings.append(Finding("script error", probe, f"{type(error).__name__}: {error}"))
        finally:
            slots.release()

    with ThreadPoolExecutor(concurrency, thread_name_prefix="attack") as pool:

        def submit(probe: Probe) -> None:
            slots.acquire()
            pool.submit(work, probe)

        generate(examples, seed, submit)
    return tally


@dataclass
class Summary:
    """The figures of one run, and its findings."""

    url: str
    seed: int
    seconds: float
    tally: Tally
    mail_checked: bool
    messages: int = 0
    failed_outbox: Counter = field(default_factory=Counter)

    def count(self, kind: str) -> int:
        return sum(1 for f in self.tally.findings if f.kind == kind)

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.tally.findings if f.kind in FAILURES]


def run(
    examples: int = 10_000,
    seed: int = 0,
    url: str | None = None,
    kb: Path = ROOT / "kb",
    concurrency: int = 4,
    threads: int = 8,
    timeout: float = 30.0,
    report: Path | None = None,
) -> Summary:
    """Start a server (unless `url`), attack it, inspect its mail, save reproducers; return the figures."""
    with tempfile.TemporaryDirectory(prefix="deflect-attack-") as folder:
        served = Served(url, kb.resolve()) if url else serve(kb.resolve(), Path(folder), threads)
        try:
            client = Client(served.url, timeout)
            expected = baseline(client, served) if served.smtp else set()
            started = time.perf_counter()
            tally = attack(client, examples, seed, concurrency)
            seconds = time.perf_counter() - started
            summary = Summary(served.url, seed, seconds, tally, mail_checked=served.smtp is not None)
            if served.smtp:
                wait_for_outbox(served, timeout=120 + 0.2 * len(tally.cases))
                tally.findings.extend(mail_findings(served, tally, expected))
                summary.messages = len(served.smtp.received)
                summary.failed_outbox = Counter(e.last_error for e in outbox(served, "failed"))
        finally:
            served.stop()
    save_reproducers(summary, report)
    return summary


def save_reproducers(summary: Summary, report: Path | None) -> None:
    """Write one JSON file per finding (the probe and what it broke) into `report` (a new temp dir by default)."""
    if not summary.tally.findings:
        return
    report = Path(report or tempfile.mkdtemp(prefix="deflect-attack-report-"))
    report.mkdir(parents=True, exist_ok=True)
    numbers: Counter = Counter()
    for finding in summary.tally.findings:
        numbers[finding.kind] += 1
        finding.file = report / f"{finding.kind.replace(' ', '-')}-{numbers[finding.kind]:04d}.json"
        probe = finding.probe.to_json() if finding.probe else None
        finding.file.write_text(json.dumps({"kind": finding.kind, "detail": finding.detail, "probe": probe}, indent=1))


def replay(path: Path, url: str | None, kb: Path, threads: int, timeout: float) -> int:
    """Send one reproducer again (to a fresh server unless `url`); print each answer."""
    data = json.loads(Path(path).read_text())
    probe = Probe.from_json(data["probe"])
    print(f"{data['kind']}: {data['detail']}\n  sending: {describe(probe)}")
    with tempfile.TemporaryDirectory(prefix="deflect-attack-") as folder:
        served = Served(url, kb.resolve()) if url else serve(kb.resolve(), Path(folder), threads)
        try:
            for role, answer in Client(served.url, timeout).send(probe).answers:
                print(f"  {role}: {answer.status or answer.error} in {answer.seconds:.2f} s: {answer.body[:300]!r}")
        finally:
            served.stop()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=10_000, help="hostile inputs to draw (default 10,000)")
    parser.add_argument("--seed", type=int, default=0, help="Hypothesis seed: the same seed sends the same inputs")
    parser.add_argument("--url", help="attack a server already running here (loopback) instead of starting one")
    parser.add_argument("--kb", type=Path, default=ROOT / "kb", help="knowledge base to serve (default kb/)")
    parser.add_argument("--concurrency", type=int, default=4, help="inputs in flight at once (default 4)")
    parser.add_argument("--threads", type=int, default=8, help="server threads, `deflect serve --threads`")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for one answer (default 30)")
    parser.add_argument("--report", type=Path, help="folder for the reproducer files (default: a new temporary one)")
    parser.add_argument(
        "--replay", type=Path, metavar="FILE", help="send one reproducer file again and print the answers"
    )
    args = parser.parse_args()
    if args.replay:
        return replay(args.replay, args.url, args.kb, args.threads, args.timeout)
    summary = run(
        args.examples, args.seed, args.url, args.kb, args.concurrency, args.threads, args.timeout, args.report
    )
    command = f"{Path(sys.executable).name} benchmarks/attack.py --replay FILE" + (
        f" --url {args.url}" if args.url else ""
    )
    print("\n".join(lines(summary, command)))
    return 1 if summary.failures else 0


if __name__ == "__main__":
    sys.exit(main())
