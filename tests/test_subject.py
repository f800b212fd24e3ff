"""The subject-line rule: `[TAG] summary`, one table of (subject, expected message)."""

import pytest

from deflect.intake import subject

TAGS = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INTEGRATION", "QUESTION"]


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("[HIGH] Students not receiving points for quiz completions", None),
        ("[INTEGRATION]Moodle webhook setup assistance needed", None),
        ("Students not receiving points", "start with a tag in brackets"),
        ("[high] Students not receiving points", "write the tag in capitals: [HIGH]"),
        ("[HIHG] Points missing for quizzes", "did you mean [HIGH]? Write [HIGH] Points missing for quizzes"),
        ("[CRTICAL] Production outage now", "did you mean [CRITICAL]?"),
        ("[URGENT] Points missing for quizzes", "unknown tag [URGENT]; use one of [CRITICAL]"),
        ("[] Points missing for quizzes", "start with a tag in brackets"),
        ("[HIGH] x", "the summary has 1 character; describe the problem in 10 to 120"),
        ("[HIGH] " + "x" * 121, "shorten it to at most 120"),
        ("[HIGH] Points missing\nBcc: someone@example.com", "on one line"),
        ("[HIGH] Points missing\x00 for quizzes", "on one line"),
        ("[HIGH] Points\u2028missing for quizzes", "on one line"),
        # Issue 12: a summary says what is wrong, in a few real words.
        ("[HIGH] help!!!!!!!!!", "needs a few words that say what is wrong"),
        ("[HIGH] URGENT PLEASE HELP", "needs a few words that say what is wrong"),
        ("[HIGH] !!!!!!!!!!!!????", "needs a few words that say what is wrong"),
        ("[HIGH] I need help with a problem ASAP", "needs a few words that say what is wrong"),
        ("[HIGH] asdf asdf asdf", "needs a few words that say what is wrong"),
        ("[HIGH] Help!!! Points missing!!!", None),
        ("[HIGH] POINTS MISSING FOR QUIZ 88", None),
        ("[HIGH] Login broken since Monday", None),
        ("[MEDIUM] Kann mich nicht anmelden", None),
        ("[MEDIUM] ポイントが付与されない", None),
    ],
)
def test_typed_subject(typed, expected):
    errors = subject.check(typed, TAGS, 10, 120)
    if expected is None:
        assert errors == []
    else:
        assert expected in errors[0].message
        assert errors[0].message.startswith("Subject:")


@pytest.mark.parametrize(
    "tag, summary, part, expected",
    [
        ("HIGH", "Points missing for quizzes", None, None),
        ("", "Points missing for quizzes", "tag", "start with a tag"),
        ("high", "Points missing for quizzes", "tag", "[HIGH]"),
        ("HIGH", "short", "summary", "describe the problem in 10 to 120"),
        ("HIGH", "two\nlines of summary text", "summary", "on one line"),
        ("HIGH", "HELP ME NOW!!!!!!", "summary", "not only capitals, punctuation or words like"),
    ],
)
def test_composed_subject(tag, summary, part, expected):
    errors = subject.check_parts(tag, summary, TAGS, 10, 120)
    if expected is None:
        assert errors == []
    else:
        assert errors[0].part == part and expected in errors[0].message


def test_compose_makes_one_line_with_one_space():
    assert subject.compose("HIGH", "  Points   missing\tnow ") == "[HIGH] Points missing now"


def test_split_returns_tag_and_summary():
    assert subject.split("[LOW] Typo on dashboard") == ("LOW", "Typo on dashboard")
    assert subject.split("No tag here") == (None, "No tag here")


def test_examples_in_messages_use_the_forms_default_tag_not_the_outage_tag():
    [error] = subject.check("Points missing for quizzes", TAGS, 10, 120, example_tag="MEDIUM")
    assert "like [MEDIUM] Points missing for quizzes" in error.message
    [error] = subject.check("Points missing for quizzes", TAGS, 10, 120)
    assert "like [QUESTION]" in error.message and "like [CRITICAL]" not in error.message


def test_a_summary_that_says_nothing_is_told_the_fix_with_the_organisations_example():
    [error] = subject.check_parts("HIGH", "URGENT PLEASE HELP", TAGS, 10, 120, "Students not receiving points")
    assert error.part == "summary"
    assert error.message.endswith('write it like "Students not receiving points"')
