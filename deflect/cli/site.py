"""`deflect build` and `deflect check`: the site and index from the same pages; the writers' check."""

from __future__ import annotations

from pathlib import Path

import click

from deflect.cli.options import data_dir, kb_option, knowledge_base, no_semantic_option, semantic_choice


@click.command()
@kb_option
@click.option("--no-build", is_flag=True, help="Skip the `mkdocs build --strict` step (faster).")
def check(kb_dir: Path | None, no_build: bool) -> None:
    """Check the knowledge base a writer changed: front matter, links, nav, titles, policy, forms, build."""
    from deflect.site.check import run_checks

    kb = knowledge_base(kb_dir)
    problems = run_checks(kb, build=not no_build)
    errors = [p for p in problems if not p.warning]
    for problem in sorted(problems, key=lambda p: (p.warning, str(p.file), p.line or 0)):
        click.echo(_relative(problem), err=not problem.warning)
    warnings = len(problems) - len(errors)
    summary = f"{len(errors)} error(s), {warnings} warning(s) in {kb.root}"
    if errors:
        raise click.ClickException(summary)
    click.echo(f"OK: {summary}")


def _relative(problem) -> str:
    """Show a problem with its path relative to the working folder where possible."""
    text = str(problem)
    return text.replace(str(Path.cwd()) + "/", "")


@click.command()
@kb_option
@no_semantic_option
def build(kb_dir: Path | None, no_semantic: bool) -> None:
    """Build the site and the search index from the same pages, in one step; say which search mode it built."""
    from deflect.site.build import build_all
    from deflect.site.build_lock import one_build_at_a_time

    kb, folder, semantic = knowledge_base(kb_dir), data_dir(), semantic_choice(no_semantic)
    with one_build_at_a_time(kb.site_dir(folder), click.echo):
        built = build_all(kb, folder, semantic=semantic)
    click.echo(f"Built {built.articles} articles: site in {built.site_dir}, index in {built.index_dir} ({built.index})")
