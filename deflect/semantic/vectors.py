"""The passage vectors stored next to the index, and the ranking of articles they give a query.

One file in the index folder (`engine.VECTORS_FILE`), written whole and renamed into place, so it is
swapped in with the folder on a rebuild and replaced atomically on an update. Rows are grouped by
article; each row has its article, its section (or PAGE) and its text key. An article scores the
cosine of its best passage.
"""

from __future__ import annotations

import logging
import os
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deflect.ranking.documents import ArticleRecord
from deflect.semantic.cache import EmbeddingCache
from deflect.semantic.texts import passages

log = logging.getLogger("deflect.semantic")


@dataclass(frozen=True)
class SemanticHit:
    """An article by its best passage: its cosine to the query and that passage's section."""

    path: str
    score: float
    section: int


@dataclass
class SectionVectors:
    """Passage vectors of every article of one index, for one model."""

    model_id: str
    paths: list[str]  # per row
    sections: np.ndarray  # int32 per row: the section index, or PAGE
    keys: list[str]  # per row: the text key
    matrix: np.ndarray  # float32, one unit vector per row

    def ranking(self, query_vector: np.ndarray, depth: int) -> list[SemanticHit]:
        """The `depth` articles nearest the query, best first, each by its best passage."""
        if not self.paths:
            return []
        scores = self.matrix @ query_vector
        hits: dict[str, SemanticHit] = {}
        for row in np.argsort(-scores, kind="stable"):
            path = self.paths[row]
            if path not in hits:
                hits[path] = SemanticHit(path, float(scores[row]), int(self.sections[row]))
                if len(hits) == depth:
                    break
        return list(hits.values())

    def without(self, paths: set[str]) -> SectionVectors:
        """These vectors less the rows of the given articles."""
        keep = [row for row, path in enumerate(self.paths) if path not in paths]
        return SectionVectors(
            self.model_id,
            [self.paths[r] for r in keep],
            self.sections[keep],
            [self.keys[r] for r in keep],
            self.matrix[keep],
        )

    def by_key(self) -> dict[str, np.ndarray]:
        """Each stored vector by its text key (to reuse on an update)."""
        return dict(zip(self.keys, self.matrix))


@dataclass(frozen=True)
class Embedded:
    """What one build or update embedded: passages run through the model, and reused."""

    embedded: int
    reused: int


def save(path: Path, vectors: SectionVectors) -> None:
    """Write a vectors file, replacing any atomically."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    with open(temporary, "wb") as handle:
        np.savez(
            handle,
            model_id=np.array(vectors.model_id),
            paths=np.array(vectors.paths, dtype=str),
            sections=vectors.sections.astype(np.int32),
            keys=np.array(vectors.keys, dtype=str),
            matrix=vectors.matrix.astype(np.float32),
        )
    os.replace(temporary, path)


def load(path: Path, model_id: str) -> SectionVectors | None:
    """The vectors of a vectors file for this model; None (logged) when another model made them
    or the file is damaged: the search is then lexical until the index is rebuilt."""
    rebuild = "the search stays lexical until the index is rebuilt (deflect build, or deflect index)"
    try:
        # Opened here, not by np.load, which leaves the file open when it is not a zip file.
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as data:
            if str(data["model_id"]) != model_id:
                log.warning("%s was embedded by model %s, not %s: %s", path, data["model_id"], model_id, rebuild)
                return None
            return SectionVectors(
                model_id, data["paths"].tolist(), data["sections"], data["keys"].tolist(), data["matrix"]
            )
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        log.warning("%s is unreadable (%s): %s", path, error, rebuild)
        return None


def _embed_missing(model, texts: dict[str, str]) -> dict[str, np.ndarray]:
    """Embed the texts by key, spread over two threads (the model runs each text on one core)."""
    keys = list(texts)
    chunks = [keys[i::2] for i in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda chunk: model.embed([texts[k] for k in chunk]), chunks))
    return {key: vector for chunk, matrix in zip(chunks, results) for key, vector in zip(chunk, matrix)}


def embed_articles(
    records: list[ArticleRecord], model, cache: EmbeddingCache, known: dict[str, np.ndarray] | None = None
) -> tuple[SectionVectors, Embedded]:
    """The vectors of these articles: from `known` or the cache when a text was embedded before."""
    rows = [(record.path, passage) for record in records for passage in passages(record)]
    wanted = {passage.key: passage.text for _, passage in rows}
    found = dict(known or {})
    found.update(cache.get(key for key in wanted if key not in found))
    missing = {key: text for key, text in wanted.items() if key not in found}
    fresh = _embed_missing(model, missing) if missing else {}
    cache.put(fresh, used=set(wanted))
    found.update(fresh)
    matrix = np.stack([found[p.key] for _, p in rows]) if rows else np.zeros((0, model.dimension), np.float32)
    vectors = SectionVectors(
        model.id,
        [path for path, _ in rows],
        np.array([p.section for _, p in rows], dtype=np.int32),
        [p.key for _, p in rows],
        matrix,
    )
    return vectors, Embedded(len(fresh), len(wanted) - len(fresh))


def combined(old: SectionVectors, new: SectionVectors) -> SectionVectors:
    """Two sets of vectors of different articles as one."""
    return SectionVectors(
        old.model_id,
        old.paths + new.paths,
        np.concatenate([old.sections, new.sections]),
        old.keys + new.keys,
        np.concatenate([old.matrix, new.matrix]),
    )
