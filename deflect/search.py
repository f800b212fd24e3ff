"""Knowledge-base search: the Whoosh index of the articles, and the searcher the app keeps open.

This is the only module that imports Whoosh. The API::

    build_index(pages, index_dir)                  # full build in a fresh folder, swapped in atomically
    update_index(index_dir, changed, removed_paths)  # in place, after a few articles changed
    index = SearchIndex.open(index_dir)            # one per process, shared by threads
    response = index.search("cant log in", limit=5)
    response.results      # [Result(path, title, url, score, snippet, section)]
    response.did_you_mean # "log in" style correction, or None
    ranking = index.lexical("cant log in", count=30)  # Candidate(path, score, section, anchor, heading)s
    index.result(ranking.candidates[0], ranking.highlight, score=0.9)  # its Result, at a fused score
    index.candidate("faq/refunds.md", section=2)   # an article another ranking found, as a Candidate
    index.close()

Each article is one document with fields for title, front-matter `questions`, tags, description
and body (every heading and text of the page), weighted by `ranking.tuning.Tuning`; its sections
are stored with their anchors and analysed terms. The page query selects candidate articles (words
in most articles rank but never select); their sections and common words are scored from the
stored terms (`ranking.candidate_scoring`); the result links to the best section, with its snippet.
With the `semantic` extra (and DEFLECT_SEMANTIC not `off`) builds also embed every article's
passages and searches fuse both rankings (`deflect/semantic/`, no Whoosh there).
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache, partial
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.analysis import LowercaseFilter, RegexTokenizer, SpaceSeparatedTokenizer, StemFilter, StopFilter
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.lang.porter2 import stem as porter2_stem
from whoosh.query import And, Or, Term
from whoosh.scoring import BM25F

from deflect.kb.pages import Page
from deflect.ranking import candidate_scoring as scoring
from deflect.ranking import index_folder
from deflect.ranking.documents import ArticleRecord, stored_article
from deflect.ranking.index_folder import IndexBuilt
from deflect.ranking.preparation import prepared
from deflect.ranking.query_plan import QueryPlan, plan_query
from deflect.ranking.results import Candidate, LexicalRanking, Result, SearchResponse, article_result
from deflect.ranking.spelling import Speller
from deflect.ranking.synonyms import Synonyms, load_synonyms
from deflect.ranking.tuning import Tuning, plural_stem
from deflect.ranking.words import INDEX_STOP_WORDS, fold
from deflect.semantic.engine import SemanticSide, embed_index
from deflect.semantic.fusion import Fusion, fused_search

__all__ = ["Candidate", "IndexBuilt", "LexicalRanking", "Result", "SearchIndex", "SearchResponse", "Tuning"]
__all__ += ["build_index", "check_index", "update_index"]


def _analyzer(light: bool = False):
    """Tokenize, lower-case, drop stop words, stem (Snowball English, or plural-only when `light`)."""
    chain = RegexTokenizer(r"\w+(?:\.?\w+)*") | LowercaseFilter() | StopFilter(stoplist=INDEX_STOP_WORDS)
    if light:
        return chain | StemFilter(stemfn=plural_stem, cachesize=-1)
    return chain | StemFilter(stemfn=porter2_stem, cachesize=-1)


BODY_ANALYZER = _analyzer()
TITLE_ANALYZER = _analyzer(light=True)

FIELDS = ("title", "questions", "tags", "description", "body")


def schema() -> Schema:
    """The index schema: one document per article; every field is analysed once, before writing."""
    text = dict(analyzer=SpaceSeparatedTokenizer(), phrase=False)
    return Schema(path=ID(unique=True, stored=True), data=STORED, **{name: TEXT(**text) for name in FIELDS})


@lru_cache(maxsize=100_000)
def _terms(field_name: str, word: str) -> tuple[str, ...]:
    """The indexed terms of one word (or text) in one field."""
    analyzer = TITLE_ANALYZER if field_name == "title" else BODY_ANALYZER
    return tuple(token.text for token in analyzer(word))


def _analysed(text: str, light: bool = False) -> list[str]:
    """The indexed terms of a text (not cached: texts are long and seen once)."""
    return [token.text for token in (TITLE_ANALYZER if light else BODY_ANALYZER)(fold(text))]


def _stem(word: str) -> str | None:
    """The body term of a word, or None for a stop word."""
    terms = _terms("body", fold(word))
    return terms[0] if terms else None


def _write_pages(writer, pages: list[Page], totals: index_folder.Totals) -> list[ArticleRecord]:
    """Add every article (not pages excluded from search) to an open writer; return their records."""
    records = []
    for article in prepared(partial(stored_article, analyse=_analysed), pages):
        if article is not None:
            totals.add(article.words, article.document["data"]["sections"])
            writer.add_document(**article.document)
            records.append(article.record)
    return records


def build_index(
    pages: list[Page],
    index_dir: str | Path,
    synonyms_file: str | Path | None = None,
    semantic: bool | None = None,
    cache_dir: str | Path | None = None,
) -> IndexBuilt:
    """Index `pages` into a fresh folder beside `index_dir`, then swap it in atomically.

    Pages whose front matter says `search: {exclude: true}` are left out, as `deflect build` does.
    `index_dir` becomes a symlink to the fresh folder, so a reader never sees a half-built index;
    `synonyms_file` (the writers' `synonyms.yml`) is copied into the index and applied at query time.
    With the semantic model (`semantic=None`: unless DEFLECT_SEMANTIC=off; False: never) the passages
    are embedded too, those seen before taken from `cache_dir` (default: DEFLECT_EMBEDDING_CACHE).
    """
    index_dir = Path(index_dir).absolute()
    fresh = index_folder.fresh_folder(index_dir)
    ix = whoosh_index.create_in(str(fresh), schema())
    totals = index_folder.Totals({}, scoring.SectionStats())
    writer = ix.writer(limitmb=256)
    records = _write_pages(writer, pages, totals)
    writer.commit()
    ix.close()
    index_folder.save_totals(fresh, totals)
    index_folder.save_synonyms(fresh, load_synonyms(synonyms_file))
    built = embed_index(records, fresh, index_dir, semantic, cache_dir)
    index_folder.swap_in(fresh, index_dir)
    return built


def update_index(
    index_dir: str | Path,
    changed: list[Page],
    removed_paths: list[str],
    semantic: bool | None = None,
    cache_dir: str | Path | None = None,
) -> IndexBuilt:
    """Re-index the `changed` pages and delete `removed_paths`, in place (one writer at a time).

    A changed page whose front matter now says `search: {exclude: true}` leaves the index. An
    index built with the semantic model has the changed articles' new passages embedded.
    """
    folder = Path(index_dir).resolve()
    totals = index_folder.read_totals(folder)
    ix = whoosh_index.open_dir(str(folder))
    writer = ix.writer(timeout=30.0)
    with writer.searcher() as searcher:
        for path in [*removed_paths, *(page.path for page in changed)]:
            old = searcher.document(path=path)
            if old is not None:
                totals.sections = totals.sections.plus(old["data"]["sections"], sign=-1)
            writer.delete_by_term("path", path)
    records = _write_pages(writer, changed, totals)
    writer.commit()
    ix.close()
    index_folder.save_totals(folder, totals)
    removed = set(removed_paths) | {page.path for page in changed}
    return embed_index(records, folder, Path(index_dir), semantic, cache_dir, removed)


class _Generation:
    """One opened index folder: the Whoosh index, per-thread searchers, vocabulary, synonyms,
    section statistics and the semantic side (None for a lexical index)."""

    def __init__(self, folder: Path, semantic: bool | None = False):
        self.folder = folder
        self.semantic = SemanticSide.open(folder, semantic)
        self.sections = index_folder.read_statistics(folder)
        self.ix = whoosh_index.open_dir(str(folder), readonly=True)
        self.speller = Speller(index_folder.read_vocabulary(folder))
        self.synonyms = Synonyms(index_folder.read_synonyms(folder))
        self.local = threading.local()
        self.searchers: list = []
        self.lock = threading.Lock()

    def searcher(self, weighting):
        """This thread's searcher, refreshed when the index was updated in place."""
        searcher = getattr(self.local, "searcher", None)
        now = time.monotonic()
        if searcher is None:
            searcher = self.ix.searcher(weighting=weighting)
            with self.lock:
                self.searchers.append(searcher)
            self.local.searcher, self.local.checked = searcher, now
        elif now - self.local.checked > 1.0:
            self.local.checked = now
            if not searcher.up_to_date():
                fresh = searcher.refresh()
                with self.lock:
                    self.searchers.append(fresh)
                self.local.searcher = searcher = fresh
                self.speller = Speller(index_folder.read_vocabulary(self.folder))
                self.sections = index_folder.read_statistics(self.folder)
        return searcher

    def close(self) -> None:
        """Close every searcher opened on this folder."""
        with self.lock:
            for searcher in self.searchers:
                searcher.close()
            self.searchers.clear()
        self.ix.close()


class SearchIndex(index_folder.Followed):
    """A long-lived, thread-safe searcher over one index folder; picks up a swapped-in rebuild."""

    def __init__(self, index_dir: Path, tuning: Tuning, semantic: bool | None = None, fusion: Fusion | None = None):
        self.tuning, self.fusion = tuning, fusion or Fusion()
        self.weighting = BM25F(B=tuning.B, K1=tuning.K1, title_B=tuning.title_B)
        super().__init__(index_dir, partial(_Generation, semantic=semantic))

    @classmethod
    def open(
        cls,
        index_dir: str | Path,
        tuning: Tuning | None = None,
        semantic: bool | None = None,
        fusion: Fusion | None = None,
    ) -> SearchIndex:
        """Open the index built by `build_index` (once per process, not per request).

        An index built with the semantic model is searched with it too, unless `semantic` is False
        (None: unless DEFLECT_SEMANTIC=off). An index of another format (written by another version
        of deflect) raises ValueError with the command that rebuilds it.
        """
        return cls(Path(index_dir).absolute(), tuning or Tuning(), semantic, fusion)

    @property
    def mode(self) -> str:
        """How this index is searched: "lexical" or "lexical + semantic (model ...)"."""
        return SemanticSide.mode(self.current().semantic)

    def _stored(self, path: str) -> dict | None:
        """The stored fields of one indexed article, or None."""
        return self.current().searcher(self.weighting).document(path=path)

    def search(self, query: str, limit: int = 5) -> SearchResponse:
        """Return the best `limit` articles for a customer's words (fused with the model's, if any)."""
        side = self.current().semantic
        if side is not None:
            return fused_search(self, side, query, limit, self.fusion)
        ranking = self.lexical(query, max(limit, self.tuning.candidates))
        results = [self.result(candidate, ranking.highlight) for candidate in ranking.candidates[:limit]]
        return SearchResponse(query, results, ranking.did_you_mean)

    def lexical(self, query: str, count: int = 30) -> LexicalRanking:
        """The lexical ranking: up to `count` candidate articles, best first, each with its best section."""
        generation = self.current()
        return rank(generation, generation.searcher(self.weighting), query, count, self.tuning)

    def candidate(self, path: str, section: int = 0, score: float = 0.0) -> Candidate | None:
        """An indexed article as a Candidate with the given section (for articles another ranking
        found); None when the path is not indexed or has no such section."""
        found = self._stored(path)
        return Candidate.of(path, found["data"], section, score) if found else None

    def result(self, candidate: Candidate, highlight: frozenset[str], score: float | None = None) -> Result:
        """The Result shown for a candidate (its best section's anchor and snippet), at `score` if given."""

        def matches(word: str) -> str | None:
            stem = _stem(word)
            return stem if stem in highlight else None

        return article_result(candidate, candidate.score if score is None else score, matches)

    def sections(self, path: str) -> list[tuple[str, str | None, str]]:
        """(heading, anchor, text) of each indexed section of an article ([] when it is not indexed)."""
        found = self._stored(path)
        return [tuple(s[:3]) for s in found["data"]["sections"]] if found else []

    def documents(self) -> list[tuple[str, str, str]]:
        """(path, title, url) of every indexed article, in path order."""
        searcher = self.current().searcher(self.weighting)
        found = [(f["path"], f["data"]["title"], f["data"]["url"]) for f in searcher.all_stored_fields()]
        return sorted(found)


def check_index(index_dir: str | Path) -> int:
    """Open the index and read it as searches do: every stored article, then a query for the first
    one's title. Return the number of articles; raise whatever a missing or damaged index raises."""
    with SearchIndex.open(index_dir) as index:
        documents = index.documents()
        if documents:
            index.search(documents[0][1], limit=1)
    return len(documents)


def _known(searcher, word: str) -> bool:
    """Whether any field of the index has the word (after analysis)."""
    return any(searcher.doc_frequency(f, t) for f in FIELDS for t in _terms(f, word))


def _frequency(searcher, word: str) -> int:
    """How many articles have the word in their body."""
    stem = _stem(word)
    return searcher.doc_frequency("body", stem) if stem else 0


def _weighted(tuning: Tuning, word: str):
    """(field, term) of a word in every field the tuning searches."""
    return [(f, t) for f in FIELDS if getattr(tuning, f) > 0 for t in _terms(f, word)]


def _concept(searcher, word: str, weight: float, tuning: Tuning):
    """One word searched in every weighted field that has it; None when no field has it."""
    found = [(f, t) for f, t in _weighted(tuning, word) if searcher.doc_frequency(f, t)]
    subqueries = [Term(f, t, boost=getattr(tuning, f) * weight) for f, t in found]
    if not subqueries:
        return None
    return subqueries[0] if len(subqueries) == 1 else Or(subqueries)


def _alternatives(searcher, phrases, weight: float, tuning: Tuning):
    """A synonym term: any of its phrases, each phrase every one of its words."""
    options = []
    for phrase in phrases:
        parts = [_concept(searcher, w, weight, tuning) for w in phrase]
        if parts and all(p is not None for p in parts):
            options.append(parts[0] if len(parts) == 1 else And(parts))
    return None if not options else options[0] if len(options) == 1 else Or(options)


class _Query(scoring.QueryParts):
    """A plan as Whoosh subqueries (see `QueryParts`: which select, which only rank)."""

    def __init__(self, searcher, tuning: Tuning):
        super().__init__(searcher.doc_count(), tuning.common)
        self.searcher, self.tuning = searcher, tuning

    def add_words(self, part: scoring.QueryPart) -> None:
        """Add a subquery with the body terms of its words."""
        terms = [(_stem(word), _frequency(self.searcher, word)) for word in part.words]
        self.add(part, [(term, df) for term, df in terms if term and df])

    def whoosh(self):
        """The Or of the selecting parts (None when the plan is empty)."""
        selecting, _ = self.split()
        return _tree(Or([p.query for p in selecting])) if selecting else None

    def optional_terms(self) -> list[scoring.FieldTerm]:
        """The ranking-only words' terms in every weighted field, for `optional_score`."""
        searcher, tuning, found = self.searcher, self.tuning, []
        for part in self.split()[1]:
            for f, t in (term for word in part.words for term in _weighted(tuning, word)):
                if searcher.doc_frequency(f, t):
                    B, weight = (tuning.title_B if f == "title" else tuning.B), getattr(tuning, f) * part.weight
                    found.append(scoring.FieldTerm(f, t, weight, searcher.idf(f, t), searcher.avg_field_length(f), B))
        return found


def _tree(query):
    """The query with every Or in it matched by Whoosh's tree of unions, also in small indexes: unlike
    the array union (Whoosh's choice under 5,000 articles) it skips the blocks that cannot reach the
    top candidates (query p95 at 1,000 articles 0.37x plain Whoosh's instead of 0.63x)."""
    for sub in query.children():
        _tree(sub)
    if isinstance(query, Or):
        query.matcher_type = Or.DEFAULT_MATCHER
    return query


def _whoosh_query(searcher, plan: QueryPlan, tuning: Tuning) -> _Query:
    """The plan's typed words and synonyms as Whoosh subqueries."""
    query = _Query(searcher, tuning)
    for word in plan.words:
        concept = _concept(searcher, word.text, word.weight, tuning)
        if concept is not None:
            query.add_words(scoring.QueryPart(_frequency(searcher, word.text), concept, (word.text,), word.weight))
    for alternatives in plan.alternatives:
        concept = _alternatives(searcher, alternatives.phrases, alternatives.weight, tuning)
        if concept is not None:
            frequency = sum(min(_frequency(searcher, w) for w in phrase) for phrase in alternatives.phrases)
            words = tuple(w for phrase in alternatives.phrases for w in phrase)
            query.add_words(scoring.QueryPart(frequency, concept, words, alternatives.weight))
    return query


def rank(generation: _Generation, searcher, query: str, count: int, tuning: Tuning) -> LexicalRanking:
    """Run a customer's query and return up to `count` candidate articles, best first."""
    plan = plan_query(query, lambda w: _known(searcher, w), generation.speller, generation.synonyms, tuning)
    parts = _whoosh_query(searcher, plan, tuning)
    whoosh_query = parts.whoosh()
    if whoosh_query is None:
        return LexicalRanking(query, [], frozenset(), plan.did_you_mean)
    hits = searcher.search(whoosh_query, limit=count)
    optional, terms = parts.optional_terms(), scoring.needles(parts.weights)
    stats = generation.sections
    candidates = [scoring.scored(h["path"], h.score, h["data"], terms, optional, stats, tuning) for h in hits]
    candidates.sort(key=lambda c: -c.score)
    highlight = frozenset(t.text for part in parts.parts for t in part.query.all_tokens())
    return LexicalRanking(query, candidates, highlight, plan.did_you_mean)
