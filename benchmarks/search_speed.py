"""Search speed: deflect beside plain Whoosh on synthetic knowledge bases, in the same run.

Usage (from the repository root):

    .venv/bin/python benchmarks/search_speed.py                 # 1,000 and 10,000 articles
    .venv/bin/python benchmarks/search_speed.py --sizes 1000 --queries 200

For each size it prints: the full build time (and per 1,000 articles), the time to update the index
after 10 articles change, and query latency p50/p95 (5 results with snippets, through one
long-lived searcher; the two engines take turns over three rounds of the queries and the
percentiles are over all rounds, so load on a shared machine falls on both). deflect renders each
article's Markdown as the site does (Python-Markdown with the site's extensions) and reads the
words from the HTML. Plain Whoosh: title (StemmingAnalyzer, boost 2) and body (stored), the default writer, an OR-group
MultifieldParser, and its default highlighter on the body of each hit. It is given the Markdown as
body text (no rendering), which only makes it faster.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", category=SyntaxWarning)  # Whoosh 2.7.4 on Python 3.12+

from whoosh import index as whoosh_index  # noqa: E402
from whoosh.analysis import StemmingAnalyzer  # noqa: E402
from whoosh.fields import ID, TEXT, Schema  # noqa: E402
from whoosh.qparser import MultifieldParser, OrGroup  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deflect.kb.pages import Page, page_url  # noqa: E402
from deflect.search import SearchIndex, build_index, update_index  # noqa: E402

COMMON = [
    "the",
    "a",
    "to",
    "and",
    "of",
    "in",
    "for",
    "is",
    "on",
    "your",
    "you",
    "with",
    "can",
    "it",
    "this",
    "be",
    "from",
    "when",
    "that",
    "are",
    "by",
    "or",
    "not",
    "after",
    "before",
    "how",
    "what",
    "why",
    "learner",
    "points",
    "course",
    "quiz",
    "reward",
    "account",
    "email",
    "password",
    "sign",
    "error",
    "settings",
    "report",
    "admin",
    "teacher",
    "student",
    "page",
    "button",
    "open",
    "click",
    "save",
    "shows",
]


def vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    """Made-up product words of 4 to 11 letters."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(4, 11))) for _ in range(size)]


def sentence(rng, words, n):
    """n words, mostly common ones, Zipf-like over the made-up vocabulary."""
    out = []
    for _ in range(n):
        if rng.random() < 0.45:
            out.append(rng.choice(COMMON))
        else:
            out.append(
                words[min(int(rng.paretovariate(0.9)) - 1, len(words) - 1)] if rng.random() < 0.5 else rng.choice(words)
            )
    return " ".join(out).capitalize() + "."


def article(rng, words, i, version=0) -> Page:
    """One synthetic article of about 500 words in 4 to 7 sections."""
    title = sentence(rng, words, rng.randint(3, 7)).rstrip(".")
    parts = [sentence(rng, words, rng.randint(10, 25)) for _ in range(2)]
    for _ in range(rng.randint(4, 7)):
        parts.append(f"\n## {sentence(rng, words, rng.randint(2, 4)).rstrip('.')}\n")
        parts += [sentence(rng, words, rng.randint(8, 20)) for _ in range(rng.randint(3, 6))]
    path = f"section-{i % 20}/article-{i}.md"
    meta = {
        "title": title,
        "tags": rng.sample(words[:200], 2),
        "questions": [sentence(rng, words, 6) for _ in range(2)],
    }
    body = f"{' '.join(parts)}\n\nRevision {version}.\n"
    return Page(path=path, url=page_url(path), title=title, markdown=body, meta=meta)


def queries(rng, words, n):
    """Customer-like queries: 2 to 6 words, one in six with a typo."""
    out = []
    for _ in range(n):
        q = sentence(rng, words, rng.randint(2, 6)).rstrip(".").lower().split()
        if rng.random() < 1 / 6:
            k = rng.randrange(len(q))
            w = q[k]
            if len(w) > 4:
                j = rng.randrange(1, len(w) - 1)
                q[k] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        out.append(" ".join(q))
    return out


def plain_schema():
    """The plain Whoosh schema of the baseline."""
    return Schema(
        path=ID(stored=True, unique=True),
        title=TEXT(analyzer=StemmingAnalyzer(), field_boost=2.0, stored=True),
        body=TEXT(analyzer=StemmingAnalyzer(), stored=True),
    )


def plain_build(pages, folder):
    """Full build with plain Whoosh."""
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), plain_schema())
    with ix.writer() as writer:
        for p in pages:
            writer.add_document(path=p.path, title=p.title, body=p.markdown)
    return ix


def plain_update(ix, changed):
    """Update 10 articles with plain Whoosh."""
    with ix.writer() as writer:
        for p in changed:
            writer.update_document(path=p.path, title=p.title, body=p.markdown)


ROUNDS = 3


def timings(search, qs) -> list[float]:
    """Milliseconds of each query, in order."""
    times = []
    for q in qs:
        start = time.perf_counter()
        search(q)
        times.append((time.perf_counter() - start) * 1000)
    return times


def latencies(engines: dict, qs) -> dict:
    """{name: (p50, p95)} over every query of `ROUNDS` rounds, the engines taking turns in each
    round, so that a burst of load on the shared machine hits both (after a short warm-up)."""
    for search in engines.values():
        timings(search, qs[:20])
    pooled = {name: [] for name in engines}
    for _ in range(ROUNDS):
        for name, search in engines.items():
            pooled[name] += timings(search, qs)
    return {name: percentiles(times) for name, times in pooled.items()}


def percentiles(times: list[float]) -> tuple[float, float]:
    """p50 and p95 of a list of milliseconds."""
    times = sorted(times)
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def run(size, n_queries, workdir):
    """Measure one size; returns rows (measure, deflect, plain)."""
    rng = random.Random(size)
    words = vocabulary(rng)
    pages = [article(rng, words, i) for i in range(size)]
    changed = [article(rng, words, i, version=1) for i in rng.sample(range(size), 10)]
    qs = queries(rng, words, n_queries)

    start = time.perf_counter()
    ix = plain_build(pages, workdir / f"plain-{size}")
    plain_build_s = time.perf_counter() - start
    start = time.perf_counter()
    build_index(pages, workdir / f"deflect-{size}")
    deflect_build_s = time.perf_counter() - start

    start = time.perf_counter()
    plain_update(ix, changed)
    plain_update_s = time.perf_counter() - start
    start = time.perf_counter()
    update_index(workdir / f"deflect-{size}", changed, [])
    deflect_update_s = time.perf_counter() - start

    searcher = ix.searcher()
    parser = MultifieldParser(["title", "body"], ix.schema, group=OrGroup)

    def plain_search(q):
        return [hit.highlights("body") for hit in searcher.search(parser.parse(q), limit=5)]

    index = SearchIndex.open(workdir / f"deflect-{size}")
    found = latencies({"deflect": lambda q: index.search(q, limit=5), "plain": plain_search}, qs)
    deflect_p, plain_p = found["deflect"], found["plain"]
    index.close()
    searcher.close()
    return [
        ("full build (s)", deflect_build_s, plain_build_s),
        ("full build per 1,000 articles (s)", deflect_build_s * 1000 / size, plain_build_s * 1000 / size),
        ("update 10 articles (s)", deflect_update_s, plain_update_s),
        ("query p50 with snippets (ms)", deflect_p[0], plain_p[0]),
        ("query p95 with snippets (ms)", deflect_p[1], plain_p[1]),
    ]


def main():
    """Run the sizes and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated article counts")
    ap.add_argument("--queries", type=int, default=300, help="queries per size")
    args = ap.parse_args()
    print("| articles | measure | deflect-lexical | plain Whoosh | ratio |")
    print("| ---: | --- | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as workdir:
        for size in (int(s) for s in args.sizes.split(",")):
            for name, mine, plain in run(size, args.queries, Path(workdir)):
                print(f"| {size:,} | {name} | {mine:.3f} | {plain:.3f} | {mine / plain:.2f} |", flush=True)


if __name__ == "__main__":
    main()
