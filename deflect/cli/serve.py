"""`deflect serve`: the site and the support app on one port."""

from __future__ import annotations

from pathlib import Path

import click

from deflect.cli.options import data_dir, kb_option, knowledge_base


@click.command()
@kb_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port; the URL printed says which).",
)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Worker threads of the server (one process: one search index, exact rate limits).",
)
@click.option(
    "--no-site",
    is_flag=True,
    help="Serve only the support app at /support/ and build nothing: one of several instances behind nginx, "
    "which serves the site; the index built at deploy time (deflect build) must open.",
)
def serve(kb_dir: Path | None, host: str, port: int, threads: int, no_site: bool) -> None:
    """Serve the help-center site at / and the support app at /support/ on one port (waitress).

    Builds the site and the index first when either is missing or older than the knowledge base
    (not with --no-site). Ctrl-C stops the server cleanly.
    """
    from deflect.web.server import serve as run_server

    run_server(
        knowledge_base(kb_dir), data_dir(), host=host, port=port, threads=threads, echo=click.echo, site=not no_site
    )
