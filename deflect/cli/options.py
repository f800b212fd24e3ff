"""What several commands share: the `--kb` option and where the settings put the data folder."""

from __future__ import annotations

from pathlib import Path

import click

from deflect import settings
from deflect.kb.folder import KnowledgeBase


def kb_option(function):
    """Add `--kb DIR` (default: $DEFLECT_KB, else kb/)."""
    return click.option(
        "--kb",
        "kb_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=f"{settings.setting('DEFLECT_KB').help} Default: $DEFLECT_KB or kb/.",
    )(function)


def knowledge_base(kb_dir: Path | None) -> KnowledgeBase:
    """Return the knowledge base named by --kb, else by the settings."""
    return KnowledgeBase.at(kb_dir or settings.load()["DEFLECT_KB"])


def data_dir() -> Path:
    """Return the data folder from the settings."""
    return Path(settings.load()["DEFLECT_DATA_DIR"])


def existing_store(echo=click.echo):
    """The store of the data folder the settings name, after saying which folder that is.

    A folder without deflect's data ends the command with a message naming it; nothing is created there.
    """
    from deflect.store.sqlite import Store

    folder = data_dir().resolve()
    path = folder / Store.FILE_NAME
    if not path.is_file():
        raise click.ClickException(
            f"No deflect data in {folder}: there is no {Store.FILE_NAME} there, so there is nothing to read "
            "(and nothing was created). Run this in the folder where `deflect serve` runs, or set "
            "DEFLECT_DATA_DIR to its data folder."
        )
    echo(f"Data folder: {folder}")
    return Store(path).migrate()
