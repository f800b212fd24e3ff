"""The writers' synonyms file: validation messages name the file, the line and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from deflect.ranking.synonyms import Synonyms, load_synonyms, validate_synonyms

ROOT = Path(__file__).resolve().parent.parent


def test_the_project_synonyms_file_is_valid():
    assert validate_synonyms(ROOT / "kb" / "synonyms.yml") == []


@pytest.mark.parametrize(
    "text, line, fragment",
    [
        ("- sign in, log in\n- points\n", 2, "at least two terms"),
        ("- sign in, log in\n- login, sign in\n", 2, "already in the group on line 1"),
        ("- sign in,, log in\n", 1, "remove the extra comma"),
        ("- sign in, log in\n- {a: b}\n", 2, "a group must be a string"),
        ("groups: [a, b]\n", 1, "must be a list of groups"),
        ("- sign in, log in\n- [points, credits\n", 3, "invalid YAML"),
    ],
)
def test_a_broken_synonyms_file_is_reported_with_file_line_and_fix(tmp_path, text, line, fragment):
    path = tmp_path / "synonyms.yml"
    path.write_text(text, encoding="utf-8")
    problems = validate_synonyms(path)
    assert problems, text
    assert Path(problems[0].file) == path and problems[0].line == line
    assert fragment in problems[0].message


def test_groups_accept_lists_and_fold_accents(tmp_path):
    path = tmp_path / "synonyms.yml"
    path.write_text("- [Café, coffee shop]\n- points, credits\n", encoding="utf-8")
    assert load_synonyms(path) == [["cafe", "coffee shop"], ["points", "credits"]]


def test_a_multi_word_term_in_a_query_finds_its_alternatives():
    synonyms = Synonyms([["sign in", "log in", "login"]])
    assert synonyms.alternatives(["cant", "log", "in", "today"]) == [(1, 3, [("sign", "in"), ("login",)])]
