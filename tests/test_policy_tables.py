"""Policy directives render as tables from support.yml in plain Python-Markdown, with any theme."""

from __future__ import annotations

import markdown

from deflect.policy.markdown import PolicyTables
from deflect.policy.reader import load_policy
from tests.helpers import KB

POLICY = load_policy(KB / "support.yml")


def render(text: str) -> str:
    return markdown.markdown(text, extensions=["tables", PolicyTables(POLICY)])


def test_a_directive_line_becomes_the_policys_table():
    html = render("Our targets:\n\n<!-- deflect: response-times -->\n\nThat is all.")
    standard = POLICY.plans[0]
    assert "<table>" in html and standard.name in html
    assert str(standard.targets[POLICY.priorities[0].id].response) in html
    assert "deflect:" not in html and html.rstrip().endswith("<p>That is all.</p>")


def test_an_unknown_directive_is_left_for_the_writers_check():
    assert "<!-- deflect: no-such-table -->" in render("<!-- deflect: no-such-table -->")
