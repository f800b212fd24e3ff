"""Rules for the fields of a request: one table per rule, (value, expected message)."""

from pathlib import Path

import pytest

from deflect.forms.load import load_forms
from deflect.intake.rules import check_fields, count_steps, email_problem
from deflect.policy.reader import load_policy
from tests.helpers import GOOD_FIELDS

KB = Path(__file__).resolve().parents[1] / "kb"
POLICY = load_policy(KB / "support.yml")
FORMS = load_forms(KB / "forms", POLICY)
CONTEXT = {"case_pattern": POLICY.case_pattern(), "case_example": POLICY.case_example()}


def errors_for(form_id, **changes):
    values = dict(GOOD_FIELDS[form_id], **changes)
    return check_fields(FORMS.get(form_id), values, CONTEXT)


def test_a_complete_problem_passes():
    assert errors_for("problem") == {}


@pytest.mark.parametrize(
    "field",
    [
        "problem_summary",
        "steps_to_reproduce",
        "expected_result",
        "actual_result",
        "environment",
        "impact",
        "organisation",
        "plan",
    ],
)
def test_required(field):
    message = errors_for("problem", **{field: "  "})[field]
    label = FORMS.get("problem").field(field).label
    assert message.startswith(f"{label} is required: ")


@pytest.mark.parametrize(
    "form_id, field, expected",
    [
        ("problem", "environment", "Environment is required: choose one of Production, Staging, Development"),
        ("problem", "plan", "Plan is required: choose one of Standard, Enterprise"),
        ("feature-request", "beta_interest", "Would you take part in a beta test? is required: choose one of "),
    ],
)
def test_a_required_dropdown_left_empty_says_which_choices_there_are(form_id, field, expected):
    assert errors_for(form_id, **{field: ""})[field].startswith(expected)


@pytest.mark.parametrize(
    "steps, expected",
    [
        ("Open the course and complete the quiz", "write at least 2 steps, one per line"),
        ("1. Open course 123 2. Complete the quiz", None),
        ("Open course 123\nComplete the quiz", None),
        ("- open the course\n\n- complete the quiz", None),
    ],
)
def test_at_least_two_steps(steps, expected):
    message = errors_for("problem", steps_to_reproduce=steps).get("steps_to_reproduce")
    assert (expected in message) if expected else message is None


@pytest.mark.parametrize(
    "expected_result, actual_result, refused",
    [
        ("Points are awarded.", "Points are awarded.", True),
        ("Points are awarded", "points are awarded!", True),
        ("The learner gets 25 points.", "The learner gets no points.", False),
    ],
)
def test_expected_and_actual_differ(expected_result, actual_result, refused):
    message = errors_for("problem", expected_result=expected_result, actual_result=actual_result).get("actual_result")
    assert bool(message) is refused
    if refused:
        assert "Actual result says the same as Expected result" in message


@pytest.mark.parametrize(
    "field, value",
    [
        ("expected_result", "The learner receives 25 points, as the point rule says."),
        ("steps_to_reproduce", "1. A learner completes the quiz in course 123\n2. something else"),
        ("impact", "N/A"),
        ("impact", "TODO"),
        ("organisation", "e.g. Springfield University"),
        ("impact", "<describe the impact>"),
    ],
)
def test_placeholder_left_in(field, value):
    assert "still holds example text: replace it with your own words" in errors_for("problem", **{field: value})[field]


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("organisation", "x" * 121, "Organisation has 121 characters: shorten it to at most 120"),
        ("problem_summary", "too short", "Problem summary has 9 characters: write at least 10"),
        ("organisation", "Springfield\nUniversity", "Organisation: write it on one line"),
    ],
)
def test_lengths_and_lines(field, value, expected):
    assert errors_for("problem", **{field: value})[field].startswith(expected)


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("environment", "Moon base", "Environment: choose one of Production, Staging, Development"),
        ("plan", "platinum", "Plan: choose one of Standard, Enterprise"),
    ],
)
def test_choices(field, value, expected):
    assert errors_for("problem", **{field: value})[field] == expected


def test_choice_by_label_is_accepted():
    assert errors_for("problem", plan="Enterprise") == {}


def test_hidden_field_is_not_checked():
    assert errors_for("problem", lms="None", lms_version="x" * 500) == {}
    assert "lms_version" in errors_for("problem", lms="Moodle", lms_version="x" * 500)


@pytest.mark.parametrize(
    "case, ok", [("OLR-2026-000123", True), ("olr-2026-000123", True), ("123", False), ("OLR-26-1", False)]
)
def test_case_number_format(case, ok):
    message = errors_for("escalate", case_number=case).get("case_number")
    assert (message is None) is ok
    if not ok:
        assert "like OLR-2026-000123" in message


@pytest.mark.parametrize(
    "text, ok", [("a@example.com", True), ("a@", False), ("a@b.c\nBcc: x@y.z", False), ("x" * 250 + "@a.io", False)]
)
def test_email(text, ok):
    assert (email_problem(text) is None) is ok


def test_count_steps():
    assert count_steps("1) a 2) b 3) c") == 3
