"""Forms from kb/forms: the real ones load; a writer's mistake names the file, line, key and fix."""

import textwrap
from pathlib import Path

import pytest

from deflect.forms.load import load_forms
from deflect.kb.problems import problems_of
from deflect.policy.reader import load_policy

KB = Path(__file__).resolve().parents[1] / "kb"
POLICY = load_policy(KB / "support.yml")


def test_the_knowledge_base_forms_load():
    forms = load_forms(KB / "forms", POLICY)
    assert [f.id for f in forms.forms] == ["problem", "question", "feature-request", "escalate"]
    problem = forms.get("problem")
    assert [f.id for f in problem.fields][:8] == [
        "problem_summary",
        "steps_to_reproduce",
        "expected_result",
        "actual_result",
        "environment",
        "impact",
        "organisation",
        "plan",
    ]
    assert [o.value for o in problem.field("plan").options] == ["standard", "enterprise"]
    assert forms.contact_links and all(link.url for link in forms.contact_links)


def test_the_feature_request_form_asks_000s_facts():
    form = load_forms(KB / "forms", POLICY).get("feature-request")
    labels = " ".join(f.label.lower() for f in form.fields)
    for fact in ("description", "business justification", "workaround", "beta"):
        assert fact in labels


GOOD_ELEMENT = """
  - type: input
    id: organisation
    attributes:
      label: Organisation
"""


@pytest.mark.parametrize(
    "body, line, expected",
    [
        (
            "  - type: textfield\n    id: a\n    attributes: {label: A}\n",
            4,
            "body.0.type: must be one of markdown, input",
        ),
        ("  - type: input\n    attributes: {label: A}\n", 4, "body.0.id: missing: add `id:`"),
        ("  - type: input\n    id: Steps To\n    attributes: {label: A}\n", 5, "must be lower case letters"),
        ("  - type: input\n    id: email\n    attributes: {label: A}\n", 5, "is used by the app itself"),
        ("  - type: input\n    id: a\n    attributes: {lable: A}\n", 6, "unknown key: did you mean `label`?"),
        ("  - type: dropdown\n    id: a\n    attributes: {label: A}\n", 6, "list the choices under `options:`"),
        (
            "  - type: dropdown\n    id: a\n    attributes: {label: A, options_from: teams}\n",
            6,
            "must be one of plans, regions",
        ),
        (
            "  - type: input\n    id: a\n    attributes: {label: A}\n    validations: {pattern: '(['}\n",
            7,
            "not a valid regular expression",
        ),
        (
            "  - type: input\n    id: a\n    attributes: {label: A}\n    validations: {max_length: 100000}\n",
            7,
            "must be between 1 and 500",
        ),
        (
            "  - type: textarea\n    id: a\n    attributes: {label: A}\n    validations: {differs_from: b}\n",
            7,
            "'b' is not a field above this one",
        ),
        (
            "  - type: input\n    id: a\n    attributes: {label: A}\n    validations: {reqired: true}\n",
            7,
            "did you mean `required`?",
        ),
        (
            "  - type: input\n    id: a\n    show_when: {field: nothing, equals: x}\n    attributes: {label: A}\n",
            6,
            "must name a dropdown",
        ),
        ("  - type: input\n    id: a\n    prefill: subject\n    attributes: {label: A}\n", 6, "use `description`"),
        (
            "  - type: dropdown\n    id: a\n    prefill: summary\n    attributes: {label: A, options: [x]}\n",
            4,
            "`prefill: summary` needs an input or textarea",
        ),
        (
            "  - type: input\n    id: a\n    prefill: summary\n    attributes: {label: A}\n"
            "    validations: {max_length: 80}\n",
            8,
            "max_length: at least 120 (subject.max_length)",
        ),
        (
            "  - type: textarea\n    id: a\n    prefill: summary\n    attributes: {label: A}\n"
            "  - type: textarea\n    id: b\n    prefill: summary\n    attributes: {label: B}\n",
            10,
            "'a' is the summary already: a form has one summary field",
        ),
    ],
)
def test_a_broken_form_names_file_line_key_and_fix(tmp_path, body, line, expected):
    (tmp_path / "broken.yml").write_text("name: Broken\ndescription: d\nbody:\n" + body)
    problems = problems_of(load_forms, tmp_path, POLICY)
    assert problems, "the broken form was accepted"
    text = str(problems[0])
    assert text.startswith(f"{tmp_path / 'broken.yml'}:{line}: error: ")
    assert expected in text


@pytest.mark.parametrize(
    "top, expected",
    [
        ("tags: [HIHG]\n", "tags.0: unknown tag 'HIHG'"),
        ("default_tag: QUESTION\ntags: [HIGH]\n", "'QUESTION' is not offered by this form"),
        ("nmae: x\n", "did you mean `name`?"),
    ],
)
def test_form_level_keys_are_checked(tmp_path, top, expected):
    (tmp_path / "f.yml").write_text("name: F\n" + top + "body:" + GOOD_ELEMENT)
    assert expected in "\n".join(str(p) for p in problems_of(load_forms, tmp_path, POLICY))


def test_yaml_syntax_error_names_the_line(tmp_path):
    (tmp_path / "f.yml").write_text("name: F\nbody:\n  - type: input\n   id: x\n")
    assert ":4: error: invalid YAML" in str(problems_of(load_forms, tmp_path, POLICY)[0])


def test_config_must_not_allow_blank_requests(tmp_path):
    (tmp_path / "f.yml").write_text("name: F\nbody:" + GOOD_ELEMENT)
    (tmp_path / "config.yml").write_text("blank_issues_enabled: true\ncontact_links:\n  - name: Docs\n    url: /\n")
    messages = "\n".join(str(p) for p in problems_of(load_forms, tmp_path, POLICY))
    assert "blank_issues_enabled: must be false" in messages
    assert "contact_links.0: missing about" in messages


def test_an_empty_folder_says_what_to_add(tmp_path):
    assert "add at least one form file" in str(problems_of(load_forms, tmp_path, POLICY)[0])


def test_the_app_refuses_to_start_with_a_broken_form(kb_dir, tmp_path):
    from deflect.app import create_app
    from deflect.kb.problems import InvalidFile

    (kb_dir / "forms" / "problem.yml").write_text(
        textwrap.dedent("""\
        name: Report a problem
        body:
          - type: input
            attributes: {label: Summary}
        """)
    )
    with pytest.raises(InvalidFile, match=r"problem.yml:3: error: body.0.id: missing"):
        create_app({"KB": str(kb_dir), "DATA_DIR": str(tmp_path / "var"), "OUTBOX_WORKER": False})
