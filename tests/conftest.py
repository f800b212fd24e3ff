"""Fixtures per door (`kb_dir`, `app`, `client`) and `SupportActions`, the customer's walk through /support/."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest

from deflect.app import create_app
from deflect.kb.pages import read_folder
from deflect.search import build_index

ROOT = Path(__file__).resolve().parents[1]
KB = ROOT / "kb"
TOKEN = re.compile(r'type="hidden" name="(csrf_token|deflect_token|description|from)" value="([^"]*)"')


@pytest.fixture(scope="session")
def kb_index(tmp_path_factory) -> Path:
    """The search index of kb/docs, built once per session (read-only at run time)."""
    folder = tmp_path_factory.mktemp("kb-index") / "index"
    build_index(read_folder(KB / "docs"), folder)
    return folder


@pytest.fixture
def kb_dir(tmp_path) -> Path:
    """A copy of kb/ (without docs, which only the index needs) that a test may change."""
    target = tmp_path / "kb"
    shutil.copytree(KB, target, ignore=shutil.ignore_patterns("docs"))
    return target


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


@pytest.fixture
def app(kb_dir, kb_index, tmp_path):
    return make_app(kb_dir, tmp_path / "var", kb_index)


@pytest.fixture
def client(app):
    return app.test_client()


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
        data.update(GOOD_FIELDS[form])
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


@pytest.fixture
def support(client) -> SupportActions:
    return SupportActions(client)
