"""The deflection form as a customer sees it: describe, articles first, then a complete request."""

import re

import pytest

from deflect.web.resources import Resources
from tests.helpers import hidden, local, make_app


def store(app):
    resources: Resources = app.extensions["deflect"]
    return resources.store


def test_chooser_lists_forms_and_contact_links(client):
    page = client.get("/").get_data(as_text=True)
    for name in (
        "Report a problem",
        "Ask a question",
        "Request a feature",
        "Escalate an existing case",
        "Administrator community forum",
    ):
        assert name in page
    assert "Orbit Learning Rewards Help Center" in page  # the site's name, and a way back
    assert 'href="/"' in page


def test_step_two_shows_articles_with_a_way_to_say_solved(support):
    page = support.describe().get_data(as_text=True)
    assert "This solved my problem" in page and "I still need help" in page
    assert "<mark>" in page


def test_this_solved_my_problem_records_a_deflection(app, client, support):
    page = support.describe(**{"from": "troubleshooting/points-not-awarded/"}).get_data(as_text=True)
    data = dict(
        hidden(page),
        q="Students not receiving points for quiz completions",
        url="/troubleshooting/points-not-awarded/",
        title="Points not awarded",
        **{"from": "troubleshooting/points-not-awarded/"},
    )
    done = client.post("/deflected", data=data)
    assert done.status_code == 302
    assert "Glad that solved it" in client.get(local(done.headers["Location"])).get_data(as_text=True)
    [row] = store(app).list_deflections()
    # The title comes from the search index, not from what the form sent (issue 9).
    assert row["article_title"] == "Points not awarded after a quiz completion"
    assert row["from_page"] == "troubleshooting/points-not-awarded/"


@pytest.mark.parametrize("url", ["https://evil.example/phish", "//evil.example/", "javascript:alert(1)"])
def test_the_thank_you_page_links_only_into_the_help_center(client, url):
    page = client.get("/thanks", query_string={"title": "An article", "url": url}).get_data(as_text=True)
    assert "evil.example" not in page and "javascript:" not in page


def test_a_deflection_must_name_an_article_of_the_help_center(client, support):
    page = support.describe().get_data(as_text=True)
    data = dict(hidden(page), q="Students not receiving points", url="https://evil.example/", title="x")
    assert client.post("/deflected", data=data).status_code == 400


def test_a_complete_request_is_stored_numbered_and_confirmed(app, client, support):
    sent = support.file()
    assert sent.status_code == 303
    page = client.get(local(sent.headers["Location"])).get_data(as_text=True)
    case = re.search(r'id="case-number">([^<]+)<', page).group(1)
    assert re.fullmatch(r"OLR-\d{4}-000001", case)
    assert "8 support hours" in page and "Steps to reproduce" in page  # issue 12: support hours said
    record = store(app).get_request(case)
    assert record["subject"] == "[HIGH] Students not receiving points for quiz completions"
    assert record["priority"] == "high" and record["plan"] == "standard" and record["region"] == "europe"
    assert [f["id"] for f in record["fields"]][:6] == [
        "problem_summary",
        "steps_to_reproduce",
        "expected_result",
        "actual_result",
        "environment",
        "impact",
    ]
    assert record["response_target"] == "8 hours" and record["resolution_target"] == "24 hours"
    assert record["response_due"] < record["resolution_due"]
    assert record["shown_articles"] and record["email"] == "admin@springfield.example"


def test_case_numbers_increase(support, app):
    for _ in range(3):
        assert support.file().status_code == 303
    numbers = sorted(r["case_number"] for r in store(app).list_requests())
    assert [n[-6:] for n in numbers] == ["000001", "000002", "000003"]


def test_posting_the_form_directly_does_not_skip_the_search(app, client, support):
    data = support.form_data(support.describe())  # a CSRF token, but no deflection token
    assert "deflect_token" not in data
    refused = client.post("/problem/request", data=data)
    assert refused.status_code == 428
    body = refused.get_data(as_text=True)
    assert "please check these articles" in body and "This solved my problem" in body
    assert "Springfield University" in body  # nothing typed is lost
    assert store(app).list_requests() == []


def test_a_token_for_another_description_does_not_count(app, client, support):
    page = support.open_form(q="Points missing for the whole class today")
    data = support.form_data(page, description="Something else entirely that was never searched")
    assert client.post("/problem/request", data=data).status_code == 428


def test_opening_the_form_without_a_token_goes_back_to_the_articles(client):
    reply = client.get("/problem/request", query_string={"q": "Points missing for quizzes", "tag": "HIGH"})
    assert reply.status_code == 302 and "/problem/suggestions" in reply.headers["Location"]


def test_missing_steps_are_refused_with_the_field_named_and_the_form_refilled(app, support):
    reply = support.file(steps_to_reproduce="")
    body = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert "Steps to reproduce is required" in body
    assert 'id="steps_to_reproduce-error"' in body
    assert "About 200 learners in three active courses are missing points." in body
    assert 'value="admin@springfield.example"' in body
    assert store(app).list_requests() == []


@pytest.mark.parametrize(
    "tag, summary, expected",
    [
        ("high", "Points missing for quizzes", "write the tag in capitals: [HIGH]"),
        ("HIHG", "Points missing for quizzes", "did you mean [HIGH]?"),
        ("HIGH", "x", "describe the problem in 10 to 120"),
        ("QUESTION", "Points missing for quizzes", "unknown tag [QUESTION]"),
    ],
)
def test_subject_errors_say_what_to_write(support, tag, summary, expected):
    page = support.open_form()
    reply = support.client.post(
        "/problem/request",
        data=support.form_data(
            page, tag=tag, summary=summary, description="Students not receiving points for quiz completions"
        ),
    )
    assert reply.status_code == 422
    assert expected in reply.get_data(as_text=True)


def test_script_comes_back_as_text(support):
    script = "<script>alert(1)</script>"
    reply = support.file(impact=script, organisation=script, summary="Points " + script, email=script)
    body = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_a_phone_number_in_the_steps_triggers_the_guard(app, support):
    steps = "1. Call the teacher on +44 20 7946 0958\n2. She says the points are missing"
    page = support.open_form()
    data = support.form_data(page, steps_to_reproduce=steps)
    reply = support.client.post("/problem/request", data=data)
    body = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert "<strong>Steps to reproduce</strong> holds a phone number" in body
    assert "steps_to_reproduce:phone" in body
    confirmed = support.client.post("/problem/request", data=dict(data, confirm_guard="steps_to_reproduce:phone"))
    assert confirmed.status_code == 303
    [record] = store(app).list_requests()
    assert record["guard"] == [{"field": "steps_to_reproduce", "kind": "phone", "confirmed": True}]


def test_secrets_are_never_forwarded_as_typed(app, support):
    page = support.open_form()
    data = support.form_data(page, actual_result="Login fails; my password is Hunter2024 and it worked yesterday.")
    assert support.client.post("/problem/request", data=data).status_code == 422
    assert (
        support.client.post("/problem/request", data=dict(data, confirm_guard="actual_result:password")).status_code
        == 303
    )
    [record] = store(app).list_requests()
    actual = next(f["value"] for f in record["fields"] if f["id"] == "actual_result")
    assert "Hunter2024" not in actual and "[removed: a password]" in actual


def test_critical_shows_the_form_at_once_with_articles_and_escalation_beside(support):
    described = support.describe(tag="CRITICAL", q="No points are awarded anywhere in production")
    assert described.status_code == 302 and "/problem/request" in described.headers["Location"]
    page = support.client.get(local(described.headers["Location"])).get_data(as_text=True)
    assert 'class="beside"' in page and "Outage? Do not wait" in page
    assert "Executive escalation" in page and "Send request" in page


def test_a_tag_the_form_does_not_offer_opens_the_form_on_its_default_tag_not_critical(client, support):
    q = "Students not receiving points for quiz completions"
    token = hidden(support.open_form(q=q).get_data(as_text=True))["deflect_token"]
    page = client.get("/problem/request", query_string={"q": q, "tag": "BOGUS", "token": token}).get_data(as_text=True)
    picker = re.search(r'<select id="tag-select".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="(\w+)" selected', picker) == ["MEDIUM"]
    assert "[MEDIUM]" in page and "Outage? Do not wait" not in page


def test_coming_from_an_article_is_remembered_for_support(app, support):
    page = support.open_form(**{"from": "troubleshooting/points-not-awarded/"})
    support.client.post("/problem/request", data=support.form_data(page))
    [record] = store(app).list_requests()
    assert record["from_page"] == "troubleshooting/points-not-awarded/"


def test_targets_for_priority_and_plan_are_shown(support):
    page = support.open_form().get_data(as_text=True)
    assert "What you can expect" in page
    assert "8 hours / 24 hours" in page and "2 hours / 8 hours" in page


def test_the_honeypot_refuses_bots(app, support):
    page = support.open_form()
    assert (
        support.client.post("/problem/request", data=support.form_data(page, website="http://spam")).status_code == 400
    )
    assert store(app).list_requests() == []


def test_a_form_without_a_valid_csrf_token_is_not_filed_but_comes_back_filled(app, support):
    page = support.open_form()
    data = support.form_data(page, csrf_token="expired-or-forged")
    reply = support.client.post("/problem/request", data=data)
    text = reply.get_data(as_text=True)
    assert reply.status_code == 400 and "open too long" in text
    assert store(app).list_requests() == []
    assert "Learner 4411 completes quiz 9" in text and "Springfield University" in text
    again = support.client.post("/problem/request", data=dict(data, csrf_token=hidden(text)["csrf_token"]))
    assert again.status_code == 303 and len(store(app).list_requests()) == 1


def test_posting_to_an_unknown_form_without_a_csrf_token_is_404_not_a_server_error(client):
    reply = client.post("/nope/request", data={"summary": "Points missing for quizzes"})
    assert reply.status_code == 404 and "Page not found" in reply.get_data(as_text=True)


def test_too_large_a_request_gets_413(support):
    page = support.open_form()
    reply = support.client.post("/problem/request", data=support.form_data(page, impact="x" * 200_000))
    assert reply.status_code == 413 and "Too much text" in reply.get_data(as_text=True)


def test_filing_is_rate_limited_per_client(kb_dir, kb_index, tmp_path):
    from tests.helpers import SupportActions

    app = make_app(kb_dir, tmp_path / "var", kb_index, FILING_RATE_LIMIT="2 per minute")
    support = SupportActions(app.test_client())
    assert [support.file().status_code for _ in range(2)] == [303, 303]
    refused = support.file(impact="Every learner of the spring term, about 900 people.")
    assert refused.status_code == 429 and "sent several requests in a short time" in refused.get_data(as_text=True)
    assert refused.headers.get("Retry-After")
    # Refused, but nothing typed is lost: the form comes back filled.
    assert "Every learner of the spring term, about 900 people." in refused.get_data(as_text=True)
    assert 'value="admin@springfield.example"' in refused.get_data(as_text=True)


@pytest.mark.parametrize("form", ["question", "feature-request", "escalate"])
def test_every_form_files(app, support, form):
    tag = {"question": "QUESTION", "feature-request": "LOW", "escalate": "HIGH"}[form]
    q = {
        "question": "How do I give bonus points for early quizzes?",
        "feature-request": "Bonus points for quizzes completed early",
        "escalate": "Case past its target and more learners affected",
    }[form]
    assert support.file(form, tag=tag, q=q).status_code == 303
    [record] = store(app).list_requests()
    assert record["form"] == form and record["tag"] == tag


def test_escalate_form_shows_the_escalation_levels(support):
    page = support.open_form("escalate", q="Case past its target and more learners affected").get_data(as_text=True)
    assert "How escalation works" in page and "Technical Specialists" in page


def test_unknown_form_is_404(client):
    assert client.get("/nothing/").status_code == 404


def test_step_one_refuses_a_description_too_short(client):
    reply = client.get("/problem/suggestions", query_string={"q": "help", "tag": "HIGH"})
    assert reply.status_code == 422 and "Your description has 4 characters" in reply.get_data(as_text=True)
