"""The index folder: built fresh beside the one in use and swapped in atomically, with the spelling
vocabulary, the section statistics and the writers' synonyms stored beside the search engine's own
files.

Plain files, no search engine: `deflect/search.py` writes the engine's part. The index format is
stored too: an index written by a deflect that stored other things is refused with the command
that rebuilds it.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from deflect.ranking.candidate_scoring import SectionStats

VOCABULARY_FILE = "vocabulary.json"
SYNONYMS_FILE = "synonyms.json"
META_FILE = "deflect-index.json"
FORMAT = 2  # stored sections with their terms; an index of another format must be rebuilt


@dataclass(frozen=True)
class IndexBuilt:
    """What a build or an update did: articles written, the search mode, passages embedded or reused."""

    articles: int
    mode: str  # "lexical" or "lexical + semantic (model ...)"
    embedded: int = 0
    reused: int = 0

    def __str__(self) -> str:
        done = f", {self.embedded} passages embedded, {self.reused} reused" if self.embedded or self.reused else ""
        return f"{self.mode}{done}"


@dataclass
class Totals:
    """What a build or update adds up besides the documents: spelling vocabulary, section statistics."""

    vocabulary: dict[str, int]
    sections: SectionStats

    def add(self, words: dict[str, int], sections: list) -> None:
        """Count an article's words (once each) and its stored sections."""
        for word, count in words.items():
            self.vocabulary[word] = self.vocabulary.get(word, 0) + count
        self.sections = self.sections.plus(sections)


def fresh_folder(index_dir: Path) -> Path:
    """A new, empty folder beside `index_dir` for a full build."""
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    fresh = index_dir.with_name(f"{index_dir.name}.{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}")
    fresh.mkdir()
    return fresh


def _replace_file(folder: Path, name: str, data) -> None:
    """Write a JSON file next to the index (replaced atomically)."""
    temporary = folder / f".{name}.{uuid.uuid4().hex}"
    temporary.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    os.replace(temporary, folder / name)


def save_totals(folder: Path, totals: Totals) -> None:
    """Write the spelling vocabulary, the section statistics and the index format."""
    _replace_file(folder, VOCABULARY_FILE, totals.vocabulary)
    meta = dict(format=FORMAT, sections=totals.sections.sections, length=totals.sections.length)
    _replace_file(folder, META_FILE, meta)


def read_statistics(folder: Path) -> SectionStats:
    """The section statistics of an index folder; a clear error for an index of another format."""
    meta_file = folder / META_FILE
    meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.exists() else {}
    if meta.get("format") != FORMAT:
        raise ValueError(
            f"the search index at {folder} was built by another version of deflect: "
            "run `deflect build` (or `deflect index`) again"
        )
    return SectionStats(meta["sections"], meta["length"])


def read_vocabulary(folder: Path) -> dict[str, int]:
    """The spelling vocabulary of an index folder: {word: number of articles}."""
    return json.loads((folder / VOCABULARY_FILE).read_text(encoding="utf-8"))


def read_totals(folder: Path) -> Totals:
    """The totals of an index folder, to update them."""
    return Totals(read_vocabulary(folder), read_statistics(folder))


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


class Followed:
    """The opened generation of an index, reopened once a rebuild has been swapped in.

    `open_folder(folder)` opens one generation (an object with `folder` and `close()`); where the
    `index_dir` symlink points is checked at most once a second. A replaced generation stays open
    for the threads still using it; `close()` (or the end of a `with` block) closes them all.
    """

    def __init__(self, index_dir: Path, open_folder: Callable):
        self.index_dir, self._open = index_dir, open_folder
        self._lock = threading.Lock()
        self._generation = open_folder(index_dir.resolve())
        self._retired: list = []
        self._checked = time.monotonic()

    def current(self):
        """The generation to search."""
        now = time.monotonic()
        if now - self._checked > 1.0:
            with self._lock:
                self._checked = now
                folder = self.index_dir.resolve()
                if folder != self._generation.folder:
                    self._retired.append(self._generation)
                    self._generation = self._open(folder)
        return self._generation

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Close every generation opened; nothing can be searched afterwards."""
        for generation in [self._generation, *self._retired]:
            generation.close()
