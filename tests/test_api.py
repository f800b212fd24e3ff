"""The JSON API as DESIGN.md's contract says: suggest, forms, schema, requests (428/422/201), feedback."""

import pytest

from tests.helpers import GOOD_FIELDS

SUBJECT = "[HIGH] Students not receiving points for quiz completions"


def body(form="problem", subject=SUBJECT, **changes):
    fields = dict(GOOD_FIELDS[form], **changes.pop("fields", {}))
    return dict({"form": form, "subject": subject, "email": "admin@springfield.example", "fields": fields}, **changes)


def file(client, payload):
    """Send twice, as a program does: the first answer (428) carries the token to send back."""
    first = client.post("/api/requests", json=payload)
    if first.status_code != 428:
        return first
    return client.post("/api/requests", json=dict(payload, deflect_token=first.get_json()["deflect_token"]))


def test_suggest_returns_results_in_the_contract_shape(client):
    data = client.get("/api/suggest", query_string={"q": "points not awarded"}).get_json()
    assert data["results"]
    assert set(data["results"][0]) == {"title", "url", "snippet", "score"}
    assert data["results"][0]["url"].startswith("/")


def test_suggest_without_a_query_is_empty(client):
    assert client.get("/api/suggest").get_json() == {"results": []}


def test_forms_in_the_contract_shape(client):
    forms = client.get("/api/forms").get_json()["forms"]
    assert [f["id"] for f in forms] == ["problem", "question", "feature-request", "escalate"]
    assert set(forms[0]) == {"id", "name", "description", "fields"}
    plan = next(f for f in forms[0]["fields"] if f["id"] == "plan")
    assert plan == {
        "id": "plan",
        "type": "dropdown",
        "label": "Plan",
        "required": True,
        "options": ["standard", "enterprise"],
    }


def test_each_form_is_published_as_json_schema(client):
    reply = client.get("/api/forms/problem.schema.json")
    schema = reply.get_json(force=True)
    assert reply.headers["Content-Type"].startswith("application/schema+json")
    assert schema["$schema"].endswith("2020-12/schema")
    assert "steps_to_reproduce" in schema["properties"]["fields"]["required"]
    assert schema["properties"]["fields"]["properties"]["organisation"]["maxLength"] == 120
    assert client.get("/api/forms/nope.schema.json").status_code == 404


def test_first_call_answers_428_with_suggestions_and_a_token(app, client):
    first = client.post("/api/requests", json=body())
    data = first.get_json()
    assert first.status_code == 428
    assert data["suggestions"] and data["deflect_token"]
    assert app.extensions["deflect"].store.list_requests() == []


def test_second_call_with_the_token_files_the_request(app, client):
    reply = file(client, body())
    data = reply.get_json()
    assert reply.status_code == 201, data
    assert data["case"].startswith("OLR-") and data["response_target"] == "8 hours"
    assert app.extensions["deflect"].store.get_request(data["case"])["subject"] == SUBJECT


def test_a_token_for_another_subject_is_refused(client):
    token = client.post("/api/requests", json=body()).get_json()["deflect_token"]
    other = body(subject="[HIGH] A different problem entirely", deflect_token=token)
    assert client.post("/api/requests", json=other).status_code == 428


def test_a_forged_token_is_refused(client):
    assert client.post("/api/requests", json=body(deflect_token="forged.token.here")).status_code == 428


@pytest.mark.parametrize(
    "subject, expected",
    [
        ("[high] x", "write the tag in capitals: [HIGH]"),
        ("[high] x", "Also the summary has 1 character; describe the problem in 10 to 120"),
        ("[HIHG] Points missing", "did you mean [HIGH]? Write [HIGH] Points missing"),
        ("Points missing for quizzes", "start with a tag in brackets"),
        ("[HIGH] Points\r\nBcc: x@example.com", "on one line"),
    ],
)
def test_bad_subjects_get_422_with_the_fix(client, subject, expected):
    reply = file(client, body(subject=subject))
    assert reply.status_code == 422
    assert expected in reply.get_json()["errors"]["subject"]


def test_missing_steps_are_named(client):
    reply = file(client, body(fields={"steps_to_reproduce": ""}))
    assert reply.status_code == 422
    assert reply.get_json()["errors"]["steps_to_reproduce"].startswith("Steps to reproduce is required")


def test_unknown_fields_and_wrong_types_are_named(client):
    reply = file(client, body(fields={"nonsense": "x", "impact": 5}))
    errors = reply.get_json()["errors"]
    assert "not a field of 'problem'" in errors["nonsense"] and "send text" in errors["impact"]


def test_bad_input_is_answered_before_the_search_step(client):
    reply = client.post("/api/requests", json=body(subject="[HIHG] Points missing"))
    assert reply.status_code == 422
    assert "did you mean [HIGH]?" in reply.get_json()["errors"]["subject"]


def test_a_phone_number_needs_confirmation(app, client):
    payload = body(fields={"steps_to_reproduce": "1. Call +44 20 7946 0958\n2. Nobody answers"})
    reply = file(client, payload)
    data = reply.get_json()
    assert reply.status_code == 422
    assert "holds a phone number" in data["errors"]["steps_to_reproduce"]
    assert data["guard"] == [{"field": "steps_to_reproduce", "kind": "phone", "confirm": "steps_to_reproduce:phone"}]
    confirmed = file(client, dict(payload, confirm_guard=["steps_to_reproduce:phone"]))
    assert confirmed.status_code == 201


@pytest.mark.parametrize(
    "fields",
    [
        {"problem_summary": ["Students completed quizzes but got no points."]},
        {"organisation": ["Springfield University"]},
    ],
)
def test_a_list_for_a_text_field_is_named_not_a_server_error(client, fields):
    reply = file(client, body(fields=fields))
    [(key, message)] = reply.get_json()["errors"].items()
    assert reply.status_code == 422
    assert key == next(iter(fields)) and "send text (one string)" in message


@pytest.mark.parametrize(
    "changes, key",
    [
        ({"fields": {"impact": "200 learners \ud800 affected"}}, "impact"),
        ({"subject": SUBJECT + " \ud800"}, "subject"),
        ({"name": "Jane \udc00"}, "name"),
        ({"deflect_token": "\ud800"}, "deflect_token"),
    ],
)
def test_a_lone_surrogate_in_the_json_is_named_not_a_server_error(client, changes, key):
    reply = file(client, body(**changes))
    assert reply.status_code == 422
    assert "send plain Unicode text" in reply.get_json()["errors"][key]


def test_page_feedback_with_a_lone_surrogate_is_refused(client):
    reply = client.post("/api/feedback", json={"page": "faq/\ud800/", "helpful": True})
    assert reply.status_code == 422 and "page" in reply.get_json()["errors"]


@pytest.mark.parametrize(
    "payload, status",
    [
        ([], 400),
        ("text", 400),
        ({"form": 5}, 422),
        ({"form": "nope", "subject": SUBJECT, "email": "a@b.io"}, 422),
    ],
)
def test_malformed_bodies(client, payload, status):
    assert client.post("/api/requests", json=payload).status_code == status


def test_not_json_is_400(client):
    reply = client.post("/api/requests", data="form=problem", content_type="application/x-www-form-urlencoded")
    assert reply.status_code == 400 and "errors" in reply.get_json()


def test_the_api_is_rate_limited(kb_dir, kb_index, tmp_path):
    from tests.helpers import make_app

    client = make_app(kb_dir, tmp_path / "var", kb_index, FILING_RATE_LIMIT="1 per minute").test_client()
    assert file(client, body()).status_code == 201  # only a filed request counts (issue 9)
    reply = client.post("/api/requests", json=body())
    assert reply.status_code == 429 and "Too many requests" in reply.get_json()["errors"]["request"]


def test_an_oversized_body_is_413(client):
    reply = client.post("/api/requests", json=body(fields={"impact": "x" * 200_000}))
    assert reply.status_code == 413 and "errors" in reply.get_json()


@pytest.mark.parametrize(
    "payload, status",
    [
        ({"page": "faq/accounts/reset-password/", "helpful": True}, 201),
        ({"page": "faq/", "helpful": "yes"}, 422),
        ({"page": "", "helpful": False}, 422),
        ({"page": "a\nb", "helpful": False}, 422),
        ([1, 2], 422),
    ],
)
def test_page_feedback(client, payload, status):
    assert client.post("/api/feedback", json=payload).status_code == status
