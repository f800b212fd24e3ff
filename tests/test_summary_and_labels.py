"""The request as a customer writes it (issue 12): one summary, asked once and checked for content,
errors that point at their field, and labels in the customer's words, on the HTML form and the API."""

from __future__ import annotations

import html
import re

import pytest

from deflect.app import create_app
from tests.helpers import GOOD_FIELDS, PROJECT, copy_kb, hidden, local

EXAMPLE = "Students not receiving points for quiz completions"  # kb/support.yml subject.example
SUBJECT = "[HIGH] Points missing for quiz 88 in course 123"


def store(app):
    return app.extensions["deflect"].store


def control(page: str, control_id: str) -> str:
    """The opening tag of the control with this id."""
    return re.search(rf'<(?:input|textarea|select)[^>]*\bid="{control_id}"[^>]*>', page, re.S).group(0)


def api_file(client, fields: dict, subject: str = SUBJECT):
    payload = {"form": "problem", "subject": subject, "email": "admin@springfield.example", "fields": fields}
    first = client.post("/api/requests", json=payload)
    if first.status_code != 428:
        return first
    return client.post("/api/requests", json=dict(payload, deflect_token=first.get_json()["deflect_token"]))


# --- One summary, asked once ------------------------------------------------------------------


def test_the_problem_form_asks_the_summary_once_and_files_it_as_the_problem_summary(app, client, support):
    page = support.open_form().get_data(as_text=True)
    assert 'name="problem_summary"' not in page
    assert "One sentence; it is also the request's &ldquo;Problem summary&rdquo;." in page
    sent = support.file(summary="Points missing for quiz 88 in course 123")
    assert sent.status_code == 303
    [record] = store(app).list_requests()
    fields = {f["id"]: f["value"] for f in store(app).get_request(record["case_number"])["fields"]}
    assert fields["problem_summary"] == "Points missing for quiz 88 in course 123"


def test_the_api_fills_the_summary_field_from_the_subject_when_it_is_not_sent(app, client):
    without = {k: v for k, v in GOOD_FIELDS["problem"].items() if k != "problem_summary"}
    reply = api_file(client, without)
    assert reply.status_code == 201, reply.get_json()
    filed = store(app).get_request(reply.get_json()["case"])
    assert {f["id"]: f["value"] for f in filed["fields"]}[
        "problem_summary"
    ] == "Points missing for quiz 88 in course 123"
    sent = api_file(client, GOOD_FIELDS["problem"])  # a program that sends it keeps its own words
    filed = store(app).get_request(sent.get_json()["case"])
    assert {f["id"]: f["value"] for f in filed["fields"]}["problem_summary"] == GOOD_FIELDS["problem"][
        "problem_summary"
    ]


# --- A summary says what is wrong -----------------------------------------------------------


@pytest.mark.parametrize("typed", ["help!!!!!!!!!", "URGENT PLEASE HELP", "!!!! ???? !!!!"])
def test_step_one_refuses_a_description_of_only_shouting_with_the_fix_and_the_example(client, typed):
    reply = client.get("/problem/suggestions", query_string={"q": typed, "tag": "HIGH"})
    page = html.unescape(reply.get_data(as_text=True))
    assert reply.status_code == 422
    assert "Your description needs a few words that say what is wrong" in page and f'like "{EXAMPLE}"' in page
    assert f'value="{typed}"' in page  # what was typed comes back
    assert 'aria-invalid="true"' in control(page, "q") or "aria-invalid=true" in control(page, "q")


def test_the_form_refuses_such_a_summary_and_points_the_error_at_the_summary_box(support):
    reply = support.file(summary="URGENT PLEASE HELP!!!")
    page = reply.get_data(as_text=True)
    assert reply.status_code == 422
    summary = control(page, "summary-input")
    assert "aria-invalid=true" in summary and 'aria-describedby="summary-error summary-hint"' in summary
    assert '<a href="#summary-input">Subject: the summary needs a few words' in page
    assert 'value="URGENT PLEASE HELP!!!"' in page


def test_the_api_refuses_a_subject_that_says_nothing(client):
    reply = api_file(client, GOOD_FIELDS["problem"], subject="[HIGH] !!!! HELP !!!!")
    assert reply.status_code == 422
    message = reply.get_json()["errors"]["subject"]
    assert "needs a few words that say what is wrong" in message and EXAMPLE in message


# --- Errors point at their field ------------------------------------------------------------


def test_every_field_in_error_is_marked_and_described_and_the_summary_links_to_it(support):
    page = support.file(email="dana@", steps_to_reproduce="", summary="x").get_data(as_text=True)
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    assert "autofocus" in summary and 'tabindex="-1"' in summary and "role=" in summary
    assert 'role="alert"' not in page  # focus announces the summary: the page's one live region is the notice
    for target in ("summary-input", "email-input", "steps_to_reproduce"):
        assert f'href="#{target}"' in summary
        opening = control(page, target)
        assert "aria-invalid=true" in opening
        described = re.search(r'aria-describedby="([^"]+)"', opening).group(1).split()
        assert all(f'id="{i}"' in page for i in described) and described[0].endswith("-error")
    assert len(re.findall(r"aria-live=|role=\"(?:status|alert)\"", page)) == 1


# --- Labels in the customer's words ---------------------------------------------------------


def test_a_conditional_field_is_labelled_with_the_other_fields_label_and_choices(support):
    page = html.unescape(support.open_form().get_data(as_text=True))
    assert "(only if Learning platform is Moodle, Canvas, Blackboard, Brightspace or Another platform)" in page
    assert "only if lms" not in page


def test_a_form_with_one_tag_shows_no_tag_picker(client, support):
    page = support.open_form("question", q="How do I give bonus points for early quizzes", tag="QUESTION")
    text = page.get_data(as_text=True)
    assert "<select" not in text.split('id="summary"')[0].split('class="subject"')[1]
    assert 'type="hidden" name="tag" value="QUESTION"' in text
    assert support.file("question", tag="QUESTION", q="How do I give bonus points for early quizzes").status_code == 303


def test_what_support_does_not_cover_comes_before_the_scope_box_it_explains(tmp_path):
    kb = copy_kb(tmp_path, PROJECT / "examples" / "small-crm", docs=False)
    app = create_app(
        {"TESTING": True, "KB": str(kb.root), "DATA_DIR": str(tmp_path / "var"), "SECRET_KEY": "s",
         "OUTBOX_WORKER": False, "APPLICATION_ROOT": "/support", "SERVER_NAME": "localhost"}
    )  # fmt: skip
    client = app.test_client()
    for form in ("how-to", "problem"):
        tag = app.extensions["deflect"].forms.get(form).tags[0]
        step2 = client.get(
            f"/{form}/suggestions", query_string={"q": "How do I set up a renewals pipeline", "tag": tag}
        )
        link = html.unescape(re.search(r'class="button" href="([^"]+)"', step2.get_data(as_text=True)).group(1))
        page = client.get(local(link)).get_data(as_text=True)
        assert hidden(page)["deflect_token"]
        assert page.index("What support does not cover") < page.index('name="scope"'), form
