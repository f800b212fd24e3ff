"""`deflect check`: a writer's mistake fails with the file, the line and the fix."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from deflect.cli import main
from deflect.site.check import run_checks
from tests.helpers import PROJECT, copy_kb

ARTICLE = "faq/accounts/reset-password.md"


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count))


def check(kb, *args: str):
    """Run `deflect check --kb` through the command line, as CI does."""
    return CliRunner().invoke(main, ["check", "--kb", str(kb.root), *args])


def test_the_project_knowledge_base_passes(tmp_path):
    result = check(copy_kb(tmp_path))
    assert result.exit_code == 0, result.output
    assert "OK: 0 error(s)" in result.output


def break_link(kb):
    edit(kb.docs / ARTICLE, "](../../", "](../../no-such-folder/")


def drop_title(kb):
    edit(kb.docs / ARTICLE, "title: ", "old_title: ")


def unknown_tag(kb):
    edit(kb.docs / ARTICLE, "tags:\n  - ", "tags:\n  - nosuchtag\n  - ")


def leave_out_of_nav(kb):
    (kb.docs / "faq/accounts/new-article.md").write_text(
        (kb.docs / ARTICLE).read_text().replace("title: ", "title: A new article about ", 1)
    )


def break_anchor(kb):
    edit(
        kb.docs / ARTICLE,
        "](../../troubleshooting/sso-sign-in-failures.md",
        "](../../troubleshooting/sso-sign-in-failures.md#no-such-heading",
    )


def duplicate_title(kb):
    title = re.search(r"^title: (.+)$", (kb.docs / ARTICLE).read_text(), re.M).group(1)
    edit(kb.docs / "faq/billing/invoices.md", "title: ", f"title: {title}\nold_title: ")


def invalid_support_yml(kb):
    edit(kb.support_file, "high: { response: 8h,", "high: { response: eight hours,")


def response_later_than_resolution(kb):
    edit(kb.support_file, "medium: { response: 24h, resolution: 72h }", "medium: { response: 24h, resolution: 2d }")


def troubleshooting_without_fix(kb):
    edit(kb.docs / "troubleshooting/sync-delays.md", "## Fix", "## How to fix it")


def unknown_directive(kb):
    edit(kb.docs / "support-guide/escalation.md", "<!-- deflect: escalation -->", "<!-- deflect: escalations -->")


def break_form(kb):
    edit(
        kb.forms / "question.yml",
        "    validations:\n      required: true\n      min_length: 15",
        "    validations:\n      requird: true\n      min_length: 15",
    )


def break_synonyms(kb):
    edit(kb.synonyms_file, "- sign out, log out, logout", "- logout")


@pytest.mark.parametrize(
    "mistake, file, message",
    [
        (break_link, ARTICLE, "broken link"),
        (drop_title, ARTICLE, "front matter has no `title`"),
        (unknown_tag, ARTICLE, "unknown tag `nosuchtag`"),
        (leave_out_of_nav, "faq/accounts/new-article.md", "not in the navigation: add `- faq/accounts/new-article.md`"),
        (break_anchor, ARTICLE, "has no heading `#no-such-heading`"),
        (duplicate_title, "faq/billing/invoices.md", "is also used by"),
        (invalid_support_yml, "../support.yml", "is not a duration"),
        (response_later_than_resolution, "../support.yml", "24 hours is later than the resolution target (2 days"),
        (troubleshooting_without_fix, "troubleshooting/sync-delays.md", "`## Fix`"),
        (unknown_directive, "support-guide/escalation.md", "unknown directive `deflect: escalations`"),
        (break_form, "../forms/question.yml", "did you mean `required`?"),
        (break_synonyms, "../synonyms.yml", "a group needs at least two terms"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_a_mistake_fails_the_check_and_names_the_file(tmp_path, mistake, file, message):
    kb = copy_kb(tmp_path)
    mistake(kb)
    result = check(kb)
    assert result.exit_code == 1
    named = str((kb.docs / file).resolve()).replace(str(Path.cwd()) + "/", "")
    lines = [line for line in result.output.splitlines() if message in line]
    assert lines, result.output
    assert any(line.startswith(named) for line in lines), result.output


def test_errors_in_an_article_point_at_the_line(tmp_path):
    kb = copy_kb(tmp_path)
    unknown_tag(kb)
    problems = [p for p in run_checks(kb, build=False) if "nosuchtag" in p.message]
    assert problems and problems[0].line == 4
    assert "tags.yml" in problems[0].message


def file_line(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


@pytest.mark.parametrize(("mistake", "wrong"), [(break_link, "no-such-folder/"), (break_anchor, "#no-such-heading")])
def test_a_broken_link_is_reported_on_its_line_in_the_file_front_matter_included(tmp_path, mistake, wrong):
    """Issue 12: the line was counted from the end of the front matter (line 20 reported as line 9)."""
    kb = copy_kb(tmp_path)
    mistake(kb)
    [problem] = [p for p in run_checks(kb, build=False) if wrong in p.message]
    assert problem.line == file_line(kb.docs / ARTICLE, wrong) > 10
    assert f"{ARTICLE}:{problem.line}" in check(kb, "--no-build").output


def test_a_broken_link_suggests_the_page_it_probably_meant(tmp_path):
    kb = copy_kb(tmp_path)
    edit(kb.docs / ARTICLE, "sso-sign-in-failures.md", "sso-sign-in-failure.md")
    problem = next(p for p in run_checks(kb, build=False) if "broken link" in p.message)
    assert "did you mean `../../troubleshooting/sso-sign-in-failures.md`" in problem.message


def test_articles_not_reviewed_for_too_long_are_warnings_not_errors(tmp_path):
    kb = copy_kb(tmp_path)
    far_future = dt.date.today() + dt.timedelta(days=800)
    problems = run_checks(kb, build=False, today=far_future)
    assert problems and all(p.warning for p in problems)
    assert all("review it and update `last_reviewed`" in p.message for p in problems)


def test_the_review_limit_comes_from_support_yml(tmp_path):
    kb = copy_kb(tmp_path)
    before = len(run_checks(kb, build=False))
    edit(kb.support_file, "max_age_days: 365", "max_age_days: 30")
    assert len(run_checks(kb, build=False)) > before


def test_a_strict_build_failure_is_reported(tmp_path):
    kb = copy_kb(tmp_path)
    edit(kb.mkdocs_file, "  - tags\n", "  - tags\n  - no-such-plugin\n")
    result = check(kb)
    assert result.exit_code == 1
    assert "mkdocs build --strict" in result.output and "no-such-plugin" in result.output


def test_the_repository_mkdocs_config_is_the_one_checked():
    assert (PROJECT / "mkdocs.yml").read_text().count("docs_dir: kb/docs") == 1


def test_anchors_are_the_ones_the_site_publishes():
    from deflect.kb.links import anchors

    page = "## Fix\n\ntext\n\n## Fix\n\n## Set up `SSO` {#sso}\n\n```\n## not a heading\n```\n"
    assert anchors(page) == {"fix", "fix_1", "sso"}


def test_a_response_promised_after_the_resolution_is_refused_on_its_line(tmp_path):
    """Issue 12: the sample's QUESTION target (48h response, 1w = 45 support hours resolution) was such a slip."""
    kb = copy_kb(tmp_path)
    edit(kb.support_file, "low: { response: 48h, resolution: 2w }", "low: { response: 48h, resolution: 1w }")
    [problem] = [p for p in run_checks(kb, build=False) if "later than the resolution" in p.message]
    assert (
        problem.line
        == kb.support_file.read_text().splitlines().index("      low: { response: 48h, resolution: 1w }") + 1
    )
    assert "(1 week, 45 hours of support time) of 'low' in 'standard'" in problem.message
    assert "shorten the response or lengthen the resolution" in problem.message


def test_the_sample_link_in_contributing_points_at_a_heading_that_exists(tmp_path):
    """Issue 12: the writers' guide's example link must pass the check it describes."""
    guide = (PROJECT / "CONTRIBUTING.md").read_text()
    sample = re.search(r"relative links \(`(\.\./[^`]+#[^`]+)`\)", guide).group(1)
    kb = copy_kb(tmp_path)
    edit(kb.docs / "troubleshooting/points-not-awarded.md", "## Cause\n", f"## Cause\n\nSee [refunds]({sample}).\n")
    assert [p for p in run_checks(kb, build=False) if not p.warning] == []
    edit(kb.docs / "troubleshooting/points-not-awarded.md", sample, sample + "-no-such-part")
    assert any("has no heading" in p.message for p in run_checks(kb, build=False))
