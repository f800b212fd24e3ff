"""What the tests share: the project's folders, a writer's copy of a knowledge base, the app with test
settings, a real `deflect serve` subprocess, and `SupportActions`, the customer's walk through /support/.

Fixtures stay in the conftest files; they use these.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from deflect.app import create_app
from deflect.kb.folder import KnowledgeBase
from tests.loopback import free_port

PROJECT = Path(__file__).resolve().parents[1]
KB = PROJECT / "kb"
TOKEN = re.compile(r'type="hidden" name="(csrf_token|deflect_token|description|from)" value="([^"]*)"')


def in_ci() -> bool:
    """True when running in CI (`CI=true`, as GitHub Actions and most CI services set it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def copy_kb(target: Path, source: Path = KB, docs: bool = True) -> KnowledgeBase:
    """Copy a knowledge base under `target` (the project's kb/ with its mkdocs.yml beside it), for a test to change.

    `docs=False` leaves the articles out, for app tests that search a prebuilt index.
    """
    ignored = ("__pycache__",) if docs else ("__pycache__", "docs")
    shutil.copytree(source, target / source.name, ignore=shutil.ignore_patterns(*ignored))
    if source == KB:
        shutil.copy2(PROJECT / "mkdocs.yml", target / "mkdocs.yml")
    return KnowledgeBase.at(target / source.name)


def make_app(kb_dir: Path, data_dir: Path, index_dir: Path | None, **config):
    """An app on this knowledge base, with a fresh data dir; CSRF stays on."""
    settings = {
        "TESTING": True,
        "KB": str(kb_dir),
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": "test-secret",
        "INDEX_DIR": str(index_dir) if index_dir else str(data_dir / "index"),
        "FILING_RATE_LIMIT": "1000 per minute",
        "SUBMISSION_RATE_LIMIT": "1000 per minute",
        "OUTBOX_WORKER": False,
        "APPLICATION_ROOT": "/support",
        "SERVER_NAME": "localhost",
    }
    settings.update(config)
    return create_app(settings)


def hidden(page: str) -> dict[str, str]:
    """The hidden csrf_token, deflect_token and description of a page."""
    return {name: html.unescape(value) for name, value in TOKEN.findall(page)}


GOOD_PROBLEM = {
    "problem_summary": "Students completed quizzes in course 123 but no points arrived in Orbit.",
    "steps_to_reproduce": "1. Learner 4411 completes quiz 9 in course 123\n2. Moodle marks the quiz complete\n3. The Orbit balance does not change",
    "expected_result": "The learner gets 25 points for the quiz, as the rule says.",
    "actual_result": "Nothing is awarded and the webhook log shows no error at all.",
    "environment": "Production",
    "impact": "About 200 learners in three active courses are missing points.",
    "organisation": "Springfield University",
    "plan": "standard",
    "region": "europe",
    "lms": "Moodle",
    "lms_version": "Moodle 4.1, plugin 3.2.0",
}
# What a customer types into the HTML problem form: its summary field is the Summary, asked once (issue 12).
TYPED_PROBLEM = {k: v for k, v in GOOD_PROBLEM.items() if k != "problem_summary"}
GOOD_FIELDS = {
    "problem": GOOD_PROBLEM,
    "question": {
        "question": "How do I give bonus points for quizzes finished early?",
        "organisation": "Springfield University",
        "plan": "standard",
    },
    "feature-request": {
        "feature_description": "Bonus points for quizzes completed before the due date.",
        "business_justification": "Most quizzes are completed on the last day; a bonus would spread the load.",
        "current_workaround": "We add points by hand every Friday.",
        "beta_interest": "Yes",
        "organisation": "Springfield University",
        "plan": "enterprise",
    },
    "escalate": {
        "case_number": "OLR-2026-000123",
        "escalation_reason": "The case is past its response target and 300 learners are affected now.",
        "escalation_trigger": "The response or resolution target was missed",
        "organisation": "Springfield University",
        "plan": "standard",
    },
}


def local(url: str) -> str:
    """A link on a page, relative to where the app is mounted (the test client adds /support)."""
    url = html.unescape(url).removeprefix("http://localhost")
    return url.removeprefix("/support") or "/"


class SupportActions:
    """A customer's walk: describe -> suggestions -> "I still need help" -> form -> send."""

    def __init__(self, client):
        self.client = client

    def describe(
        self,
        form: str = "problem",
        q: str = "Students not receiving points for quiz completions",
        tag: str = "HIGH",
        **extra,
    ):
        """Step 1 sent: the suggestions page (or the form, for CRITICAL)."""
        return self.client.get(f"/{form}/suggestions", query_string=dict(q=q, tag=tag, **extra))

    def open_form(
        self,
        form: str = "problem",
        q: str = "Students not receiving points for quiz completions",
        tag: str = "HIGH",
        **extra,
    ):
        """Steps 1 and 2, then "I still need help": the form page (200)."""
        page = self.describe(form, q, tag, **extra)
        if page.status_code == 302:
            return self.client.get(local(page.headers["Location"]))
        link = re.search(r'class="button" href="([^"]+)"', page.get_data(as_text=True)).group(1)
        return self.client.get(local(link))

    def form_data(
        self,
        page,
        form: str = "problem",
        tag: str = "HIGH",
        summary: str = "Students not receiving points for quiz completions",
        **overrides,
    ):
        """The fields a complete request sends, with the page's tokens and any overrides."""
        data = dict(hidden(page.get_data(as_text=True)), tag=tag, summary=summary, email="admin@springfield.example")
        data.update(TYPED_PROBLEM if form == "problem" else GOOD_FIELDS[form])
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    def file(
        self,
        form: str = "problem",
        tag: str = "HIGH",
        q: str = "Students not receiving points for quiz completions",
        **overrides,
    ):
        """Walk every step and send the request; returns the response to the POST."""
        page = self.open_form(form, q, tag)
        summary = overrides.pop("summary", q)
        return self.client.post(f"/{form}/request", data=self.form_data(page, form, tag, summary, **overrides))


@dataclass
class LiveServer:
    """A `deflect serve` subprocess on a loopback port."""

    process: subprocess.Popen
    url: str  # ends with "/"
    log: Path

    def output(self) -> str:
        """Everything the server printed so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, timeout: float = 20) -> int:
        """Send Ctrl-C (SIGINT), as a person would, and wait for a clean exit; kill if it hangs."""
        return interrupt(self.process, timeout)


def interrupt(process: subprocess.Popen, timeout: float = 20) -> int:
    """Send Ctrl-C (SIGINT), as a person would, and wait for a clean exit; kill if it hangs. The exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def start_server(
    kb_dir: Path,
    data_dir: Path,
    env: dict[str, str] | None = None,
    timeout: float = 90,
    extra_args: tuple[str, ...] = (),
) -> LiveServer:
    """Run the real `deflect serve --kb KB` on a free loopback port and wait until it answers."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"serve-{port}.log"
    environment = {**os.environ, "DEFLECT_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **(env or {})}
    command = [sys.executable, "-m", "deflect", "serve", "--kb", str(kb_dir), "--port", str(port), *extra_args]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=data_dir, env=environment, stdout=sink, stderr=subprocess.STDOUT)
    server = LiveServer(process, f"http://127.0.0.1:{port}/", log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"deflect serve exited with {process.returncode}:\n{server.output()}")
        try:
            with urllib.request.urlopen(server.url, timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"deflect serve did not answer within {timeout} s:\n{server.output()}")
