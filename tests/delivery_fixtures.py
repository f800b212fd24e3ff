"""Real parts for the delivery tests: an SMTP server (aiosmtpd), a webhook receiver, a sample request.

Both servers listen on 127.0.0.1 on a free port, record what they receive, and stop themselves at
the end of the test. The SMTP server can be created stopped and started later ("down at filing").
"""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from deflect.delivery.channels import outbox_messages
from deflect.policy.reader import load_policy
from deflect.store.base import StoreBase
from deflect.store.factory import store_for
from deflect.store.sqlite import Store
from tests.loopback import SmtpServer, WebhookReceiver, receiver_handler

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def smtp_server():
    """A running SMTP server on a free loopback port; `smtp_server.stop()` / `.start()` to script an outage."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def stopped_smtp_server():
    """An SMTP server whose port is chosen but which is not listening yet."""
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def webhook_receiver():
    """A real HTTP receiver on a free loopback port; set `.statuses` to script its answers."""
    receiver = WebhookReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver_handler(receiver))
    receiver.port = server.server_address[1]
    receiver.url = f"http://127.0.0.1:{receiver.port}/hooks/deflect"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def policy():
    return load_policy(ROOT / "kb" / "support.yml")


ENGINES = ("sqlite", "postgresql")


@pytest.fixture(params=ENGINES)
def store(request, tmp_path):
    """The store on each engine, migrated: a new SQLite file, then a fresh PostgreSQL database."""
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_store")
    return Store(tmp_path / "deflect.sqlite3").migrate()


@pytest.fixture(params=ENGINES)
def store_settings(request, tmp_path) -> dict[str, str]:
    """The settings naming a store nobody has opened yet, on each engine: a data dir without its
    SQLite file, and on PostgreSQL also DEFLECT_DATABASE_URL, an empty database."""
    settings = {"DEFLECT_DATA_DIR": str(tmp_path / "var")}
    if request.param == "postgresql":
        settings["DEFLECT_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    return settings


@pytest.fixture
def stores():
    """`stores(settings)`: the store the settings name, migrated, as the app opens it; closed after the test."""
    opened: list[StoreBase] = []

    def open_store(settings: dict) -> StoreBase:
        opened.append(store_for(settings))
        return opened[-1]

    yield open_store
    for store in opened:
        store.close()


@pytest.fixture
def sqlite_store(tmp_path):
    """The SQLite store, for what only a file has (a full disk, a damaged header)."""
    return Store(tmp_path / "deflect.sqlite3").migrate()


SECTIONS = [
    ("problem_summary", "Problem summary", "Students completed quizzes in Moodle but points are not being awarded."),
    (
        "steps_to_reproduce",
        "Steps to reproduce",
        "1. Student completes quiz in Course ID 123\n2. Quiz shows as completed\n3. No points",
    ),
    ("expected_result", "Expected result", "Students receive 25 points for the quiz."),
    ("actual_result", "Actual result", "No points awarded, no error in webhook logs."),
    ("environment", "Environment", "Production"),
    ("impact", "Impact", "High - affects 200+ students in active courses"),
    ("lms", "LMS and version", "Moodle 4.1"),
    ("organisation", "Organisation", "Springfield University"),
    ("plan", "Plan", "standard"),
]


def sample_record(**overrides) -> dict:
    """Return a record shaped like the form's, for the 000 example request (no case number yet)."""
    record = {
        "form": "problem",
        "form_name": "Report a problem",
        "subject": "[HIGH] Students not receiving points for quiz completions",
        "tag": "HIGH",
        "summary": "Students not receiving points for quiz completions",
        "priority": "high",
        "plan": "standard",
        "email": "ann.lee@springfield.example",
        "name": "Ann Lee",
        "fields": [{"id": i, "label": label, "value": value} for i, label, value in SECTIONS],
        "from_page": "troubleshooting/points-not-awarded/",
        "shown_articles": [
            {"title": "Points are not awarded", "url": "troubleshooting/points-not-awarded/"},
            {"title": "Moodle plugin set-up", "url": "integrations/moodle/"},
        ],
        "response_target": "8 hours",
        "resolution_target": "24 hours",
        "response_due": "2026-03-03T18:00:00+00:00",
        "resolution_due": "2026-03-05T12:00:00+00:00",
        "guard": [],
        "region": "europe",
    }
    record.update(overrides)
    return record


def file_sample(store: StoreBase, policy, settings: dict, **overrides) -> str:
    """File the sample request the way the app does: request and outbox in one transaction."""
    record = sample_record(**overrides)
    return store.file_request(
        prefix=policy.case_prefix,
        digits=policy.case_digits,
        form=record["form"],
        subject=record["subject"],
        email=record["email"],
        data=record,
        outbox=lambda case: outbox_messages(dict(record, case_number=case), policy, settings),
    )
