"""Knowledge-base search: the Whoosh index of the articles, and the searcher the app keeps open.

This is the only module that imports Whoosh. The API::

    build_index(pages, index_dir)                  # full build in a fresh folder, swapped in atomically
    update_index(index_dir, changed, removed_paths)  # in place, after a few articles changed
    index = SearchIndex.open(index_dir)            # one per process, shared by threads
    response = index.search("cant log in", limit=5)
    response.results      # [Result(path, title, url, score, snippet, section)]
    response.did_you_mean # "log in" style correction, or None
    index.close()

Each article is one document with separate fields for title, front-matter `questions`, tags,
description, body and lead (its first words); weights are in `deflect.ranking.tuning.Tuning`. Its sections are stored with their anchors: the result links to
the section that matches the query best, and the snippet comes from that section.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.lang.porter2 import stem as porter2_stem
from whoosh.query import And, Or, Term
from whoosh.scoring import BM25F

from deflect.kb.pages import Page, is_article
from deflect.ranking import index_folder
from deflect.ranking.compounds import joined_pairs
from deflect.ranking.documents import ArticleRecord, article_record, record_words
from deflect.ranking.results import Result, SearchResponse
from deflect.ranking.snippets import make_snippet
from deflect.ranking.spelling import Speller
from deflect.ranking.synonyms import Synonyms, load_synonyms
from deflect.ranking.tuning import Tuning, plural_stem, writer_options
from deflect.ranking.words import INDEX_STOP_WORDS, WORD, content_words, fold, query_words

__all__ = ["Result", "SearchIndex", "SearchResponse", "Tuning", "build_index", "check_index", "update_index"]

TOKEN_PATTERN = r"\w+(?:\.?\w+)*"


def _analyzer(light: bool = False):
    """Tokenize, lower-case, drop stop words, stem (Snowball English, or plural-only when `light`)."""
    chain = RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | StopFilter(stoplist=INDEX_STOP_WORDS)
    if light:
        return chain | StemFilter(stemfn=plural_stem, cachesize=-1)
    return chain | StemFilter(stemfn=porter2_stem, cachesize=-1)


BODY_ANALYZER = _analyzer()
TITLE_ANALYZER = _analyzer(light=True)

FIELDS = ("title", "questions", "tags", "description", "body", "lead")


def schema() -> Schema:
    """The index schema: one document per article."""
    text = dict(analyzer=BODY_ANALYZER, phrase=False)
    return Schema(
        path=ID(unique=True, stored=True),
        title=TEXT(analyzer=TITLE_ANALYZER, phrase=False),
        questions=TEXT(**text),
        tags=TEXT(**text),
        description=TEXT(**text),
        body=TEXT(**text),
        lead=TEXT(**text),
        data=STORED,
    )


def _document(record: ArticleRecord) -> dict:
    """The Whoosh document of one article; sections are stored for anchors and snippets."""
    sections = [(s.heading, s.anchor, s.text) for s in record.sections]
    return dict(
        path=record.path,
        title=fold(record.title),
        questions=fold(record.questions),
        tags=fold(record.tags),
        description=fold(record.description),
        body=fold("\n".join(s.text for s in record.sections)),
        lead=fold(record.lead),
        data=dict(title=record.title, url=record.url, sections=sections),
    )


def _write_articles(writer, pages: list[Page], vocabulary: dict[str, int]) -> None:
    """Add every article (not pages excluded from search) to an open writer; count its words."""
    for page in pages:
        if not is_article(page.meta or {}):
            continue
        record = article_record(page)
        for word, count in record_words(record).items():
            vocabulary[word] = vocabulary.get(word, 0) + count
        writer.add_document(**_document(record))


def build_index(pages: list[Page], index_dir: str | Path, synonyms_file: str | Path | None = None) -> None:
    """Index `pages` into a fresh folder beside `index_dir`, then swap it in atomically.

    Pages whose front matter says `search: {exclude: true}` are left out, as `deflect build` does.
    `index_dir` becomes a symlink to the fresh folder, so a reader never sees a half-built index;
    `synonyms_file` (the writers' `synonyms.yml`) is copied into the index and applied at query time.
    """
    index_dir = Path(index_dir).absolute()
    fresh = index_folder.fresh_folder(index_dir)
    ix = whoosh_index.create_in(str(fresh), schema())
    vocabulary: dict[str, int] = {}
    writer = ix.writer(limitmb=256, **writer_options(len(pages)))
    _write_articles(writer, pages, vocabulary)
    writer.commit()
    ix.close()
    index_folder.save_vocabulary(fresh, vocabulary)
    index_folder.save_synonyms(fresh, load_synonyms(synonyms_file))
    index_folder.swap_in(fresh, index_dir)


def update_index(index_dir: str | Path, changed: list[Page], removed_paths: list[str]) -> None:
    """Re-index the `changed` pages and delete `removed_paths`, in place (one writer at a time).

    A changed page whose front matter now says `search: {exclude: true}` leaves the index.
    """
    folder = Path(index_dir).resolve()
    ix = whoosh_index.open_dir(str(folder))
    vocabulary = index_folder.read_vocabulary(folder)
    writer = ix.writer(timeout=30.0)
    for path in [*removed_paths, *(page.path for page in changed)]:
        writer.delete_by_term("path", path)
    _write_articles(writer, changed, vocabulary)
    writer.commit()
    ix.close()
    index_folder.save_vocabulary(folder, vocabulary)


@lru_cache(maxsize=100_000)
def _terms(field_name: str, word: str) -> tuple[str, ...]:
    """The indexed terms of one word in one field."""
    analyzer = TITLE_ANALYZER if field_name == "title" else BODY_ANALYZER
    return tuple(token.text for token in analyzer(word))


def _stem(word: str) -> str | None:
    """The body term of a word, or None for a stop word."""
    terms = _terms("body", fold(word))
    return terms[0] if terms else None


class _Generation:
    """One opened index folder: the Whoosh index, per-thread searchers, vocabulary and synonyms."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.ix = whoosh_index.open_dir(str(folder), readonly=True)
        vocabulary = index_folder.read_vocabulary(folder)
        self.speller = Speller(vocabulary)
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
        return searcher

    def close(self) -> None:
        """Close every searcher opened on this folder."""
        with self.lock:
            for searcher in self.searchers:
                searcher.close()
            self.searchers.clear()
        self.ix.close()


class SearchIndex:
    """A long-lived, thread-safe searcher over one index folder; picks up a swapped-in rebuild."""

    def __init__(self, index_dir: Path, tuning: Tuning):
        self.index_dir = index_dir
        self.tuning = tuning
        self.weighting = BM25F(B=tuning.B, K1=tuning.K1, title_B=tuning.title_B)
        self._lock = threading.Lock()
        self._generation = _Generation(index_dir.resolve())
        self._checked = time.monotonic()

    @classmethod
    def open(cls, index_dir: str | Path, tuning: Tuning | None = None) -> SearchIndex:
        """Open the index built by `build_index` (once per process, not per request)."""
        return cls(Path(index_dir).absolute(), tuning or Tuning())

    def _current(self) -> _Generation:
        """The generation to search: switch once a rebuild has been swapped in (checked each second)."""
        now = time.monotonic()
        if now - self._checked > 1.0:
            with self._lock:
                self._checked = now
                folder = self.index_dir.resolve()
                if folder != self._generation.folder:
                    # Old searchers stay open for threads still using them; closed in close().
                    self._retired = getattr(self, "_retired", []) + [self._generation]
                    self._generation = _Generation(folder)
        return self._generation

    def search(self, query: str, limit: int = 5) -> SearchResponse:
        """Return the best `limit` articles for a customer's words."""
        generation = self._current()
        return rank(self, generation, generation.searcher(self.weighting), query, limit)

    def documents(self) -> list[tuple[str, str, str]]:
        """(path, title, url) of every indexed article, in path order."""
        searcher = self._current().searcher(self.weighting)
        found = [
            (fields["path"], fields["data"]["title"], fields["data"]["url"]) for fields in searcher.all_stored_fields()
        ]
        return sorted(found)

    def close(self) -> None:
        """Close every searcher; the index object cannot be used afterwards."""
        for generation in [self._generation, *getattr(self, "_retired", [])]:
            generation.close()


def check_index(index_dir: str | Path) -> int:
    """Open the index and read it as searches do: every stored article, then a query for the first
    one's title. Return the number of articles; raise whatever a missing or damaged index raises."""
    index = SearchIndex.open(index_dir)
    try:
        documents = index.documents()
        if documents:
            index.search(documents[0][1], limit=1)
    finally:
        index.close()
    return len(documents)


def _known(searcher, word: str) -> bool:
    """Whether any field of the index has the word (after analysis)."""
    return any(searcher.doc_frequency(f, t) for f in FIELDS for t in _terms(f, word))


def _concept(searcher, word: str, weight: float, tuning: Tuning):
    """One query word searched in every weighted field that has it; None when no field has it."""
    subqueries = [
        Term(f, t, boost=getattr(tuning, f) * weight)
        for f in FIELDS
        if getattr(tuning, f) > 0
        for t in _terms(f, word)
        if searcher.doc_frequency(f, t)
    ]
    if not subqueries:
        return None
    # A word in most articles ranks none of them but costs the most to score: leave it out.
    if searcher.doc_frequency("body", subqueries[-1].text) > tuning.common * searcher.doc_count():
        return _COMMON
    return subqueries[0] if len(subqueries) == 1 else _or(searcher, subqueries)


_COMMON = Term("body", "")


LARGE_INDEX = 5000  # articles: Whoosh's own threshold between its two OR matchers


def _or(searcher, subqueries, scale=None):
    """An OR query: an array union for small indexes, a tree (which skips) for large ones.

    Whoosh chooses by the size of each segment; a large build has two segments (see
    `ranking.tuning.writer_options`), so the choice is made here by the size of the whole index.
    """
    query = Or(subqueries, scale=scale)
    if searcher.doc_count_all() > LARGE_INDEX:
        query.matcher_type = Or.DEFAULT_MATCHER
    return query


def _rarest(searcher, words: list[str], tuning: Tuning) -> list:
    """When every word is common, search the rarest one alone (scoring them all costs the most)."""
    scored = [(searcher.doc_frequency("body", t), w) for w in words for t in _terms("body", w)]
    if not scored:
        return []
    concept = _concept(searcher, min(scored)[1], 1.0, dataclasses.replace(tuning, common=1.0))
    return [concept] if concept is not None else []


def _corrections(generation: _Generation, searcher, words: list[str]) -> dict[str, str]:
    """Corrections for the query words the index does not know."""
    found = {}
    for word in words:
        if not _known(searcher, word):
            correction = generation.speller.correct(word)
            if correction:
                found[word] = correction
    return found


def _synonym_queries(generation: _Generation, searcher, words: list[str], tuning: Tuning) -> list:
    """For each synonym term in the query, its alternatives at the synonym weight."""
    queries = []
    for _, _, alternatives in generation.synonyms.alternatives(words):
        options = []
        for alternative in alternatives:
            parts = [_concept(searcher, w, tuning.synonym, tuning) for w in content_words(list(alternative))]
            parts = [p for p in parts if p is not None and p is not _COMMON]
            if parts:
                options.append(parts[0] if len(parts) == 1 else And(parts))
        if options:
            queries.append(options[0] if len(options) == 1 else _or(searcher, options))
    return queries


@dataclass
class _Plan:
    """A query turned into Whoosh subqueries, the stems to highlight and the correction to offer."""

    queries: list
    stems: set[str]
    did_you_mean: str | None


def _plan(generation: _Generation, searcher, query: str, tuning: Tuning) -> _Plan:
    """Drop filler words, correct unknown words, join words typed apart, add synonyms."""
    words = query_words(query)
    content = content_words(words)
    corrections = _corrections(generation, searcher, content)
    queries = []
    for word in content:
        weight = tuning.correction if word in corrections else 1.0
        queries.append(_concept(searcher, corrections.get(word, word), weight, tuning))
    corrected = [corrections.get(w, w) for w in words]
    if tuning.compound:
        joined = joined_pairs(words, generation.speller.vocabulary)
        queries += [_concept(searcher, word, tuning.compound, tuning) for word in joined]
    queries = [q for q in queries if q is not None] + _synonym_queries(generation, searcher, corrected, tuning)
    rare = [q for q in queries if q is not _COMMON]
    queries = rare or _rarest(searcher, content, tuning)
    stems = {t.text for q in queries for t in q.all_tokens()}
    did_you_mean = " ".join(corrected) if corrections else None
    return _Plan(queries, stems, did_you_mean)


def _best_section(sections: list, stems: set[str]) -> tuple[int, int]:
    """Index of the section with the most distinct query stems (heading counts double), and that count."""
    best, best_score = 0, (0, 0)
    for i, (heading, _, text) in enumerate(sections):
        found = {_stem(w) for w in WORD.findall(fold(f"{heading} {heading} {text}"))} & stems
        in_heading = {_stem(w) for w in WORD.findall(fold(heading))} & stems
        score = (len(found) + len(in_heading), -i)
        if score > best_score:
            best, best_score = i, score
    return best, best_score[0]


def _result(hit, stems: set[str]) -> Result:
    """Build the Result of one hit: title, URL (with the best section's anchor), snippet."""
    data = hit["data"]
    sections = data["sections"] or [("", None, "")]
    index, _ = _best_section(sections, stems)
    heading, anchor, text = sections[index]
    url, section = data["url"], None
    if anchor and len(sections) >= 3:
        url, section = f"{url}#{anchor}", heading

    def matches(word: str) -> str | None:
        stem = _stem(word)
        return stem if stem in stems else None

    return Result(hit["path"], data["title"], url, round(hit.score, 4), make_snippet(text, matches), section)


def rank(search_index: SearchIndex, generation: _Generation, searcher, query: str, limit: int) -> SearchResponse:
    """Run a customer's query and return the best `limit` articles."""
    tuning = search_index.tuning
    plan = _plan(generation, searcher, query, tuning)
    if not plan.queries:
        return SearchResponse(query, [], plan.did_you_mean)
    whoosh_query = _or(searcher, plan.queries, scale=tuning.coordination or None)
    hits = searcher.search(whoosh_query, limit=limit)
    return SearchResponse(query, [_result(hit, plan.stems) for hit in hits], plan.did_you_mean)
