"""Embeddings kept across index builds, keyed by model id and text hash.

A folder per model (`<cache dir>/<model id>/`) of segment files, each written whole and renamed
into place (readers never see half a file); a build adds one segment with what it embedded.
When segments pile up they are merged into one. Deleting the folder is always safe: the next
build embeds everything again.
"""

from __future__ import annotations

import logging
import os
import uuid
import zipfile
from pathlib import Path

import numpy as np

log = logging.getLogger("deflect.semantic")

MAX_SEGMENTS = 16
# At a merge, entries no build of this size used are dropped once they outnumber it this much.
KEEP_FACTOR = 4


class EmbeddingCache:
    """Vectors by text key for one model, in a folder that outlives the index folders."""

    def __init__(self, folder: str | Path, model_id: str):
        self.folder = Path(folder) / model_id
        self._entries: dict[str, np.ndarray] | None = None

    def _segments(self) -> list[Path]:
        """The segment files, in name order."""
        return sorted(self.folder.glob("*.npz")) if self.folder.is_dir() else []

    def _load(self) -> dict[str, np.ndarray]:
        """Every cached entry (read once); an unreadable segment is skipped, not fatal."""
        if self._entries is None:
            self._entries = {}
            for segment in self._segments():
                try:
                    with open(segment, "rb") as handle, np.load(handle, allow_pickle=False) as data:
                        self._entries.update(zip(data["keys"].tolist(), data["vectors"]))
                except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
                    log.warning("embedding cache segment %s is unreadable (%s); ignored", segment, error)
        return self._entries

    def get(self, keys) -> dict[str, np.ndarray]:
        """The cached vectors of those keys that are cached."""
        entries = self._load()
        return {key: entries[key] for key in keys if key in entries}

    def put(self, vectors: dict[str, np.ndarray], used: set[str]) -> None:
        """Add new vectors as one segment; a cache that cannot be written is skipped (logged)."""
        self._load().update(vectors)
        if not vectors:
            return
        try:
            self._store(vectors, used)
        except OSError as error:
            log.warning(
                "embedding cache %s cannot be written (%s): the next build embeds these texts again", self.folder, error
            )

    def _store(self, vectors: dict[str, np.ndarray], used: set[str]) -> None:
        """Write the new vectors as a segment; merge the segments when there are many (keeping `used`)."""
        entries = self._load()
        self.folder.mkdir(parents=True, exist_ok=True)
        old = self._segments()
        if len(old) < MAX_SEGMENTS:
            self._write(vectors)
            return
        if len(entries) > KEEP_FACTOR * len(used):
            entries = {key: value for key, value in entries.items() if key in used}
        self._write(entries)
        for segment in old:
            segment.unlink(missing_ok=True)

    def _write(self, vectors: dict[str, np.ndarray]) -> None:
        """Write one segment atomically."""
        name = f"{uuid.uuid1().hex}.npz"
        temporary = self.folder / f".{name}.tmp"
        with open(temporary, "wb") as handle:
            np.savez(handle, keys=np.array(list(vectors)), vectors=np.stack(list(vectors.values())))
        os.replace(temporary, self.folder / name)
