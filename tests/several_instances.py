"""The deployment of docs/deploy.md ("Several instances"), for the tests and benchmarks/instances_load.py.

`deployed` starts it on loopback ports and stops it: a real SMTP server, N `deflect serve --no-site`
instances sharing one data folder and the store and limits their settings name, and Debian's nginx
running docs/nginx/deflect.conf with each instance as an upstream. An `Instance` is one such
process that can be killed (SIGKILL) and started again on the same port; `stored` reads what the
shared store holds with one SQL query, through sqlite3 or PostgreSQL's psql, so the check does not
depend on either store's Python code; `file_request` is one customer filing through the API (the
search step, then the request).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers import GOOD_FIELDS, interrupt
from tests.loopback import SmtpServer, free_port
from tests.nginx_front import start_nginx


@dataclass
class Instance:
    """One `deflect serve --no-site` on 127.0.0.1:port with `env`; its output appended to `log`."""

    kb: Path
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/support/"

    def start(self, timeout: float = 60) -> Instance:
        """Start it and wait until /support/healthz answers."""
        command = [
            sys.executable,
            "-m",
            "deflect",
            "serve",
            "--no-site",
            "--kb",
            str(self.kb),
            "--port",
            str(self.port),
        ]
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                command, cwd=self.log.parent, env={**os.environ, **self.env}, stdout=sink, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"deflect serve exited with {self.process.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url + "healthz", timeout=2):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"deflect serve did not answer within {timeout} s:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL: no clean stop, whatever it was doing."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 20) -> int | None:
        """Ctrl-C (SIGINT) and wait for a clean exit; kill if it hangs."""
        return interrupt(self.process, timeout) if self.process is not None else None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def get(self, path: str, source: str = "127.0.0.1") -> tuple[int, bytes]:
        """GET a path of the app, directly (not through nginx), from a loopback `source` address."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10, source_address=(source, 0))
        try:
            connection.request("GET", "/support/" + path.lstrip("/"))
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


@dataclass(frozen=True)
class Stored:
    """What the shared store holds: requests (case number -> data) and outbox rows (case, channel, status)."""

    requests: dict[str, dict]
    outbox: list[tuple[str, str, str]]


def stored(database_url: str | None, data_dir: Path) -> Stored:
    """Read every request and outbox row from the shared store: PostgreSQL at `database_url`, else SQLite."""
    queries = ("SELECT case_number, data FROM requests", "SELECT case_number, channel, status FROM outbox")
    if database_url:
        rows = [_psql(database_url, query) for query in queries]
    else:
        with sqlite3.connect(data_dir / "deflect.sqlite3") as connection:
            rows = [connection.execute(query).fetchall() for query in queries]
    requests = {}
    for case, data in rows[0]:
        assert case not in requests, f"case number {case} stored twice"
        requests[case] = json.loads(data)
    return Stored(requests, [tuple(row) for row in rows[1]])


def _psql(url: str, query: str) -> list[tuple[str, ...]]:
    result = subprocess.run(["psql", url, "-AtF", "\x1f", "-c", query], capture_output=True, text=True, check=True)
    return [tuple(line.split("\x1f")) for line in result.stdout.splitlines() if line]


def api(port: int, source: str, body: dict) -> tuple[int, dict]:
    """POST /support/api/requests through nginx from `source`; a connection the server broke is status 0."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        connection.request("POST", "/support/api/requests", json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        text = response.read()
    except (OSError, http.client.HTTPException):
        return 0, {}
    finally:
        connection.close()
    try:
        return response.status, json.loads(text)
    except ValueError:
        return response.status, {}  # nginx's own page (502 while an instance dies)


def question(marker: str, email: str) -> dict:
    """A question request whose text carries `marker`, so each attempt can be found in the store."""
    fields = dict(GOOD_FIELDS["question"], question=f"How do I give bonus points for early quizzes? Reference {marker}")
    return {
        "form": "question",
        "subject": "[QUESTION] Bonus points for early quizzes",
        "email": email,
        "fields": fields,
    }


def file_request(port: int, source: str, body: dict) -> tuple[int, dict]:
    """The search step (428 and a token), then the request with it; the final status and answer."""
    status, answer = api(port, source, body)
    if status != 428:
        return status, answer
    return api(port, source, dict(body, deflect_token=answer["deflect_token"]))


def deploy_build(kb: Path, data: Path) -> None:
    """`deflect build`, once, at deploy time: the site for nginx, the index for every instance."""
    env = {**os.environ, "DEFLECT_DATA_DIR": str(data)}
    subprocess.run(
        [sys.executable, "-m", "deflect", "build", "--kb", str(kb)], env=env, check=True, capture_output=True
    )


@dataclass
class Deployment:
    """nginx in front of running instances that share `data` and the settings `env` (the SMTP sink's URL in it)."""

    kb: Path
    data: Path
    env: dict[str, str]
    smtp: SmtpServer
    instances: list[Instance]
    nginx_port: int
    index_files: dict[str, float] = field(default_factory=dict)  # the shipped index: file name -> mtime

    @property
    def site(self) -> Path:
        return self.kb.parent / "site"

    def stored(self) -> Stored:
        """What the shared store holds now."""
        return stored(self.env.get("DEFLECT_DATABASE_URL"), self.data)

    def wait_until_delivered(self, timeout: float = 120) -> Stored:
        """The store once no outbox message is pending any more, or after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            now = self.stored()
            if all(status != "pending" for _, _, status in now.outbox) or time.monotonic() > deadline:
                return now
            time.sleep(0.5)


@contextlib.contextmanager
def deployed(root: Path, kb: Path, data: Path, env: dict[str, str], count: int = 2) -> Iterator[Deployment]:
    """Start an SMTP sink, `count` instances with `env` on the built `kb` and `data`, and nginx in front
    of them (files under `root`); stop everything started, whatever happens."""
    smtp = SmtpServer().start()
    env = {"DEFLECT_DATA_DIR": str(data), "DEFLECT_SMTP_URL": smtp.url, "PYTHONUNBUFFERED": "1", **env}
    instances = [Instance(kb, env, root / f"instance-{n}.log") for n in range(1, count + 1)]
    index = {p.name: p.stat().st_mtime for p in (data / "index").iterdir()}
    nginx = None
    try:
        for instance in instances:
            instance.start()
        nginx = start_nginx(root / "nginx", kb.parent / "site", [i.port for i in instances])
        yield Deployment(kb, data, env, smtp, instances, nginx.port, index)
    finally:
        if nginx is not None:
            nginx.stop()
        for instance in instances:
            instance.stop()
        smtp.stop()
