"""No request can stall the server: every value is bounded before any rule runs, the guard is linear.

The issue's attack: one POST with a 120,000-character field (under the 128 KB body limit) held
every thread for 70 s, because the personal-data guard ran a quadratic pattern before the length
rule. Now an over-long value gets its length message at once and nothing else reads it. Tests go
through the real `deflect serve` (module server) and the Flask test client, one table per door.
"""

from __future__ import annotations

import json
import re
import textwrap
import threading
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar

import pytest

from deflect.intake import guard
from deflect.ranking.spelling import Speller
from tests.helpers import GOOD_FIELDS, hidden, make_app

SUBJECT = "[HIGH] Students not receiving points for quiz completions"
LONG = 120_000
# Runs the quadratic email pattern rescanned from every position: a word, a dotted name, digits.
HOSTILE_RUNS = {
    "word": "a" * LONG,
    "dotted": "a." * (LONG // 2),
    "digits": "1" * LONG,
    "dashed": "-eyJAB" * (LONG // 6),
}


def api_body(**changes) -> dict:
    fields = dict(GOOD_FIELDS["problem"], **changes.pop("fields", {}))
    return dict(
        {"form": "problem", "subject": SUBJECT, "email": "admin@springfield.example", "fields": fields}, **changes
    )


# --- Through the real server -----------------------------------------------------------------


@pytest.fixture(scope="module")
def served(start_deflect, project_kb_copy, tmp_path_factory):
    """One real `deflect serve` for this module."""
    server = start_deflect(project_kb_copy, tmp_path_factory.mktemp("hostile") / "var")
    yield server
    server.stop()


def timed(url: str, data: bytes | None = None, headers: dict | None = None, opener=None) -> tuple[int, str, float]:
    """(status, body, seconds) of one request; HTTP errors are answers too."""
    started = time.monotonic()
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=120) as reply:
            status, body = reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode()
    return status, body, time.monotonic() - started


def post_json(url: str, payload: dict) -> tuple[int, str, float]:
    return timed(url, json.dumps(payload).encode(), {"Content-Type": "application/json"})


def healthz_while(server, attacks: list) -> list[float]:
    """Run the attacks in threads; meanwhile (and once after) time /support/healthz and the site's /."""
    threads = [threading.Thread(target=attack) for attack in attacks]
    for thread in threads:
        thread.start()
    waits = []
    while any(thread.is_alive() for thread in threads) or not waits:
        for url in (server.url + "support/healthz", server.url):
            status, _, seconds = timed(url)
            assert status == 200
            waits.append(seconds)
    for thread in threads:
        thread.join(120)
    return waits


def test_a_120000_character_field_is_refused_at_once_and_healthz_keeps_answering(served):
    answers = []
    payload = api_body(fields={"steps_to_reproduce": HOSTILE_RUNS["word"]})
    assert len(json.dumps(payload)) < 128 * 1024  # under the body limit: the rules must refuse it
    waits = healthz_while(served, [lambda: answers.append(post_json(served.url + "support/api/requests", payload))])
    [(status, body, seconds)] = answers
    assert status == 422
    assert json.loads(body)["errors"] == {
        "steps_to_reproduce": f"Steps to reproduce has {LONG} characters: shorten it to at most 4000"
    }
    assert seconds < 10, "did not hang (the quadratic guard took about 70 s)"
    assert max(waits) < 2


def test_three_hostile_requests_in_parallel_do_not_stall_the_server(served):
    answers = []
    attacks = [
        lambda text=text: answers.append(
            post_json(served.url + "support/api/requests", api_body(fields={"actual_result": text}))
        )
        for text in list(HOSTILE_RUNS.values())[1:]
    ]
    waits = healthz_while(served, attacks)
    assert sorted(status for status, _, _ in answers) == [422, 422, 422]
    assert all("Actual result has" in body for _, body, _ in answers)
    assert max(seconds for _, _, seconds in answers) < 10
    assert max(waits) < 2


def test_the_html_form_refuses_a_120000_character_field_and_keeps_it(served):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    q = "Students not receiving points for quiz completions"
    _, page, _ = timed(served.url + f"support/problem/suggestions?q={q.replace(' ', '+')}&tag=HIGH", opener=opener)
    link = re.search(r'class="button" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    _, form, _ = timed(served.url.rstrip("/") + link, opener=opener)
    data = dict(hidden(form), tag="HIGH", summary=q, email="admin@springfield.example", **GOOD_FIELDS["problem"])
    data["steps_to_reproduce"] = "1. open course 123 " + "a" * LONG
    encoded = urllib.parse.urlencode(data).encode()
    status, body, seconds = timed(served.url + "support/problem/request", encoded, opener=opener)
    assert status == 422 and seconds < 10
    assert f"Steps to reproduce has {len(data['steps_to_reproduce'])} characters: shorten it to at most 4000" in body
    assert "a" * LONG in body  # what was typed comes back


def test_deeply_nested_json_gets_400_not_a_server_error(served):
    status, body, _ = timed(served.url + "support/api/requests", b"[" * 100_000, {"Content-Type": "application/json"})
    assert status == 400
    assert "nests deeper than 20 levels" in json.loads(body)["errors"]["request"]


# --- Through the Flask test client: one table per door ---------------------------------------


@pytest.mark.parametrize(
    "changes, key, message",
    [
        (
            {"fields": {"steps_to_reproduce": "a" * LONG}},
            "steps_to_reproduce",
            f"Steps to reproduce has {LONG} characters: shorten it to at most 4000",
        ),
        (
            {"fields": {"organisation": "x" * 10_000}},
            "organisation",
            "Organisation has 10000 characters: shorten it to at most 120",
        ),
        ({"fields": {"impact": "x\r\n" * 600}}, "impact", "Impact has 1199 characters: shorten it to at most 1000"),
        (
            {"subject": "[HIGH] " + "x" * 100_000},
            "subject",
            "Subject has 100007 characters: write a tag and a summary of at most 120",
        ),
        (
            {"email": "a" * 100_000 + "@example.com"},
            "email",
            "Contact email has 100012 characters: an email address has at most 254",
        ),
        ({"name": "n" * 100_000}, "name", "Your name: write it on one line, at most 120 characters"),
        (
            {"confirm_guard": [f"steps_to_reproduce:{i}" for i in range(1000)]},
            "confirm_guard",
            "confirm_guard: send at most",
        ),
        (
            {"fields": {"environment": ["Production"] * 50}},
            "environment",
            "Environment: choose each option at most once (it has 3)",
        ),
        (
            {"fields": {"environment": "P" * 10_000}},
            "environment",
            "Environment: choose one of Production, Staging, Development",
        ),
        (
            {"fields": {f"field_{i}": "x" for i in range(1000)}},
            "fields",
            "fields: send only the 11 fields of 'problem'",
        ),
    ],
)
def test_each_bounded_api_value_gets_its_message_and_nothing_else_runs_on_it(client, changes, key, message):
    reply = client.post("/api/requests", json=api_body(**changes))
    assert reply.status_code == 422
    assert reply.get_json()["errors"][key].startswith(message)
    assert reply.get_json().get("guard", []) == []  # the guard never read it


def test_other_fields_are_still_checked_beside_an_over_long_one(client):
    reply = client.post("/api/requests", json=api_body(fields={"steps_to_reproduce": "a" * LONG, "impact": ""}))
    errors = reply.get_json()["errors"]
    assert errors["steps_to_reproduce"].startswith(f"Steps to reproduce has {LONG} characters")
    assert errors["impact"].startswith("Impact is required")


@pytest.mark.parametrize("changes", [{"from": "a" * 100_000}, {"deflect_token": "t" * 100_000}])
def test_an_over_long_hidden_value_is_ignored_and_the_search_step_comes_first(client, changes):
    assert client.post("/api/requests", json=api_body(**changes)).status_code == 428


@pytest.mark.parametrize(
    "field, value, message",
    [
        (
            "steps_to_reproduce",
            "1. open " + "a" * LONG,
            f"Steps to reproduce has {LONG + 8} characters: shorten it to at most 4000",
        ),
        ("summary", "x" * 100_000, "Subject: the summary has 100000 characters; shorten it to at most 120"),
        ("tag", "H" * 10_000, "Subject: choose a tag from the list, one of [CRITICAL]"),
        (
            "email",
            "a" * 100_000 + "@example.com",
            "Contact email has 100012 characters: an email address has at most 254",
        ),
        ("name", "n" * 100_000, "Your name: write it on one line, at most 120 characters"),
        ("environment", "P" * 10_000, "Environment: choose one of Production, Staging, Development"),
    ],
)
def test_each_bounded_form_value_gets_its_message_and_comes_back_filled(support, field, value, message):
    page = support.open_form()
    reply = support.client.post("/problem/request", data=support.form_data(page, **{field: value}))
    text = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert message in text
    if field not in ("tag", "environment"):  # a select shows its options, not a value it lacks
        assert value in text


def test_a_thousand_guard_confirmations_in_the_form_are_refused(support):
    page = support.open_form()
    data = support.form_data(page)
    data["confirm_guard"] = [f"steps_to_reproduce:{i}" for i in range(1000)]
    reply = support.client.post("/problem/request", data=data)
    assert reply.status_code == 422 and "confirm_guard: send at most" in reply.get_data(as_text=True)


CHOICES_FORM = textwrap.dedent("""\
    name: Choices
    description: Checkboxes and a multiple choice.
    tags: [LOW]
    body:
      - type: checkboxes
        id: affected
        attributes:
          label: Affected parts
          options:
            - label: Points
            - label: Badges
      - type: dropdown
        id: platforms
        attributes:
          label: Platforms
          multiple: true
          options: [Moodle, Canvas]
""")


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("affected", ["Points"] * 500, "Affected parts: choose each option at most once (it has 2)"),
        ("platforms", ["Moodle", "Canvas", "Moodle"], "Platforms: choose each option at most once (it has 2)"),
        ("affected", ["P" * 5000], "Affected parts: choose one of Points, Badges"),
    ],
)
def test_lists_of_choices_are_bounded_by_the_options(kb_dir, kb_index, tmp_path, field, value, message):
    (kb_dir / "forms" / "choices.yml").write_text(CHOICES_FORM)
    client = make_app(kb_dir, tmp_path / "var", kb_index).test_client()
    body = {
        "form": "choices",
        "subject": "[LOW] Points and badges for early quizzes",
        "email": "a@example.com",
        "fields": {field: value},
    }
    reply = client.post("/api/requests", json=body)
    assert reply.status_code == 422 and reply.get_json()["errors"][field] == message


@pytest.mark.parametrize("raw", [b"[" * 100_000, b'{"a":' * 1000 + b"1" + b"}" * 1000, b'{"fields": ' + b"[" * 5000])
def test_nested_json_is_refused_before_it_is_parsed(client, raw):
    for url in ("/api/requests", "/api/feedback"):
        reply = client.post(url, data=raw, content_type="application/json")
        assert reply.status_code == 400
        assert "the JSON nests deeper than 20 levels" in reply.get_json()["errors"]["request"]


def test_brackets_inside_strings_do_not_count_as_nesting(client):
    reply = client.post("/api/requests", json=api_body(fields={"impact": "[" * 500 + " 200 learners affected"}))
    assert reply.status_code == 428


def test_oversized_json_gets_413_with_the_limit_in_words(client):
    reply = client.post("/api/requests", json=api_body(fields={"impact": "x" * 200_000}))
    assert reply.status_code == 413
    assert "larger than the 128 KB we accept" in reply.get_json()["errors"]["request"]


@pytest.mark.parametrize("url", ["/problem/suggestions", "/api/suggest"])
def test_an_over_long_query_string_gets_414(client, url):
    reply = client.get(url, query_string={"q": "points " * 5000})
    assert reply.status_code == 414
    assert "Address too long" in reply.get_data(as_text=True)


def test_a_form_post_of_too_many_parts_is_refused(support):
    page = support.open_form()
    fields = {f"part{i}": "x" for i in range(300)} | support.form_data(page)
    body = (
        "".join(f'--b\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items())
        + "--b--\r\n"
    )
    reply = support.client.post("/problem/request", data=body.encode(), content_type="multipart/form-data; boundary=b")
    assert reply.status_code == 413


# --- Plain modules: the guard and the search step on hostile shapes -----------------------------


@pytest.mark.parametrize("shape", ["a", "a.", "1", "1-", "-eyJAB", "x@", "password is a", "1 ab ab "])
def test_the_guard_is_linear_on_runs_the_quadratic_patterns_rescanned(shape):
    text = (shape * (50_000 // len(shape) + 1))[:50_000]  # five times the longest field a form may have
    started = time.monotonic()
    guard.scan("steps", text, {})
    guard.redact(text, {})
    assert time.monotonic() - started < 2, "did not hang (the quadratic email pattern took about 12 s here)"


def test_the_guard_still_finds_an_email_after_a_long_run():
    findings = guard.scan("steps", "a" * 50_000 + " write to jane.doe@school.example", {})
    assert [f.kind for f in findings] == ["email"]


def test_a_word_longer_than_any_vocabulary_word_is_not_corrected():
    speller = Speller({"points": 3, "quiz": 2})
    assert speller.correct("pointz") == "points"
    assert speller.correct("qwertyuiopasdfghjklzxcvbnm" * 20) is None


def test_a_query_of_long_unknown_words_is_answered(client):
    reply = client.get("/api/suggest", query_string={"q": " ".join(["qwertyuiopasdfghjkl"] * 25)})
    assert reply.status_code == 200 and reply.get_json() == {"results": []}


def test_an_unknown_tag_is_never_echoed_into_a_redirect(client):
    response = client.get("/problem/request", query_string={"q": "Points missing after a quiz", "tag": "A" * 5000})
    assert response.status_code == 302 and "AAAA" not in response.headers["Location"]


def test_a_path_longer_than_any_page_is_414_before_it_is_echoed(client):
    response = client.get("/" + "a%20" * 2000)
    assert response.status_code == 414 and "Location" not in response.headers
