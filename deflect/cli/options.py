"""What several commands share: the `--kb` and `--no-semantic` options, the data folder and the store the settings name."""

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


def no_semantic_option(function):
    """Add `--no-semantic` (the lexical engine even where the semantic extra is installed)."""
    return click.option(
        "--no-semantic",
        is_flag=True,
        help="Build a lexical index only, even with the semantic extra installed (as DEFLECT_SEMANTIC=off does).",
    )(function)


def semantic_choice(no_semantic: bool = False) -> bool | None:
    """False for --no-semantic, else None (DEFLECT_SEMANTIC decides); a wrong setting stops here."""
    from deflect.semantic.model import wanted

    try:
        wanted(settings.load()["DEFLECT_SEMANTIC"])
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    return False if no_semantic else None


def existing_store(echo=click.echo):
    """The store the settings name, after saying which one that is.

    PostgreSQL (`DEFLECT_DATABASE_URL`) is opened as it is. A data folder without deflect's SQLite
    file ends the command with a message naming the folder; nothing is created there.
    """
    from deflect.store.factory import SETTING
    from deflect.store.sqlite import Store

    values = settings.load()
    if values.get(SETTING):
        echo(f"Database: {settings.shown(values)[SETTING]}")
        return _opened(values)
    folder = data_dir().resolve()
    if not (folder / Store.FILE_NAME).is_file():
        raise click.ClickException(
            f"No deflect data in {folder}: there is no {Store.FILE_NAME} there, so there is nothing to read "
            "(and nothing was created). Run this in the folder where `deflect serve` runs, or set "
            "DEFLECT_DATA_DIR to its data folder."
        )
    echo(f"Data folder: {folder}")
    return _opened(values)


def _opened(values):
    """The store for these settings; a setting it cannot use ends the command with its message."""
    from deflect.store.factory import store_for

    try:
        return store_for(values)
    except settings.InvalidSetting as error:
        raise click.ClickException(str(error)) from None
