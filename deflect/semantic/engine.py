"""The semantic side of an index, as the search module uses it: build, update, open, rank.

Importable without the extra: numpy and the model's libraries are imported only once a model
is loaded, so the lexical engine alone never needs them.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from deflect.ranking.documents import ArticleRecord
from deflect.ranking.index_folder import IndexBuilt
from deflect.semantic.model import EmbeddingModel, mode, model_for

CACHE_DIR = "embedding-cache"  # beside the index folder: it outlives every rebuild
VECTORS_FILE = "semantic.npz"  # in the index folder: swapped in with it


def has_vectors(index_folder: Path) -> bool:
    """Whether an index folder was built with the semantic model."""
    return (Path(index_folder).resolve() / VECTORS_FILE).is_file()


def default_cache_dir(index_dir: Path) -> Path:
    """Where embeddings are cached: DEFLECT_EMBEDDING_CACHE, else beside the index (the data dir
    for `deflect build`)."""
    from deflect import settings

    configured = settings.load()["DEFLECT_EMBEDDING_CACHE"]
    return Path(configured) if configured else Path(index_dir).absolute().parent / CACHE_DIR


def model_wanted(semantic: bool | None) -> EmbeddingModel | None:
    """The embedding model to use: None for lexical; `semantic=None` follows DEFLECT_SEMANTIC."""
    if semantic is False:
        return None
    return model_for("auto" if semantic else None)


def embed_index(
    records: list[ArticleRecord],
    folder: Path,
    index_dir: Path,
    semantic: bool | None,
    cache_dir: str | Path | None,
    removed: set[str] | None = None,
) -> IndexBuilt:
    """Embed the articles into an index folder when the model is there (`removed`: an update in place)."""
    model = model_wanted(semantic)
    done = None
    if model is not None:
        cache = Path(cache_dir) if cache_dir else default_cache_dir(index_dir)
        if removed is None:
            done = build(records, folder, model, cache)
        else:
            done = update(folder, records, removed, model, cache)
    if done is None:
        return IndexBuilt(len(records), mode(None))
    return IndexBuilt(len(records), mode(model), done.embedded, done.reused)


def build(records: list[ArticleRecord], folder: Path, model: EmbeddingModel, cache_dir: Path):
    """Embed every article into a fresh index folder (reusing cached texts); what was embedded."""
    from deflect.semantic import vectors
    from deflect.semantic.cache import EmbeddingCache

    found, embedded = vectors.embed_articles(records, model, EmbeddingCache(cache_dir, model.id))
    vectors.save(folder / VECTORS_FILE, found)
    return embedded


def update(folder: Path, changed: list[ArticleRecord], removed: set[str], model: EmbeddingModel, cache_dir: Path):
    """Re-embed the changed articles of an index folder in place; None when it has no vectors."""
    from deflect.semantic import vectors
    from deflect.semantic.cache import EmbeddingCache

    old = vectors.load(folder / VECTORS_FILE, model.id)
    if old is None:
        return None
    kept = old.without(removed | {record.path for record in changed})
    fresh, embedded = vectors.embed_articles(changed, model, EmbeddingCache(cache_dir, model.id), old.by_key())
    vectors.save(folder / VECTORS_FILE, vectors.combined(kept, fresh))
    return embedded


class SemanticSide:
    """The vectors of one index folder and the model: ranks articles for a query."""

    def __init__(self, folder: Path, model: EmbeddingModel):
        self.folder, self.model = folder, model
        self._lock = threading.Lock()
        self._stamp, self._checked, self._vectors = None, 0.0, None
        self._reload()

    @classmethod
    def open(cls, folder: Path, semantic: bool | None) -> SemanticSide | None:
        """The semantic side of an index folder; None for a lexical build, without the model, or
        when `semantic` is False (None: unless DEFLECT_SEMANTIC=off)."""
        model = model_wanted(semantic) if has_vectors(folder) else None
        if model is None:
            return None
        side = cls(folder, model)
        return side if side._vectors is not None else None

    @staticmethod
    def mode(side: SemanticSide | None) -> str:
        """How an index with this side (or None) is searched: "lexical" or "lexical + semantic (...)"."""
        return mode(side.model if side else None)

    def _reload(self) -> None:
        """Read the vectors file again when an update replaced it (a new inode)."""
        from deflect.semantic import vectors

        path = self.folder / VECTORS_FILE
        try:
            stat = path.stat()
        except FileNotFoundError:
            return
        stamp = (stat.st_ino, stat.st_mtime_ns)
        if stamp != self._stamp:
            self._vectors, self._stamp = vectors.load(path, self.model.id), stamp

    def _current(self):
        """The vectors, checked for an in-place update at most once a second."""
        now = time.monotonic()
        if now - self._checked > 1.0:
            with self._lock:
                self._checked = now
                self._reload()
        return self._vectors

    def ranking(self, query: str, depth: int):
        """The `depth` articles nearest the query's meaning, best first (SemanticHit)."""
        found = self._current()
        if found is None:
            return []
        return found.ranking(self.model.embed([query])[0], depth)
