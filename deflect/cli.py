"""The `deflect` command line: build, check, serve, index, search, outbox."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from deflect import settings
from deflect.kb import KnowledgeBase


def _kb_option(function):
    """Add `--kb DIR` (default: $DEFLECT_KB, else kb/)."""
    return click.option(
        "--kb",
        "kb_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Knowledge-base folder (docs/, support.yml, forms/). Default: $DEFLECT_KB or kb/.",
    )(function)


def _knowledge_base(kb_dir: Path | None) -> KnowledgeBase:
    """Return the knowledge base named by --kb, else by the settings."""
    return KnowledgeBase.at(kb_dir or settings.load()["DEFLECT_KB"])


def _data_dir() -> Path:
    """Return the data folder from the settings."""
    return Path(settings.load()["DEFLECT_DATA_DIR"])


@click.group()
@click.version_option(package_name="deflect")
def main() -> None:
    """deflect: a support knowledge base that answers customers before they file a ticket."""


@main.command()
@_kb_option
@click.option("--no-build", is_flag=True, help="Skip the `mkdocs build --strict` step (faster).")
def check(kb_dir: Path | None, no_build: bool) -> None:
    """Check the knowledge base a writer changed: front matter, links, nav, titles, policy, forms, build."""
    from deflect.check import run_checks

    kb = _knowledge_base(kb_dir)
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


@main.command()
@_kb_option
def build(kb_dir: Path | None) -> None:
    """Build the site and the search index from the same pages, in one step."""
    from deflect.site import build_site
    from deflect.search import build_index

    kb = _knowledge_base(kb_dir)
    site_dir, index_dir = kb.site_dir(_data_dir()), kb.index_dir(_data_dir())
    pages = build_site(kb, site_dir)
    build_index(pages, index_dir)
    click.echo(f"Built {len(pages)} articles: site in {site_dir}, index in {index_dir}")


@main.command()
@click.option("--retry", "retry_ids", type=int, multiple=True, metavar="ID",
              help="Queue this failed (or waiting) message again, due now, with fresh attempts. Repeatable.")
@click.option("--retry-failed", is_flag=True, help="Queue every failed message again.")
@click.option("--deliver", is_flag=True, help="Run one delivery pass now (SMTP or var/mail/, and the webhook).")
@click.option("--watch", is_flag=True, help="Keep delivering until Ctrl+C, like the app's worker.")
@click.option("--all", "show_all", is_flag=True, help="List delivered messages too.")
def outbox(retry_ids: tuple[int, ...], retry_failed: bool, deliver: bool, watch: bool, show_all: bool) -> None:
    """List pending and failed outgoing messages with their reason; retry or deliver them."""
    from deflect import outbox_admin

    store = outbox_admin.open_store(settings.load())
    for line in outbox_admin.retry(store, retry_ids, retry_failed):
        click.echo(line)
    if deliver or watch:
        outbox_admin.deliver(store, settings.load, watch, click.echo)
    for line in outbox_admin.listing(store, show_all):
        click.echo(line)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
