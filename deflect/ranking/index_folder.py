"""The index folder: built fresh beside the one in use and swapped in atomically, with the spelling
vocabulary and the writers' synonyms stored beside the search engine's own files.

Plain files, no search engine: `deflect/search.py` writes the engine's part.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

VOCABULARY_FILE = "vocabulary.json"
SYNONYMS_FILE = "synonyms.json"


def fresh_folder(index_dir: Path) -> Path:
    """A new, empty folder beside `index_dir` for a full build."""
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    fresh = index_dir.with_name(f"{index_dir.name}.{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}")
    fresh.mkdir()
    return fresh


def save_vocabulary(folder: Path, vocabulary: dict[str, int]) -> None:
    """Write the spelling vocabulary next to the index (replaced atomically)."""
    temporary = folder / f".{VOCABULARY_FILE}.{uuid.uuid4().hex}"
    temporary.write_text(json.dumps(vocabulary, separators=(",", ":")), encoding="utf-8")
    os.replace(temporary, folder / VOCABULARY_FILE)


def read_vocabulary(folder: Path) -> dict[str, int]:
    """The spelling vocabulary of an index folder: {word: number of articles}."""
    return json.loads((folder / VOCABULARY_FILE).read_text(encoding="utf-8"))


def save_synonyms(folder: Path, groups: list[list[str]]) -> None:
    """Store the writers' synonym groups in the index folder (applied at query time)."""
    (folder / SYNONYMS_FILE).write_text(json.dumps(groups), encoding="utf-8")


def read_synonyms(folder: Path) -> list[list[str]]:
    """The synonym groups stored in an index folder ([] for an index built without them)."""
    path = folder / SYNONYMS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def swap_in(fresh: Path, index_dir: Path) -> None:
    """Point `index_dir` (a symlink) at `fresh` atomically; remove the folder it pointed at before."""
    old = index_dir.resolve() if index_dir.is_symlink() else None
    if index_dir.exists() and not index_dir.is_symlink():
        retired = index_dir.with_name(f".{index_dir.name}.retired-{uuid.uuid4().hex[:8]}")
        index_dir.rename(retired)
        old = retired
    link = index_dir.with_name(f".{index_dir.name}.link-{uuid.uuid4().hex[:8]}")
    link.symlink_to(fresh.name)
    os.replace(link, index_dir)
    if old is not None and old != fresh:
        shutil.rmtree(old, ignore_errors=True)
