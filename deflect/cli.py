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


class _Commands(click.Group):
    """The commands; a store that stays locked, full or read-only ends one with a message, not a traceback."""

    def invoke(self, ctx: click.Context):
        from deflect.store import StoreUnavailable

        try:
            return super().invoke(ctx)
        except StoreUnavailable as error:
            raise click.ClickException(f"{error}; nothing was changed. Try again once it is fixed.") from None


@click.group(cls=_Commands)
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
    from deflect.build import build_all

    built = build_all(_knowledge_base(kb_dir), _data_dir())
    click.echo(f"Built {built.articles} articles: site in {built.site_dir}, index in {built.index_dir}")


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


@main.command("index")
@click.option("--docs", "docs_dir", required=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="A folder of Markdown files (front matter optional).")
@click.option("--index", "index_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Where to build the index (replaced atomically).")
@click.option("--synonyms", "synonyms_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=None, help="A synonyms.yml to apply at query time. Default: none.")
def index_command(docs_dir: Path, index_dir: Path, synonyms_file: Path | None) -> None:
    """Index any folder of Markdown for `deflect search`."""
    from deflect.pages import read_folder
    from deflect.search import build_index
    from deflect.site import is_article

    pages = [page for page in read_folder(docs_dir) if is_article(page.meta)]
    build_index(pages, index_dir, synonyms_file=synonyms_file)
    click.echo(f"Indexed {len(pages)} pages from {docs_dir} into {index_dir}", err=True)


def _record_gap(query: str, suggestion: str | None) -> None:
    """Record a query that found nothing, for the content-gap report."""
    from deflect.store import Store

    Store.in_data_dir(_data_dir()).record_content_gap(query, 0, suggestion)


@main.command("search")
@click.option("--index", "index_dir", required=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="An index built by `deflect index` or `deflect build`.")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 100), help="Results per query.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per query per line.")
@click.option("--record-gaps", is_flag=True, help="Record queries that find nothing as content gaps.")
@click.argument("queries", nargs=-1, required=True)
def search_command(index_dir: Path, limit: int, as_json: bool, record_gaps: bool, queries: tuple[str, ...]) -> None:
    """Search the knowledge base, as the deflection form does."""
    import json

    from deflect.search import SearchIndex

    index = SearchIndex.open(index_dir)
    try:
        for query in queries:
            response = index.search(query, limit=limit)
            if record_gaps and not response.results:
                _record_gap(query, response.did_you_mean)
            if as_json:
                results = [dict(path=r.path, title=r.title, url=r.url, score=r.score, snippet=r.snippet)
                           for r in response.results]
                click.echo(json.dumps({"query": query, "results": results}, ensure_ascii=False))
                continue
            click.echo(f"{query}" + (f"  (did you mean: {response.did_you_mean})" if response.did_you_mean else ""))
            for r in response.results:
                click.echo(f"  {r.score:7.3f}  {r.title}  {r.url}")
            if not response.results:
                click.echo("  no results")
    finally:
        index.close()


@main.command()
@_kb_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port; the URL printed says which).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Worker threads of the server (one process: one search index, exact rate limits).")
def serve(kb_dir: Path | None, host: str, port: int, threads: int) -> None:
    """Serve the help-center site at / and the support app at /support/ on one port (waitress).

    Builds the site and the index first when either is missing or older than the knowledge base.
    Ctrl-C stops the server cleanly.
    """
    from deflect.server import serve as run_server
    from deflect.webhook_signature import InvalidSecret, signing_keys

    try:  # before the build: a secret that cannot sign stops the start at once, with the fix
        signing_keys(settings.load()["DEFLECT_WEBHOOK_SECRET"])
    except InvalidSecret as error:
        raise click.ClickException(str(error)) from None
    run_server(_knowledge_base(kb_dir), _data_dir(), host=host, port=port, threads=threads, echo=click.echo)


@main.command()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000), help="Rows per table.")
def report(limit: int) -> None:
    """What the knowledge base is missing and what it answers: content gaps and deflections."""
    from collections import Counter

    from deflect.store import Store

    store = Store.in_data_dir(_data_dir())
    gaps = store.list_content_gaps()[:limit]
    click.echo(f"Content gaps: searches that found no article ({len(gaps)} shown, most asked first)")
    for gap in gaps:
        hint = f"  (did you mean: {gap['suggestion']})" if gap["suggestion"] else ""
        click.echo(f"  {gap['count']:>5}  {gap['query']}  last {gap['last_seen'][:16]}{hint}")
    answered = Counter((d["article_title"], d["article_url"]) for d in store.list_deflections())
    click.echo(f"Deflections: requests not filed because an article answered ({sum(answered.values())} in all)")
    for (title, url), count in answered.most_common(limit):
        click.echo(f"  {count:>5}  {title}  ({url})")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
