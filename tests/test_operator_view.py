"""The operator's view: /readyz says whether an instance can work and why not, /metrics what it did, the log what happened."""

from __future__ import annotations

import html
import io
import json
import logging
import re

import pytest

from deflect.web import logs
from tests.helpers import GOOD_FIELDS, SupportActions, hidden, make_app


def metric(client, line_start: str) -> float:
    """The value of the first metrics line that starts with `line_start` (0 when there is none)."""
    text = client.get("/metrics").get_data(as_text=True)
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(line_start)]
    return values[0] if values else 0.0


def file_by_api(client, **overrides) -> dict:
    """File a question through the API (the search step first); return the 201 answer."""
    request = {
        "form": "question",
        "subject": "[QUESTION] How do I give bonus points for early quizzes",
        "email": "admin@springfield.example",
        "fields": GOOD_FIELDS["question"],
        **overrides,
    }
    token = client.post("/api/requests", json=request).get_json()["deflect_token"]
    answer = client.post("/api/requests", json=dict(request, deflect_token=token))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


# --- /readyz -------------------------------------------------------------------------------------


def test_ready_when_the_store_the_index_and_the_outbox_worker_work(kb_dir, kb_index, tmp_path):
    app = make_app(kb_dir, tmp_path / "var", kb_index, OUTBOX_WORKER=True, OUTBOX_INTERVAL=0.1)
    try:
        answer = app.test_client().get("/readyz")
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
        assert answer.get_json() == {"ready": True, "checks": {"store": "ok", "index": "ok", "outbox": "ok"}}
    finally:
        app.extensions["deflect_outbox"].stop()


def test_not_ready_while_the_index_cannot_be_opened_and_healthz_still_answers(kb_dir, tmp_path):
    app = make_app(kb_dir, tmp_path / "var", tmp_path / "no-index")
    client = app.test_client()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    checks = answer.get_json()["checks"]
    assert "the search index at" in checks["index"] and "deflect build" in checks["index"]
    assert checks["store"] == "ok" and client.get("/healthz").status_code == 200


def test_not_ready_when_the_store_does_not_answer(client, app, tmp_path):
    store_file = app.extensions["deflect"].store.path
    store_file.write_bytes(b"this is not a database" * 100)  # a damaged store
    answer = client.get("/readyz")
    assert answer.status_code == 503 and "the request store does not answer" in answer.get_json()["checks"]["store"]


def test_not_ready_when_the_outbox_worker_has_stopped(kb_dir, kb_index, tmp_path):
    app = make_app(kb_dir, tmp_path / "var", kb_index, OUTBOX_WORKER=True, OUTBOX_INTERVAL=0.1)
    app.extensions["deflect_outbox"].stop()
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["checks"]["outbox"] == "the outbox worker has stopped: restart this instance"


# --- /metrics ------------------------------------------------------------------------------------


def test_metrics_count_filings_by_form_and_tag_and_the_outbox_waiting(client):
    filed = 'deflect_requests_filed_total{form="question",tag="QUESTION"}'
    before = metric(client, filed)
    file_by_api(client)
    assert metric(client, filed) == before + 1
    assert metric(client, "deflect_outbox_waiting ") == 2  # support's copy and the confirmation, no worker here
    assert metric(client, "deflect_outbox_oldest_waiting_seconds ") > 0
    assert metric(client, "deflect_outbox_failed ") == 0 and metric(client, "deflect_store_up ") == 1
    answer = client.get("/metrics")
    assert answer.headers["Content-Type"].startswith("text/plain; version=")


def test_metrics_time_suggestions_and_count_deflections_and_refusals(kb_dir, kb_index, tmp_path):
    app = make_app(kb_dir, tmp_path / "var", kb_index, SUGGEST_RATE_LIMIT="2 per minute", WTF_CSRF_ENABLED=True)
    client = app.test_client()
    timed, refusals = 'deflect_suggest_seconds_count{door="api"}', 'deflect_rate_limit_refusals_total{limit="searches"}'
    before_timed, before_refused = metric(client, timed), metric(client, refusals)
    deflections = metric(client, "deflect_deflections_total ")
    statuses = [client.get("/api/suggest?q=password").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert metric(client, timed) == before_timed + 2 and metric(client, refusals) == before_refused + 1
    page = SupportActions(client).describe(q="reset my password").get_data(as_text=True)
    article = re.search(r'name="url" value="([^"]+)"', page).group(1)
    solved = {"q": "reset my password", "url": html.unescape(article), "csrf_token": hidden(page)["csrf_token"]}
    assert client.post("/deflected", data=solved).status_code == 302
    assert metric(client, "deflect_deflections_total ") == deflections + 1


def test_metrics_are_refused_to_addresses_not_listed_in_deflect_metrics_from(kb_dir, kb_index, tmp_path):
    app = make_app(kb_dir, tmp_path / "var", kb_index, DEFLECT_METRICS_FROM="10.0.0.0/8")
    client = app.test_client()
    assert client.get("/metrics").status_code == 404  # the test client is 127.0.0.1
    client.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert client.get("/metrics").status_code == 200


def test_a_store_that_does_not_answer_gives_store_up_0_and_the_scrape_still_answers(client, app):
    app.extensions["deflect"].store.path.write_bytes(b"this is not a database" * 100)
    answer = client.get("/metrics")
    assert answer.status_code == 200 and "deflect_store_up 0.0" in answer.get_data(as_text=True)


# --- The log -------------------------------------------------------------------------------------


def test_each_filed_request_is_logged_with_its_case_number_and_nothing_the_customer_typed(client, caplog):
    with caplog.at_level(logging.INFO, logger="deflect.web.accept"):
        case = file_by_api(client)["case"]
    [line] = [r.getMessage() for r in caplog.records if r.name == "deflect.web.accept"]
    assert line == f"filed {case}: form question, tag QUESTION, confirmation sent"
    assert "springfield" not in line.lower()


@pytest.fixture
def captured():
    """The operator's log as configure() writes it, into a buffer; the handler removed afterwards."""
    buffer = io.StringIO()
    yield buffer, lambda fmt: logs.configure(fmt, stream=buffer)
    logging.getLogger().removeHandler(logs.configure("text"))


def test_json_logs_have_one_object_a_line_with_the_events_fields(captured):
    buffer, configure = captured
    configure("json")
    logs.started({"DEFLECT_SMTP_URL": "smtp://deflect:s3cret@mail.example.com:587"}, "deflect started: kb")
    [entry] = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert entry["level"] == "INFO" and entry["logger"] == "deflect" and entry["message"].startswith("deflect started")
    assert entry["settings"]["DEFLECT_SMTP_URL"] == "smtp://deflect:***@mail.example.com:587"
    assert "s3cret" not in buffer.getvalue()


def test_the_access_log_has_one_line_per_request_without_the_query_string(captured):
    buffer, configure = captured
    configure("text")

    def app(environ, start_response):
        start_response("404 NOT FOUND", [("Content-Type", "text/plain")])
        return [b"no"]

    environ = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "/support", "PATH_INFO": "/api/suggest\r\nFAKE 200 line"}
    environ |= {"QUERY_STRING": "q=my+password+is+hunter2", "REMOTE_ADDR": "203.0.113.7"}
    logs.AccessLog(app)(environ, lambda status, headers: None)
    [line] = buffer.getvalue().splitlines()
    assert "deflect.access: GET /support/api/suggest%0D%0AFAKE%20200%20line 404" in line
    assert line.endswith(" ms 203.0.113.7") and "hunter2" not in line
