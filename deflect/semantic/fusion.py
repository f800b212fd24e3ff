"""The lexical and semantic rankings fused into one: weighted reciprocal rank fusion.

Each ranking gives an article `weight / (k + rank)`; an article's fused score is the sum. Ranks,
not scores, are fused, so BM25's scale and the cosine's never have to agree. A semantic candidate
whose best passage is far from the query (cosine under `min_cosine`, where unrelated text lies)
ranks nothing; when the lexical side found nothing at all, the model alone must be surer
(`alone_cosine`): the nearest passage of any text has some cosine, and gibberish must still find
nothing rather than anything.
Values in `Fusion` were measured on the three labeled sets (benchmarks/README.md): the
section-aware lexical ranking is reliable at its top and noisy in its tail, so only its first 8
results are fused and ranks decay fast (k=5); with 30, as on the engine before it, its tail lent
the model's wrong answers enough to push right ones out of the top 3.

`fused_search` is the search with the model: the lexical ranking's candidates
(`SearchIndex.lexical`) fused with the passages' cosine ranking (`engine.SemanticSide.ranking`).
"""

from __future__ import annotations

from dataclasses import dataclass

from deflect.ranking.results import Candidate, SearchResponse


@dataclass(frozen=True)
class Fusion:
    """How the two rankings are fused."""

    k: float = 5.0
    lexical_depth: int = 8  # the lexical engine's first results fused
    semantic_depth: int = 30  # semantic candidates fused
    lexical: float = 1.0  # weight of the lexical ranking
    semantic: float = 1.5  # weight of the semantic ranking
    min_cosine: float = 0.3  # a semantic candidate's least cosine
    alone_cosine: float = 0.4  # the same, when the lexical ranking is empty


@dataclass(frozen=True)
class Fused:
    """One article of the fused ranking; `section` is the semantic side's best section, if it ranked it."""

    path: str
    score: float
    section: int | None


def fuse(lexical: list[str], semantic: list, fusion: Fusion) -> list[Fused]:
    """Fuse a lexical ranking (paths, best first) with a semantic one (SemanticHit, best first)."""
    scores: dict[str, float] = {}
    for rank, path in enumerate(lexical[: fusion.lexical_depth], 1):
        scores[path] = scores.get(path, 0.0) + fusion.lexical / (fusion.k + rank)
    sections = {}
    floor = fusion.min_cosine if lexical else fusion.alone_cosine
    close = [hit for hit in semantic[: fusion.semantic_depth] if hit.score >= floor]
    for rank, hit in enumerate(close, 1):
        scores[hit.path] = scores.get(hit.path, 0.0) + fusion.semantic / (fusion.k + rank)
        sections[hit.path] = hit.section
    order = sorted(scores, key=lambda path: -scores[path])
    return [Fused(path, scores[path], sections.get(path)) for path in order]


def fused_search(index, side, query: str, limit: int, fusion: Fusion) -> SearchResponse:
    """The best `limit` articles of the fused ranking, as `SearchIndex.search` returns them.

    `index` is the SearchIndex (its lexical ranking and results), `side` its semantic side.
    """
    # The lexical engine's own first results: its candidates are scored in full before the cut.
    ranking = index.lexical(query, max(fusion.lexical_depth, index.tuning.candidates))
    lexical = {candidate.path: candidate for candidate in ranking.candidates}
    # The model reads the corrected words: it knows "password", not "pasword".
    semantic = side.ranking(ranking.did_you_mean or query, fusion.semantic_depth)
    results = []
    for found in fuse(list(lexical), semantic, fusion):
        candidate = _shown(index, lexical.get(found.path), found)
        if candidate is not None:  # None: an article deleted since the vectors were read
            results.append(index.result(candidate, ranking.highlight, score=found.score))
        if len(results) == limit:
            break
    return SearchResponse(query, results, ranking.did_you_mean)


def _shown(index, lexical: Candidate | None, found: Fused) -> Candidate | None:
    """The candidate whose section is shown: the lexical one, unless no section of it has a word
    of the query (or the lexical ranking did not find it) and the model found a best section."""
    if lexical is not None and (lexical.section_score > 0 or found.section is None or found.section < 0):
        return lexical
    return index.candidate(found.path, max(found.section or 0, 0)) or lexical or index.candidate(found.path)
