"""What several commands share: the `--kb` and `--no-semantic` options, where the settings put the data folder."""

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
