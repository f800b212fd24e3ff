"""`deflect check`: everything a writer's pull request must pass, with the file, line and fix."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections import defaultdict
from pathlib import Path

import yaml

from deflect.forms.load import load_forms
from deflect.kb.folder import KnowledgeBase
from deflect.kb.front_matter import check_front_matter, stale
from deflect.kb.links import check_links
from deflect.kb.pages import body_on_file_lines
from deflect.kb.problems import InvalidFile, Problem, problems_of
from deflect.kb.yaml_source import YamlSource
from deflect.policy import tables
from deflect.policy.reader import load_policy
from deflect.ranking.synonyms import validate_synonyms

TROUBLESHOOTING_SECTIONS = ("Symptoms", "Cause", "Fix", "Still stuck?")


def run_checks(kb: KnowledgeBase, build: bool = True, today: dt.date | None = None) -> list[Problem]:
    """Return every problem (errors and warnings) of a knowledge base."""
    problems: list[Problem] = []
    try:
        policy = load_policy(kb.support_file)
    except InvalidFile as error:
        problems += error.problems
        policy = None
    known_tags = _known_tags(kb, problems)
    texts: dict[str, str] = {}
    metas: dict[str, dict] = {}
    for file in sorted(kb.docs.rglob("*.md")):
        path = file.relative_to(kb.docs).as_posix()
        text = file.read_text(encoding="utf-8")
        meta, found = check_front_matter(file, text, known_tags)
        problems += found
        metas[path], texts[path] = meta, body_on_file_lines(text)
        problems += _check_body(file, path, text)
    problems += check_links(kb.docs, texts)
    problems += _duplicate_titles(kb, metas)
    problems += _missing_from_nav(kb, set(texts))
    problems += _extra_checks(kb, policy)
    if policy is not None:
        today = today or dt.date.today()
        problems += [
            Problem(
                kb.docs / path,
                f"last reviewed {meta['last_reviewed']}, more than "
                f"{policy.review_max_age_days} days ago: review it and update `last_reviewed`",
                warning=True,
            )
            for path, meta in metas.items()
            if stale(meta, today, policy.review_max_age_days)
        ]
    if build and not any(not p.warning for p in problems):
        problems += _strict_build(kb)
    return problems


def _known_tags(kb: KnowledgeBase, problems: list[Problem]) -> set[str]:
    try:
        source = YamlSource.read(kb.tags_file)
    except InvalidFile as error:
        problems += error.problems
        return set()
    if not isinstance(source.data, dict):
        problems.append(
            Problem(kb.tags_file, "must map each tag to a one-line description, e.g. `points: Earning points.`", 1)
        )
        return set()
    return {str(tag) for tag in source.data}


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def _check_body(file: Path, path: str, text: str) -> list[Problem]:
    problems = []
    for line, name in tables.unknown_directives(text):
        known = ", ".join(tables.DIRECTIVES)
        problems.append(Problem(file, f"unknown directive `deflect: {name}`: use one of {known}", line))
    if path.startswith("troubleshooting/") and not path.endswith("index.md"):
        headings = [line[3:].strip() for line in text.splitlines() if line.startswith("## ")]
        wanted = [h for h in headings if h in TROUBLESHOOTING_SECTIONS]
        if wanted != list(TROUBLESHOOTING_SECTIONS):
            sections = ", ".join(f"`## {s}`" for s in TROUBLESHOOTING_SECTIONS)
            problems.append(
                Problem(
                    file,
                    f"a troubleshooting article has the sections {sections}, in this order; "
                    "its `## Still stuck?` says what to send, and the theme adds the Contact "
                    "support button (see the template in CONTRIBUTING.md)",
                    _line_of(text, "\n## "),
                )
            )
    return problems


def _duplicate_titles(kb: KnowledgeBase, metas: dict[str, dict]) -> list[Problem]:
    by_title: dict[str, list[str]] = defaultdict(list)
    for path, meta in metas.items():
        if isinstance(meta.get("title"), str):
            by_title[meta["title"].strip().lower()].append(path)
    return [
        Problem(
            kb.docs / path,
            f"title {metas[path]['title']!r} is also used by {', '.join(p for p in paths if p != path)}: "
            "give each article its own title",
        )
        for paths in by_title.values()
        if len(paths) > 1
        for path in paths
    ]


def _nav_paths(nav: object) -> set[str]:
    if isinstance(nav, str):
        return {nav}
    if isinstance(nav, list):
        return set().union(*(_nav_paths(item) for item in nav)) if nav else set()
    if isinstance(nav, dict):
        return set().union(*(_nav_paths(value) for value in nav.values())) if nav else set()
    return set()


def _missing_from_nav(kb: KnowledgeBase, paths: set[str]) -> list[Problem]:
    config = kb.site_config()
    if not config.get("nav"):
        return []
    listed = _nav_paths(config["nav"])
    problems = [
        Problem(kb.docs / path, f"not in the navigation: add `- {path}` to `nav:` in {kb.mkdocs_file.name}")
        for path in sorted(paths - listed)
    ]
    problems += [
        Problem(
            kb.mkdocs_file,
            f"`nav:` lists `{path}`, which is not in {kb.docs.name}/: fix the path or remove the entry",
            _line_of(kb.mkdocs_file.read_text(), path),
        )
        for path in sorted(listed - paths)
        if not path.startswith(("http://", "https://"))
    ]
    return problems


def _extra_checks(kb: KnowledgeBase, policy) -> list[Problem]:
    """Synonyms and forms, validated by their own modules."""
    problems: list[Problem] = []
    if kb.synonyms_file.exists():
        problems += validate_synonyms(kb.synonyms_file)
    if policy is not None and kb.forms.exists():
        problems += problems_of(load_forms, kb.forms, policy)
    return problems


def _strict_build(kb: KnowledgeBase) -> list[Problem]:
    """Run `mkdocs build --strict` into a temporary folder; each warning becomes a problem."""
    from mkdocs.exceptions import MkDocsException

    from deflect.site.build import build_site

    collector = _Collector()
    logging.getLogger("mkdocs").addHandler(collector)
    try:
        with tempfile.TemporaryDirectory() as site_dir:
            build_site(kb, Path(site_dir), strict=True)
    except (MkDocsException, yaml.YAMLError) as error:
        if not collector.messages:
            collector.messages.append(str(error))
    finally:
        logging.getLogger("mkdocs").removeHandler(collector)
    return [Problem(kb.mkdocs_file, f"mkdocs build --strict: {message}") for message in collector.messages]


class _Collector(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
