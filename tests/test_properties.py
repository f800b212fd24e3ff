"""No input gives a 500: Hypothesis over the HTML form, the step pages and the JSON API."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import GOOD_FIELDS, SupportActions, copy_kb, make_app

FIELD_IDS = list(GOOD_FIELDS["problem"]) + ["nonsense", "email", "tag", "summary", "confirm_guard", "from", "website"]
# Form posts are UTF-8 encoded by the client: no lone surrogates there (JSON below has them).
FORM_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
ANY_TEXT = st.text(max_size=300)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=8,
)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def prop_app(kb_index, tmp_path_factory):
    kb = copy_kb(tmp_path_factory.mktemp("kb"), docs=False).root
    return make_app(
        kb,
        tmp_path_factory.mktemp("var"),
        kb_index,
        FILING_RATE_LIMIT="100000 per minute",
        SUBMISSION_RATE_LIMIT="100000 per minute",
        SUGGEST_RATE_LIMIT="100000 per minute",
    )


@pytest.fixture(scope="module")
def walked(prop_app):
    """A client that went through the search step, and the form data it got."""
    support = SupportActions(prop_app.test_client())
    page = support.open_form()
    return support, support.form_data(page)


@FAST
@given(changes=st.dictionaries(st.sampled_from(FIELD_IDS), FORM_TEXT | st.lists(FORM_TEXT, max_size=3), max_size=8))
def test_the_html_form_never_fails(walked, changes):
    support, data = walked
    reply = support.client.post("/problem/request", data=dict(data, **changes))
    assert reply.status_code in (303, 400, 413, 422, 428, 429)
    assert "<script>" not in reply.get_data(as_text=True).replace("<script src=", "")


@FAST
@given(q=FORM_TEXT, tag=FORM_TEXT, came_from=FORM_TEXT)
def test_the_step_pages_never_fail(walked, q, tag, came_from):
    client = walked[0].client
    args = {"q": q, "tag": tag, "from": came_from}
    assert client.get("/problem/suggestions", query_string=args).status_code in (200, 302, 422, 429)
    assert client.get("/problem/request", query_string=dict(args, token=q)).status_code in (200, 302)
    assert client.get("/", query_string={"from": came_from}).status_code == 200
    assert client.get("/api/suggest", query_string={"q": q}).status_code in (200, 429)


@FAST
@given(
    payload=st.fixed_dictionaries(
        {},
        optional={
            "form": st.sampled_from(["problem", "question", "nope"]) | ANY_TEXT | JSON_VALUE,
            "subject": st.sampled_from(["[HIGH] Students not receiving points for quiz completions"])
            | ANY_TEXT
            | JSON_VALUE,
            "email": st.sampled_from(["a@example.com"]) | ANY_TEXT | JSON_VALUE,
            "name": JSON_VALUE,
            "fields": st.dictionaries(st.sampled_from(FIELD_IDS) | ANY_TEXT, JSON_VALUE, max_size=6) | JSON_VALUE,
            "deflect_token": ANY_TEXT | JSON_VALUE,
            "confirm_guard": JSON_VALUE,
            "from": JSON_VALUE,
        },
    )
)
def test_the_json_api_never_fails(walked, payload):
    client = walked[0].client
    first = client.post("/api/requests", json=payload)
    assert first.status_code in (201, 400, 422, 428, 429)
    if first.status_code == 428:
        again = client.post("/api/requests", json=dict(payload, deflect_token=first.get_json()["deflect_token"]))
        assert again.status_code in (201, 400, 422, 429)


@FAST
@given(payload=JSON_VALUE)
def test_feedback_never_fails(walked, payload):
    assert walked[0].client.post("/api/feedback", json=payload).status_code in (201, 400, 422, 429)
