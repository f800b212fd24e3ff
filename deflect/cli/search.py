"""`deflect index` and `deflect search`: any folder of Markdown indexed, and searched as the form does."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import click

from deflect.cli.options import no_semantic_option, semantic_choice


@click.command("index")
@click.option(
    "--docs",
    "docs_dir",
    required=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="A folder of Markdown files (front matter optional).",
)
@click.option(
    "--index",
    "index_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to build the index (replaced atomically).",
)
@click.option(
    "--synonyms",
    "synonyms_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="A synonyms.yml to apply at query time. Default: none.",
)
@no_semantic_option
def index(docs_dir: Path, index_dir: Path, synonyms_file: Path | None, no_semantic: bool) -> None:
    """Index any folder of Markdown for `deflect search` (with the semantic model when installed)."""
    from deflect.kb.pages import is_article, read_folder
    from deflect.search import build_index

    pages = [page for page in read_folder(docs_dir) if is_article(page.meta)]
    built = build_index(pages, index_dir, synonyms_file=synonyms_file, semantic=semantic_choice(no_semantic))
    click.echo(f"Indexed {built.articles} pages from {docs_dir} into {index_dir} ({built})", err=True)


@click.command("search")
@click.option(
    "--index",
    "index_dir",
    required=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="An index built by `deflect index` or `deflect build`.",
)
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 100), help="Results per query.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per query per line.")
@click.option("--record-gaps", is_flag=True, help="Record queries that find nothing as content gaps.")
@click.argument("queries", nargs=-1, required=True)
def search(index_dir: Path, limit: int, as_json: bool, record_gaps: bool, queries: tuple[str, ...]) -> None:
    """Search the knowledge base, as the deflection form does."""
    from deflect.search import SearchIndex

    try:
        found = SearchIndex.open(index_dir, semantic=semantic_choice())
    except ValueError as error:  # an index of another format: the message says how to rebuild it
        raise click.ClickException(str(error)) from None
    try:
        for query in queries:
            response = found.search(query, limit=limit)
            if record_gaps and not response.results:
                _record_gap(query, response.did_you_mean)
            click.echo(_as_json(query, response) if as_json else _as_text(query, response))
    finally:
        found.close()


def _as_json(query: str, response) -> str:
    """One query's results as the JSON line of DESIGN.md's contract."""
    results = [dict(path=r.path, title=r.title, url=r.url, score=r.score, snippet=r.snippet) for r in response.results]
    return json.dumps({"query": query, "results": results}, ensure_ascii=False)


def _as_text(query: str, response) -> str:
    """One query's results for a person: score, title and URL, a line each."""
    lines = [query + (f"  (did you mean: {response.did_you_mean})" if response.did_you_mean else "")]
    lines += [f"  {r.score:7.3f}  {r.title}  {r.url}" for r in response.results] or ["  no results"]
    return "\n".join(lines)


def _record_gap(query: str, suggestion: str | None) -> None:
    """Record a query that found nothing, for the content-gap report."""
    from deflect import settings
    from deflect.store.factory import store_for

    with contextlib.closing(store_for(settings.load())) as store:
        store.record_content_gap(query, 0, suggestion)
