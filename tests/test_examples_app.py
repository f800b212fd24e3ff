"""Five processes, one program: the app runs on each knowledge base, walked from description to case."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deflect.kb.pages import read_folder
from deflect.search import build_index
from tests.helpers import SupportActions, hidden, local, make_app
from tests.test_examples import EXAMPLES_DIR, WALKS

GENERIC = {
    "textarea": "1. Open the page named in the summary\n2. Follow the usual steps for it",
    "input": "Example organisation 42",
}


def filled(form, walk_fields: dict) -> dict:
    """Every shown required field answered: the walk's own values, a plain answer for the rest."""
    values = {}
    for field in form.fields:
        if field.type in ("dropdown", "checkboxes"):
            if field.required or any(o.required for o in field.options):
                choice = [o.value for o in field.options if o.required] or [field.options[0].value]
                values[field.id] = choice if field.type == "checkboxes" else choice[0]
        elif field.required:
            values[field.id] = GENERIC[field.type] + f" ({field.id})"
    values.update(walk_fields)
    return values


@pytest.fixture(scope="module", params=sorted(WALKS))
def walked_app(request, tmp_path_factory):
    walk = WALKS[request.param]
    kb = EXAMPLES_DIR / walk.name
    work = tmp_path_factory.mktemp(walk.name)
    build_index(read_folder(kb / "docs"), work / "index")
    return walk, make_app(kb, work / "var", work / "index")


def test_each_example_files_a_request_from_description_to_case(walked_app):
    walk, app = walked_app
    support = SupportActions(app.test_client())
    resources = app.extensions["deflect"]
    form = resources.forms.get(walk.form)
    page = support.open_form(walk.form, q=walk.query, tag=walk.tag)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]

    data = dict(
        hidden(page.get_data(as_text=True)),
        tag=walk.tag,
        summary=walk.query,
        email="admin@customer.example",
        **filled(form, walk.fields),
    )
    sent = support.client.post(f"/{walk.form}/request", data=data)
    body = sent.get_data(as_text=True)
    assert sent.status_code == 303, re.findall(r'class="error"[^>]*>([^<]*)<|holds [^<.]*', body)
    confirmation = support.client.get(local(sent.headers["Location"])).get_data(as_text=True)
    case = re.search(r'id="case-number">([^<]+)<', confirmation).group(1)
    assert case.startswith(walk.prefix + "-")
    record = resources.store.get_request(case)
    policy = resources.policy
    target = policy.target(walk.tag, record["plan"])
    assert record["response_target"] == str(target.response)
    assert record["subject"].startswith(f"[{walk.tag}] ")


def test_each_example_shows_its_own_tags_and_targets(walked_app):
    walk, app = walked_app
    client = app.test_client()
    page = SupportActions(client).open_form(walk.form, q=walk.query, tag=walk.tag).get_data(as_text=True)
    policy = app.extensions["deflect"].policy
    for plan in policy.plans:
        assert plan.name in page
    assert f"[{walk.tag}]" in page
    forms = client.get("/api/forms").get_json()["forms"]
    assert walk.form in [f["id"] for f in forms]


def test_the_knowledge_base_is_chosen_by_the_environment(monkeypatch, tmp_path):
    from deflect.app import create_app

    monkeypatch.setenv("DEFLECT_KB", str(EXAMPLES_DIR / "small-crm"))
    monkeypatch.setenv("DEFLECT_DATA_DIR", str(tmp_path / "var"))
    app = create_app({"OUTBOX_WORKER": False})
    assert app.extensions["deflect"].policy.case_prefix == WALKS["small-crm"].prefix
    assert Path(app.config["DATA_DIR"]) == tmp_path / "var"
