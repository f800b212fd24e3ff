"""What hostile input costs: each text rule and the guard on the worst shapes, and each endpoint end to end.

Usage (from the repository root):

    .venv/bin/python benchmarks/hostile_cost.py             # both parts
    .venv/bin/python benchmarks/hostile_cost.py --rules     # part 1 only: no server
    .venv/bin/python benchmarks/hostile_cost.py --search    # first look for worse guard shapes (about a minute)

Part 1 times every rule customer text reaches (the personal-data guard and each of its patterns, the
field rules' STEP, FILLER and URL patterns, the subject rule, the length bound, the JSON depth
pre-scan, the email check, the search step and snippets) on the worst shapes found for it: runs that a quadratic
pattern rescans from every start. Each at the largest value the app lets through to that rule
(10,000 characters for a textarea, 500 for a query, ...), then at 2x and 4x: linear time grows
4x from the first column to the last. Beside them, plain support prose of the same length. Best
of --repeat runs.

Part 2 starts the real `deflect serve` (waitress) on a copy of kb/ and sends each endpoint its
worst input, --repeat times, each from a loopback address of its own (so the per-client limits do
not answer instead), beside GET /support/healthz and the same endpoint with plain input of the
same size. It prints status, p50 and max, and p50 as a multiple of healthz's.
Figures vary with the machine: compare within one run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import signal
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from http_load import CUSTOMERS, start_server

from deflect.intake import bounds as input_bounds
from deflect.intake import guard, subject
from deflect.intake import rules as request_rules
from deflect.kb.pages import read_folder
from deflect.ranking.snippets import make_snippet
from deflect.search import SearchIndex, build_index

ROOT = Path(__file__).resolve().parent.parent
PROSE = (
    "Learner 4411 completes quiz 9 in course 123 and Moodle marks the quiz complete, but the Orbit "
    "balance does not change and the webhook log shows no error at all. "
)
# The worst shapes found for the guard (benchmarks/hostile_cost.py --search finds more): runs the
# old email pattern rescanned from every start, a JWT prefix after a hyphen, keyword runs.
GUARD_SHAPES = [
    "a",
    "a.",
    "1",
    "1-",
    "x@",
    "-eyJAB",
    "+44 x@",
    "password is a",
    "1 ab ab ",
    "3 ",
    "ssn 3 +44 '",
    "12bearer :\n",
    "_3 )a",
    "':_/",
    "born 1 ",
]
RULE_SHAPES = {
    "steps (STEP, lines)": (request_rules.count_steps, [" ", "\n", " -  ", " 1.", "- \n", "1) "]),
    "placeholder (FILLER)": (request_rules.FILLER.match, [" ", "-", "?", "<a", "lorem ipsum a", "[a", "."]),
    "plain text (_plain)": (request_rules._plain, ["!", "a!", " "]),
    "length bound": (input_bounds.length, [" ", "\r\n", "a"]),
}
QUERY_SHAPES = {
    "one long word": "qwertyuiopasdfghjklzxcvbnm",
    "long unknown words": "qwertyuiopasdfghjkl ",
    "7-letter unknown words": "xqzvwkp ",
    "digits": "1234 ",
    "dotted": "a.b",
}


def best(function: Callable, argument, repeat: int) -> float:
    """The fastest of `repeat` calls, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function(argument)
        times.append(time.perf_counter() - started)
    return min(times)


def fill(unit: str, size: int) -> str:
    """`unit` repeated to exactly `size` characters."""
    return (unit * (size // len(unit) + 1))[:size]


def row(label: str, function: Callable, unit: str, sizes: tuple[int, ...], repeat: int, prose: float | None) -> float:
    """Print one shape's times at each size, its growth and its cost beside prose; return the first time."""
    times = [best(function, fill(unit, size), repeat) for size in sizes]
    beside = f"{'1.0':>8}" if prose is None else f"{times[0] / prose:>8.1f}" if prose > 5e-6 else f"{'-':>8}"
    print(
        f"  {label:<34.34} "
        + " ".join(f"{t * 1000:>9.2f}" for t in times)
        + f"   x{times[-1] / max(times[0], 1e-9):>4.1f} {beside}"
    )
    return times[0]


def table(
    title: str, function: Callable, shapes: list[str], sizes: tuple[int, ...], repeat: int, prose: str = PROSE
) -> None:
    """One rule: plain prose first, then every shape."""
    print(f"\n{title}\n  {'shape':<34} " + " ".join(f"{s:>7,} ch" for s in sizes) + "   growth  x prose")
    baseline = row("plain prose (baseline)", function, prose, sizes, repeat, None)
    for unit in shapes:
        row(repr(unit), function, unit, sizes, repeat, baseline)


def guard_tables(repeat: int, shapes: list[str]) -> None:
    """The whole guard (scan and redact), then each pattern on its own worst shape."""
    sizes = (10_000, 20_000, 40_000)
    table(
        "guard: scan + redact (ms)",
        lambda text: (guard.scan("f", text, {}), guard.redact(text, {})),
        shapes,
        sizes,
        repeat,
    )
    print(
        f"\nguard: each pattern on its worst shape (ms)\n  {'pattern (worst shape)':<34} "
        + " ".join(f"{s:>7,} ch" for s in sizes)
        + "   growth  x prose"
    )
    for kind, _, pattern, _ in guard.PATTERNS:

        def find(text, pattern=pattern):
            return list(pattern.finditer(text))

        worst = max(shapes, key=lambda unit: best(find, fill(unit, sizes[0]), 1))
        prose = best(find, fill(PROSE, sizes[0]), repeat)
        row(f"{kind} ({worst!r})", find, worst, sizes, repeat, prose)


def search_for_shapes(count: int = 600, seed: int = 5) -> list[str]:
    """Random short units of the characters and words the patterns care about; the slowest first."""
    atoms = [
        "a",
        "A",
        "1",
        "12",
        ".",
        "-",
        "@",
        " ",
        "+",
        ":",
        "=",
        "(",
        ")",
        "'",
        '"',
        "_",
        "\n",
        "/",
        "password",
        " is ",
        "born ",
        "ssn ",
        "x@",
        "eyJ",
        "sk_live_",
        "bearer ",
        "token",
        "Street",
        "st",
        "March ",
        "3 ",
        "00",
        "+44 ",
        "AB",
    ]
    rng = random.Random(seed)
    units = atoms + ["".join(rng.sample(atoms, rng.randint(2, 4))) for _ in range(count)]

    def cost(unit):
        return best(lambda text: (guard.scan("f", text, {}), guard.redact(text, {})), fill(unit, 10_000), 1)

    return sorted(units, key=cost, reverse=True)[:8]


def search_tables(repeat: int) -> None:
    """The search step on 500-character queries (what suggestions() searches), 2x and 4x; snippets."""
    with tempfile.TemporaryDirectory(prefix="deflect-hostile-") as folder:
        build_index(read_folder(ROOT / "kb" / "docs"), Path(folder) / "index")
        index = SearchIndex.open(Path(folder) / "index")
        index.search("warm up the searcher")
        print(
            f"\nsearch: one query (ms)\n  {'shape':<34} "
            + " ".join(f"{s:>7,} ch" for s in (500, 1000, 2000))
            + "   growth  x prose"
        )
        baseline = row(
            "plain question (baseline)",
            index.search,
            "students not receiving points for quizzes ",
            (500, 1000, 2000),
            repeat,
            None,
        )
        for label, unit in QUERY_SHAPES.items():
            row(label, index.search, unit, (500, 1000, 2000), repeat, baseline)
        index.close()
    matches = lambda word: word if word in ("points", "quiz") else None  # noqa: E731
    table(
        "snippet of an article section where the query's words match thousands of times (ms)",
        lambda text: make_snippet(text, matches),
        ["points quiz ", "points "],
        (10_000, 20_000, 40_000),
        repeat,
    )


def rule_tables(repeat: int, shapes: list[str]) -> None:
    """Part 1: every rule at its largest allowed input, 2x and 4x."""
    print(
        "Part 1: the rules on their own. Columns: ms at the largest input the app lets through, 2x, 4x;\n"
        "growth from the first to the last column (linear: 4); cost beside plain prose of the same length."
    )
    guard_tables(repeat, shapes)
    for title, (function, units) in RULE_SHAPES.items():
        table(f"{title} (ms)", function, units, (10_000, 20_000, 40_000), repeat)
    table(
        "web address format (URL) (ms)",
        request_rules.URL.match,
        ["https://a", "https://" + "a" * 20 + " "],
        (500, 1000, 2000),
        repeat,
        prose="https://example.com/course/123?tab=quiz&learner=4411",
    )
    tags = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INTEGRATION"]
    table(
        "subject rule (SHAPE, tag, summary) (ms)",
        lambda s: subject.check(s, tags, 10, 120),
        ["[", "[HIGH] ", "[" + "H" * 30, "[HIGH]\t"],
        (184, 368, 736),
        repeat,
    )
    table(
        "JSON depth pre-scan (ms)",
        lambda text: input_bounds.json_too_deep(text.encode()),
        ["[", '"\\"', '["', "[]"],
        (128 * 1024, 256 * 1024, 512 * 1024),
        repeat,
        prose=json.dumps({"fields": {"impact": PROSE}}),
    )
    email_table(repeat)
    search_tables(repeat)


def email_table(repeat: int) -> None:
    """The email check (email-validator) at the bound, 254 characters: longer is refused unread."""
    shapes = {
        "plain address (baseline)": "jane.doe@springfield.example",
        "long local part": "a" * 240 + "@example.com",
        "dotted domain": "a@" + "a." * 125 + "io",
        "hyphenated domain": "a@" + "a-" * 125 + "b.io",
        "accented domain": "a@" + "é" * 240 + ".io",
        "quoted local part": '"' + "\\a" * 120 + '"@x.io',
        "long labels": "a" * 64 + "@" + ("b" * 63 + ".") * 3 + "io",
    }
    print(f"\nemail check, at most {input_bounds.EMAIL_MAX} characters (ms)")
    for label, address in shapes.items():
        print(
            f"  {label:<34} {best(request_rules.email_problem, address[: input_bounds.EMAIL_MAX], repeat) * 1000:>9.2f}"
        )


# --- Part 2: end to end ----------------------------------------------------------------------


class Server:
    """Requests to a running `deflect serve`, each from a loopback address of its own."""

    def __init__(self, url: str):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port

    def send(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        """(status, seconds, body text, response headers) of one request on a fresh connection."""
        address = CUSTOMERS.address()
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=300, source_address=(address, 0) if address else None
        )
        started = time.perf_counter()
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        elapsed = time.perf_counter() - started
        connection.close()
        return response.status, elapsed, text, response.headers


def api_body(**fields) -> bytes:
    """A request to the API: the sample problem with `fields` changed."""
    good = {
        "problem_summary": "Students completed quizzes in course 123 but no points arrived.",
        "steps_to_reproduce": "1. Learner 4411 completes quiz 9\n2. The balance does not change",
        "expected_result": "The learner gets 25 points.",
        "actual_result": "Nothing is awarded at all.",
        "environment": "Production",
        "impact": "About 200 learners are missing points.",
        "organisation": "Springfield University",
        "plan": "standard",
        "region": "europe",
        "lms": "Moodle",
    }
    return json.dumps(
        {
            "form": "problem",
            "subject": "[HIGH] Students not receiving points for quiz completions",
            "email": "admin@springfield.example",
            "fields": dict(good, **fields),
        }
    ).encode()


MAXED = {
    "problem_summary": 1000,
    "steps_to_reproduce": 4000,
    "expected_result": 2000,
    "actual_result": 2000,
    "impact": 1000,
    "organisation": 120,
}


def maxed(unit: str) -> dict[str, str]:
    """Every free-text field of the problem form at its max_length, filled with `unit`."""
    return {name: fill(unit, size) for name, size in MAXED.items()}


def form_session(server: Server) -> tuple[dict, str]:
    """A customer's way to the HTML form: its hidden fields and the session cookie."""
    q = "Students not receiving points for quiz completions"
    _, _, page, _ = server.send(
        "GET", "/support/problem/suggestions?" + urllib.parse.urlencode({"q": q, "tag": "HIGH"})
    )
    link = re.search(r'class="button" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    _, _, page, headers = server.send("GET", link)
    cookie = "; ".join(c.split(";")[0] for c in headers.get_all("Set-Cookie") or [])
    fields = dict(re.findall(r'type="hidden" name="(csrf_token|deflect_token|description)" value="([^"]*)"', page))
    return fields, cookie


def html_post(server: Server, session: tuple[dict, str], **fields) -> tuple[bytes, dict]:
    """The form's body with `fields` changed, and its headers."""
    hidden, cookie = session
    data = dict(
        hidden,
        tag="HIGH",
        summary="Students not receiving points for quiz completions",
        email="admin@springfield.example",
        **json.loads(api_body(**fields))["fields"],
    )
    return urllib.parse.urlencode(data).encode(), {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": cookie,
    }


def cases(server: Server, worst_guard: str) -> list[tuple[str, str, str, bytes | None, dict]]:
    """(label, method, path, body, headers) of every end-to-end case, baselines first."""
    json_headers = {"Content-Type": "application/json"}
    session = form_session(server)
    long_query = urllib.parse.quote_plus("points " * 3000)
    return [
        ("GET /support/healthz (baseline)", "GET", "/support/healthz", None, {}),
        ("API request, plain (428)", "POST", "/support/api/requests", api_body(), json_headers),
        (
            "API 120,000 ch of prose in one field",
            "POST",
            "/support/api/requests",
            api_body(steps_to_reproduce=fill(PROSE, 120_000)),
            json_headers,
        ),
        (
            "API 120,000 ch 'a' run in one field",
            "POST",
            "/support/api/requests",
            api_body(steps_to_reproduce="a" * 120_000),
            json_headers,
        ),
        (
            f"API every field at max, {worst_guard!r}",
            "POST",
            "/support/api/requests",
            api_body(**maxed(worst_guard)),
            json_headers,
        ),
        ("API every field at max, prose", "POST", "/support/api/requests", api_body(**maxed(PROSE)), json_headers),
        ("API 100,000-deep JSON", "POST", "/support/api/requests", b"[" * 100_000, json_headers),
        (
            "API 9,000 unknown field ids (114 KB)",
            "POST",
            "/support/api/requests",
            api_body(**{f"f{i}": "" for i in range(9_000)}),
            json_headers,
        ),
        (
            "API 200 KB body (over the limit)",
            "POST",
            "/support/api/requests",
            b"[" + b"1," * 100_000 + b"1]",
            json_headers,
        ),
        ("suggest, plain question", "GET", "/support/api/suggest?q=students+not+receiving+points", None, {}),
        (
            "suggest, 500 ch of long unknown words",
            "GET",
            "/support/api/suggest?q=" + urllib.parse.quote_plus(fill("qwertyuiopasdfghjkl ", 500)),
            None,
            {},
        ),
        ("suggest, 24 KB query string", "GET", "/support/api/suggest?q=" + long_query, None, {}),
        (
            "form 120,000 ch 'a' run in one field",
            "POST",
            "/support/problem/request",
            *html_post(server, session, steps_to_reproduce="a" * 120_000),
        ),
        (
            f"form every field at max, {worst_guard!r}",
            "POST",
            "/support/problem/request",
            *html_post(server, session, **maxed(worst_guard)),
        ),
        (
            "form every field at max, prose",
            "POST",
            "/support/problem/request",
            *html_post(server, session, **maxed(PROSE)),
        ),
    ]


def end_to_end(url: str, repeat: int, worst_guard: str) -> None:
    """Part 2: each case --repeat times; p50 and max beside healthz."""
    server = Server(url)
    print(
        f"\nPart 2: end to end through deflect serve at {url}, {repeat} requests per case, each from its own "
        f"loopback address{'' if CUSTOMERS.usable else ' (not available here: all from 127.0.0.1)'}.\n"
        f"  {'endpoint, input':<46} {'status':>6} {'p50 ms':>9} {'max ms':>9} {'x healthz':>10}"
    )
    healthz = None
    for label, method, path, body, headers in cases(server, worst_guard):
        answers = [server.send(method, path, body, headers) for _ in range(repeat)]
        times = [seconds for _, seconds, _, _ in answers]
        statuses = "/".join(sorted({str(status) for status, _, _, _ in answers}))
        p50 = statistics.median(times)
        healthz = healthz or p50
        print(f"  {label:<46.46} {statuses:>6} {p50 * 1000:>9.1f} {max(times) * 1000:>9.1f} {p50 / healthz:>10.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (default 5)")
    parser.add_argument("--rules", action="store_true", help="part 1 only (no server)")
    parser.add_argument("--search", action="store_true", help="first search for the slowest guard shapes")
    parser.add_argument("--url", help="part 2 against a server already running at this URL")
    parser.add_argument("--threads", type=int, default=8, help="server threads, `deflect serve --threads`")
    args = parser.parse_args()
    shapes = GUARD_SHAPES + (search_for_shapes() if args.search else [])
    rule_tables(args.repeat, shapes)
    if args.rules:
        return 0
    worst = max(shapes, key=lambda unit: best(lambda text: guard.scan("f", text, {}), fill(unit, 4000), 3))
    with tempfile.TemporaryDirectory(prefix="deflect-hostile-") as folder:
        process, url = (None, args.url) if args.url else start_server(ROOT / "kb", Path(folder), args.threads)
        try:
            end_to_end(url, args.repeat, worst)
        finally:
            if process is not None:
                process.send_signal(signal.SIGINT)
                process.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
