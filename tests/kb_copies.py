"""A writer's working copy: the project's kb/ and mkdocs.yml copied into a temporary folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from deflect.kb.folder import KnowledgeBase

PROJECT = Path(__file__).resolve().parent.parent


def copy_kb(target: Path, source: Path = PROJECT / "kb") -> KnowledgeBase:
    """Copy a knowledge base (and the project's mkdocs.yml beside it) under `target`."""
    shutil.copytree(source, target / source.name, ignore=shutil.ignore_patterns("__pycache__"))
    if source.name == "kb":
        shutil.copy(PROJECT / "mkdocs.yml", target / "mkdocs.yml")
    return KnowledgeBase.at(target / source.name)
