"""Limits that hit abusers, not customers: only filed requests count, floods hit a looser limit.

With the default limits (5 filed requests a minute, 30 submissions a minute from one address), a
customer who fixes mistakes is never locked out: six refused attempts do not block the seventh,
good one. A refused request says which limit it hit, when to try again, and keeps what was typed.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from deflect.app import DEFAULTS
from tests.helpers import GOOD_FIELDS, SupportActions, make_app

SUBJECT = "[HIGH] Students not receiving points for quiz completions"
LIMITS = {key: DEFAULTS[key] for key in ("FILING_RATE_LIMIT", "SUBMISSION_RATE_LIMIT")}


def api_body(**changes) -> dict:
    fields = dict(GOOD_FIELDS["problem"], **changes.pop("fields", {}))
    return dict(
        {"form": "problem", "subject": SUBJECT, "email": "admin@springfield.example", "fields": fields}, **changes
    )


@pytest.fixture
def limited(kb_dir, kb_index, tmp_path):
    """An app with the limits it ships with."""
    return make_app(kb_dir, tmp_path / "var", kb_index, **LIMITS)


def api_file(client, payload, address="10.0.0.1"):
    """File as a program does: the 428 answer's token sent back."""
    first = client.post("/api/requests", json=payload, environ_base={"REMOTE_ADDR": address})
    if first.status_code != 428:
        return first
    again = dict(payload, deflect_token=first.get_json()["deflect_token"])
    return client.post("/api/requests", json=again, environ_base={"REMOTE_ADDR": address})


def test_six_refused_form_posts_do_not_block_the_seventh_good_one(limited):
    support = SupportActions(limited.test_client())
    page = support.open_form()
    refused = [support.client.post("/problem/request", data=support.form_data(page, impact="")) for _ in range(6)]
    assert [reply.status_code for reply in refused] == [422] * 6
    assert support.client.post("/problem/request", data=support.form_data(page)).status_code == 303


def test_six_refused_api_requests_do_not_block_the_seventh_good_one(limited):
    client = limited.test_client()
    refused = [api_file(client, api_body(email="not an address")) for _ in range(6)]
    assert [reply.status_code for reply in refused] == [422] * 6
    assert api_file(client, api_body()).status_code == 201


def test_the_sixth_filed_request_in_a_minute_names_the_limit_and_keeps_what_was_typed(limited):
    support = SupportActions(limited.test_client())
    assert [support.file().status_code for _ in range(5)] == [303] * 5
    reply = support.file(impact="Every learner of the spring term, about 900 people.")
    page = reply.get_data(as_text=True)
    assert reply.status_code == 429
    assert "we take at most 5 requests a minute from one address" in page
    assert 0 < int(reply.headers["Retry-After"]) <= 60
    assert f"send it again in {reply.headers['Retry-After']} second" in page
    assert "Every learner of the spring term, about 900 people." in page
    assert 'value="admin@springfield.example"' in page


def test_the_form_and_the_api_share_one_filing_limit_per_address(limited):
    client = limited.test_client()
    support = SupportActions(client)
    for _ in range(5):
        assert support.file().status_code == 303
    reply = api_file(client, api_body(), address="127.0.0.1")
    assert reply.status_code == 429 and reply.get_json()["limit"] == "5 requests a minute from one address"


def test_a_flood_of_invalid_submissions_hits_the_looser_limit(limited):
    client = limited.test_client()
    answers = [
        client.post("/api/requests", json=api_body(email="x"), environ_base={"REMOTE_ADDR": "10.0.0.7"})
        for _ in range(31)
    ]
    assert [a.status_code for a in answers] == [422] * 30 + [429]
    data = answers[-1].get_json()
    assert data["limit"] == "30 submissions a minute from one address"
    assert "We take at most 30 submissions a minute from one address" in data["errors"]["request"]
    assert data["retry_after"] == int(answers[-1].headers["Retry-After"])
    # Another address is not affected.
    assert api_file(client, api_body(), address="10.0.0.8").status_code == 201


def test_a_flood_through_the_html_form_comes_back_filled_and_names_the_limit(limited):
    support = SupportActions(limited.test_client())
    page = support.open_form()
    for _ in range(30):
        assert support.client.post("/problem/request", data=support.form_data(page, impact="")).status_code == 422
    reply = support.client.post("/problem/request", data=support.form_data(page, impact="Nine hundred learners."))
    assert reply.status_code == 429
    assert "we take at most 30 submissions a minute from one address" in reply.get_data(as_text=True)
    assert "Nine hundred learners." in reply.get_data(as_text=True) and reply.headers["Retry-After"]


def test_the_search_step_answers_428_and_does_not_use_the_filing_limit(limited):
    client = limited.test_client()
    answers = [client.post("/api/requests", json=api_body()).status_code for _ in range(8)]
    assert answers == [428] * 8
    assert api_file(client, api_body(), address="127.0.0.1").status_code == 201


def test_the_suggestion_limit_still_holds_and_says_so(kb_dir, kb_index, tmp_path):
    client = make_app(kb_dir, tmp_path / "var", kb_index, SUGGEST_RATE_LIMIT="2 per minute").test_client()
    assert [client.get("/api/suggest", query_string={"q": "points"}).status_code for _ in range(2)] == [200, 200]
    reply = client.get("/api/suggest", query_string={"q": "points"})
    assert reply.status_code == 429 and reply.get_json()["limit"] == "2 searches a minute from one address"


def test_over_the_search_limit_step_one_comes_back_filled(kb_dir, kb_index, tmp_path):
    client = make_app(kb_dir, tmp_path / "var", kb_index, SUGGEST_RATE_LIMIT="2 per minute").test_client()
    step = {"q": "Points missing for quizzes in course 123", "tag": "HIGH"}
    assert [client.get("/problem/suggestions", query_string=step).status_code for _ in range(2)] == [200, 200]
    reply = client.get("/problem/suggestions", query_string=step)
    page = reply.get_data(as_text=True)
    assert reply.status_code == 429 and reply.headers["Retry-After"]
    assert "we take at most 2 searches a minute from one address" in page
    assert 'value="Points missing for quizzes in course 123"' in page


def test_the_feedback_limit_still_holds(kb_dir, kb_index, tmp_path):
    client = make_app(kb_dir, tmp_path / "var", kb_index, FEEDBACK_RATE_LIMIT="1 per minute").test_client()
    feedback = {"page": "faq/accounts/reset-password/", "helpful": True}
    assert client.post("/api/feedback", json=feedback).status_code == 201
    reply = client.post("/api/feedback", json=feedback)
    assert reply.status_code == 429 and reply.get_json()["limit"] == "1 answer a minute from one address"


def test_through_the_real_server_six_refused_attempts_do_not_block_the_seventh(
    start_deflect, project_kb_copy, tmp_path
):
    server = start_deflect(project_kb_copy, tmp_path / "var")
    try:
        url = server.url + "support/api/requests"
        statuses = [_post(url, api_body(fields={"impact": ""}))[0] for _ in range(6)]
        status, first = _post(url, api_body())
        status_again, filed = _post(url, api_body(deflect_token=first.get("deflect_token")))
    finally:
        server.stop()
    assert statuses == [422] * 6
    assert (status, status_again) == (428, 201) and filed["case"]


def _post(url: str, payload: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, json.dumps(payload).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
