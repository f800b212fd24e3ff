"""The articles' front-matter schema and its check."""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path

from deflect.kb.pages import FRONT_MATTER
from deflect.kb.problems import InvalidFile, Problem
from deflect.kb.yaml_source import YamlSource

# key: (type, what to write)
SCHEMA: dict[str, tuple[type, str]] = {
    "title": (str, "a unique title, e.g. `title: Points not awarded after a quiz`"),
    "description": (str, "one sentence for search results, e.g. `description: Why ... and how to fix it.`"),
    "tags": (list, "a list of tags from kb/tags.yml, e.g. `tags: [points, moodle]`"),
    "questions": (list, "a list of the ways customers ask, e.g. `questions: [my students got no points]`"),
    "owner": (str, "the team that keeps the article, e.g. `owner: support-team`"),
    "last_reviewed": (dt.date, "the date of the last review, e.g. `last_reviewed: 2026-09-14`"),
}


NO_FRONT_MATTER = (f"no front matter: start the file with `---`, the keys {', '.join(SCHEMA)}, and `---` "
                   "(see CONTRIBUTING.md)")  # fmt: skip


def check_front_matter(file: Path, text: str, known_tags: set[str]) -> tuple[dict, list[Problem]]:
    """Return (front matter, problems) for one article's text; lines are the file's lines."""
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, [Problem(file, NO_FRONT_MATTER, 1)]
    try:
        source = YamlSource.parse(match.group(1) or "", file, first_line=2)  # after the opening `---`
    except InvalidFile as error:
        return {}, [Problem(p.file, f"front matter: {p.message}", p.line) for p in error.problems]
    meta = source.data or {}
    if not isinstance(meta, dict):
        return {}, [Problem(file, "front matter must be a mapping of keys to values", 2)]
    problems = []
    for key, (kind, example) in SCHEMA.items():
        value = meta.get(key)
        if value is None or value == "" or value == []:
            problems.append(Problem(file, f"front matter has no `{key}`: add {example}", source.line(key) or 1))
        elif not isinstance(value, kind):
            problems.append(Problem(file, f"`{key}` has the wrong type: write {example}", source.line(key)))
    problems += _check_tags(file, meta.get("tags"), known_tags, source.line("tags"))
    questions = meta.get("questions") if isinstance(meta.get("questions"), list) else []
    for question in questions:
        if not isinstance(question, str) or not question.strip():
            problems.append(Problem(file, "every entry of `questions` must be a sentence", source.line("questions")))
    return meta, problems


def _check_tags(file: Path, tags: object, known: set[str], line: int | None) -> list[Problem]:
    if not isinstance(tags, list):
        return []
    problems = []
    for tag in tags:
        if tag not in known:
            close = difflib.get_close_matches(str(tag), sorted(known), n=1)
            hint = f"did you mean `{close[0]}`? " if close else ""
            problems.append(
                Problem(file, f"unknown tag `{tag}`: {hint}use a tag listed in tags.yml, or add it there", line)
            )
    return problems


def stale(meta: dict, today: dt.date, max_age_days: int) -> bool:
    """True when the article's last review is older than the policy's limit."""
    reviewed = meta.get("last_reviewed")
    return isinstance(reviewed, dt.date) and (today - reviewed).days > max_age_days
