"""The raw HTTP client of benchmarks/attack.py: sends a `Probe` byte for byte, with its first step.

Each probe opens its own connections (`Connection: close`) from a loopback address of its own
(127.x.y.z, as benchmarks/http_load.py spreads customers), so the app's per-client rate limits see
many clients. Requests and answers are written and read by hand: http.client refuses the CR, LF
and odd bytes that are the point here, and answer header lines over 64 KB.
"""

from __future__ import annotations

import contextlib
import http.cookies
import json
import re
import socket
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote_from_bytes, urlsplit

from benchmarks.attack_inputs import BASES, Probe, encode_pairs
from benchmarks.http_load import Customers

MAX_ANSWER = 4 * 1024 * 1024
CASE_IN_LOCATION = re.compile(r"/requests/([^/?#]+)")


@dataclass
class Answer:
    """One HTTP answer: status (None when none came), time taken, headers (lower-case names), body."""

    status: int | None
    seconds: float
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: bytes = b""
    error: str = ""

    def header(self, name: str) -> str:
        return (self.headers.get(name.lower()) or [""])[0]


@dataclass
class Exchange:
    """What one probe caused: its requests' answers, in order (`setup` ones came before the input)."""

    answers: list[tuple[str, Answer]] = field(default_factory=list)
    case: str | None = None


class PageTokens(HTMLParser):
    """The hidden inputs (first value of each name) and the "button" links of an HTML page."""

    def __init__(self, page: str):
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.buttons: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.hidden.setdefault(found["name"], found.get("value") or "")
        if tag == "a" and "button" in (found.get("class") or "").split() and found.get("href"):
            self.buttons.append(found["href"])


class Client:
    """Sends probes to one server; `timeout` bounds every answer."""

    def __init__(self, url: str, timeout: float = 30.0):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.customers = Customers() if self.host.startswith("127.") else None

    def exchange(
        self, source: str | None, method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes = b""
    ) -> Answer:
        """Send one request as given (adding Host, Content-Length and Connection: close) and read the answer."""
        started = time.perf_counter()
        try:
            with socket.create_connection(
                (self.host, self.port), self.timeout, source_address=(source, 0) if source else None
            ) as sock:
                # The server may answer (431, 413) and close before taking it all: read that answer.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    sock.sendall(self._request(method, target, headers, body))
                data = _read_all(sock, started + self.timeout)
        except OSError as error:
            return Answer(None, time.perf_counter() - started, error=f"{type(error).__name__}: {error}")
        answer = parse_answer(data, head_only=method == "HEAD")
        answer.seconds = time.perf_counter() - started
        return answer

    def _request(self, method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
        names = {name.lower() for name, _ in headers}
        extra = [] if b"host" in names else [(b"Host", f"{self.host}:{self.port}".encode())]
        if not names & {b"content-length", b"transfer-encoding"} and (body or method not in ("GET", "HEAD")):
            extra.append((b"Content-Length", str(len(body)).encode()))
        lines = [method.encode("latin-1") + b" " + target + b" HTTP/1.1"]
        lines += [name + b": " + value for name, value in [*extra, *headers, (b"Connection", b"close")]]
        return b"\r\n".join(lines) + b"\r\n\r\n" + body

    def send(self, probe: Probe) -> Exchange:
        """Send the probe, after its first step; return every answer and the case number it filed, if any."""
        source = self.customers.address() if self.customers else None
        steps = {"token": self._with_token, "form": self._with_page, "csrf": self._with_page}
        result = steps.get(probe.step, self._plain)(source, probe)
        result.case = result.case or filed_case(result.answers[-1][1])
        return result

    def _plain(self, source: str | None, probe: Probe) -> Exchange:
        return Exchange([("input", self.exchange(source, probe.method, probe.target, probe.headers, probe.body))])

    def _with_token(self, source: str | None, probe: Probe) -> Exchange:
        """The API's search step: send; on 428, send again with the answer's deflect_token first in the body."""
        first = self.exchange(source, probe.method, probe.target, probe.headers, probe.body)
        result = Exchange([("input", first)])
        token = _json(first.body).get("deflect_token") if first.status == 428 else None
        if isinstance(token, str) and probe.body.startswith(b"{"):
            body = (
                b'{"deflect_token": '
                + json.dumps(token).encode()
                + (b", " if len(probe.body) > 2 else b"")
                + probe.body[1:]
            )
            result.answers.append(("input", self.exchange(source, probe.method, probe.target, probe.headers, body)))
        return result

    def _with_page(self, source: str | None, probe: Probe) -> Exchange:
        """Open the pages a customer would (suggestions, then the form), then send the fields with their tokens."""
        result, cookies = Exchange(), http.cookies.SimpleCookie()
        tag, summary, _ = BASES[probe.form]
        target = f"/support/{probe.form}/suggestions?".encode() + encode_pairs(
            [(b"q", summary.encode()), (b"tag", tag.encode())]
        )
        page = self._setup(source, target, cookies, result)
        if probe.step == "form":
            link = _onward(page)
            page = self._setup(source, link, cookies, result) if link else page
        tokens = PageTokens(page.body.decode("utf-8", "replace")).hidden
        fields = probe.fields + [(name.encode(), tokens[name].encode()) for name in probe.tokens if name in tokens]
        headers = probe.headers + ([(b"Cookie", cookie_header(cookies))] if cookies else [])
        body, headers = encode_form(fields, headers)
        result.answers.append(("input", self.exchange(source, probe.method, probe.target, headers, body)))
        return result

    def _setup(self, source: str | None, target: bytes, cookies, result: Exchange) -> Answer:
        answer = self.exchange(source, "GET", target, [(b"Cookie", cookie_header(cookies))] if cookies else [])
        for value in answer.headers.get("set-cookie", []):
            cookies.load(value)
        result.answers.append(("setup", answer))
        return answer


def _read_all(sock: socket.socket, deadline: float) -> bytes:
    """Everything the server sends until it closes (Connection: close), at most MAX_ANSWER bytes."""
    data = b""
    while len(data) < MAX_ANSWER:
        if time.perf_counter() > deadline:
            raise TimeoutError("the answer did not end in time")
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            if data:  # closed hard right after answering (it had not read all we sent)
                break
            raise
        if not chunk:
            break
        data += chunk
    return data


def parse_answer(data: bytes, head_only: bool = False) -> Answer:
    """The final answer in what the server sent (after any 1xx), with no limit on a header line's length.

    http.client refuses header lines over 64 KB; an app that echoes input into a header can send one.
    """
    head, _, body = data.partition(b"\r\n\r\n")
    while re.match(rb"HTTP/1\.[01] 1\d\d", head) and body:
        head, _, body = body.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    found = re.match(r"HTTP/1\.[01] (\d{3})", status_line)
    if not found:
        return Answer(None, 0.0, error=f"no HTTP answer: {data[:80]!r}")
    headers: dict[str, list[str]] = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    if "chunked" in (headers.get("transfer-encoding") or [""])[0].lower():
        body = _dechunked(body)
    return Answer(int(found.group(1)), 0.0, headers, b"" if head_only else body)


def _dechunked(body: bytes) -> bytes:
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        length = int(size.split(b";")[0] or b"0", 16)
        if length == 0:
            break
        out, body = out + rest[:length], rest[length + 2 :]
    return out


def encode_form(fields: list[tuple[bytes, bytes]], headers: list[tuple[bytes, bytes]]) -> tuple[bytes, list]:
    """The form body for the probe's Content-Type: multipart when it says so (with a boundary), else urlencoded."""
    ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
    if not ctype.startswith(b"multipart/form-data"):
        return encode_pairs(fields), headers
    boundary = b"deflect-attack-boundary"
    parts = [
        b"--"
        + boundary
        + b'\r\nContent-Disposition: form-data; name="'
        + quote_from_bytes(k).encode()
        + b'"\r\n\r\n'
        + v
        for k, v in fields
    ]
    others = [(k, v) for k, v in headers if k.lower() != b"content-type"]
    body = b"\r\n".join(parts) + b"\r\n--" + boundary + b"--\r\n"
    return body, [(b"Content-Type", b"multipart/form-data; boundary=" + boundary), *others]


def cookie_header(cookies: http.cookies.SimpleCookie) -> bytes:
    return "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items()).encode("latin-1", "replace")


def _onward(answer: Answer) -> bytes | None:
    """Where step 2 leads: its redirect (urgent tags), else its "I still need help" link."""
    location = answer.header("location") if answer.status in (301, 302, 303) else ""
    links = [location] if location else PageTokens(answer.body.decode("utf-8", "replace")).buttons
    if not links:
        return None
    parts = urlsplit(links[0])
    return (parts.path + (f"?{parts.query}" if parts.query else "")).encode("utf-8", "replace")


def _json(body: bytes) -> dict:
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def filed_case(answer: Answer) -> str | None:
    """The case number an answer reports: the API's 201 JSON, or the HTML form's redirect to the confirmation."""
    if answer.status == 201:
        case = _json(answer.body).get("case")
        return case if isinstance(case, str) else None
    if answer.status == 303:
        found = CASE_IN_LOCATION.search(answer.header("location"))
        return found.group(1) if found else None
    return None
