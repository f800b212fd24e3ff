"""`deflect report`: what the knowledge base is missing and what it answers."""

from __future__ import annotations

from collections import Counter

import click

from deflect.cli.options import existing_store


@click.command()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000), help="Rows per table.")
def report(limit: int) -> None:
    """What the knowledge base is missing and what it answers: content gaps and deflections."""
    store = existing_store()
    gaps = store.list_content_gaps()[:limit]
    click.echo(f"Content gaps: searches that found no article ({len(gaps)} shown, most asked first)")
    for gap in gaps:
        hint = f"  (did you mean: {gap['suggestion']})" if gap["suggestion"] else ""
        click.echo(f"  {gap['count']:>5}  {gap['query']}  last {gap['last_seen'][:16]}{hint}")
    answered = Counter((d["article_title"], d["article_url"]) for d in store.list_deflections())
    click.echo(f"Deflections: requests not filed because an article answered ({sum(answered.values())} in all)")
    for (title, url), count in answered.most_common(limit):
        click.echo(f"  {count:>5}  {title}  ({url})")
