"""Is the built site or search index older than what it is built from, or unreadable? Then build.

`deflect serve` calls `ensure_built` before it serves: the site and the index are rebuilt whenever
either is missing, older than any source (articles, support.yml, forms, mkdocs.yml and what it
INHERITs, theme overrides) or than deflect's own modules, or when the index cannot be opened and
searched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from deflect.kb.folder import KnowledgeBase

PACKAGE = Path(__file__).resolve().parents[1]  # deflect/: every module, at any depth, is a build input
CANONICAL = re.compile(r'<link rel="canonical" href="([^"]*)"')
INHERIT = re.compile(r"^INHERIT:\s*['\"]?([^'\"\n#]+?)['\"]?\s*(?:#.*)?$", re.MULTILINE)


def source_files(kb: KnowledgeBase) -> list[Path]:
    """Every file the site and index are built from: the KB folder, its MkDocs config(s), overrides."""
    roots = [kb.root, *_mkdocs_files(kb.mkdocs_file), *_custom_dirs(kb)]
    files: list[Path] = []
    for root in roots:
        files.extend(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else files.append(root)
    return [f for f in files if f.exists()]


def _mkdocs_files(config: Path) -> list[Path]:
    """The MkDocs config and the files it INHERITs from, nearest first."""
    chain: list[Path] = []
    while config.is_file() and config not in chain:
        chain.append(config)
        match = INHERIT.search(config.read_text(encoding="utf-8", errors="replace"))
        if not match:
            break
        config = (config.parent / match.group(1).strip()).resolve()
    return chain


def _custom_dirs(kb: KnowledgeBase) -> list[Path]:
    """The theme overrides folder the site is built with (may lie outside the KB folder)."""
    try:
        from deflect.site.build import load_site_config

        custom = load_site_config(kb).theme.custom_dir
    except Exception:  # a broken config is reported by the build itself
        return [kb.overrides]
    return [Path(custom).resolve()] if custom else []


def build_inputs(kb: KnowledgeBase) -> list[Path]:
    """The KB's source files plus deflect's own modules: an upgrade that changes how pages are
    built or indexed must rebuild (an index written by other code may not even open)."""
    return source_files(kb) + sorted(PACKAGE.rglob("*.py"))


def _newest(paths: Iterable[Path]) -> float:
    return max((p.stat().st_mtime for p in paths), default=0.0)


def built_at(site_dir: Path, index_dir: Path) -> float | None:
    """When the older of the two outputs was built, or None when either is missing."""
    site_marks = [site_dir / name for name in ("index.html", "sitemap.xml")]
    if not (site_dir / "index.html").is_file() or not index_dir.is_dir():
        return None
    index_files = [p for p in index_dir.iterdir() if p.is_file() and p.name.endswith(".toc")]
    if not index_files:
        return None
    return min(_newest(m for m in site_marks if m.exists()), _newest(index_files))


def is_stale(kb: KnowledgeBase, data_dir: Path) -> bool:
    """True when the site or the index is missing or older than any source file (or deflect itself),
    or when the index is lexical but the semantic model is now installed (and not turned off), or when
    the site was built for another public URL than `site_url` now says (DEFLECT_SITE_URL)."""
    built = built_at(kb.site_dir(data_dir), kb.index_dir(data_dir))
    if built is None or _newest(build_inputs(kb)) > built or _semantic_missing(kb.index_dir(data_dir)):
        return True
    return built_for(kb.site_dir(data_dir)) != configured_site_url(kb)


def _semantic_missing(index_dir: Path) -> bool:
    """Whether a lexical index would now be built with the semantic model."""
    from deflect.semantic.engine import has_vectors
    from deflect.semantic.model import model_for

    return not has_vectors(index_dir) and model_for() is not None


def configured_site_url(kb: KnowledgeBase) -> str | None:
    """The public URL a build now gives the site: mkdocs.yml's `site_url`, as MkDocs resolves its `!ENV`."""
    try:
        value = kb.site_config().get("site_url")
    except Exception:  # a broken config is reported by the build itself
        return None
    return str(value).rstrip("/") + "/" if value else None


def built_for(site_dir: Path) -> str | None:
    """The public URL a built site names in its home page's canonical link (None: built without one)."""
    home = (site_dir / "index.html").read_text(encoding="utf-8", errors="replace")
    found = CANONICAL.search(home)
    return found.group(1) if found else None


def index_problem(index_dir: Path) -> str | None:
    """Why the index cannot serve searches (it is opened and probed with a query), or None."""
    from deflect.search import check_index

    try:
        check_index(index_dir)
    except Exception as error:  # whatever a damaged index raises
        return f"{type(error).__name__}: {error}"
    return None


def ensure_built(kb: KnowledgeBase, data_dir: Path, echo: Callable[[str], None] = print) -> bool:
    """Build the site and the index when stale or when the index cannot be read; return whether a build ran.

    An unreadable index is rebuilt when the articles are there; otherwise, or when that rebuild
    fails, the app starts without suggestions (filing works) and the output says so. A process
    that finds another building the same folders waits for it, then looks again.
    """
    from deflect.site.build_lock import one_build_at_a_time

    with one_build_at_a_time(kb.site_dir(data_dir), echo):
        return _ensure_built(kb, data_dir, echo)


def _ensure_built(kb: KnowledgeBase, data_dir: Path, echo: Callable[[str], None]) -> bool:
    if is_stale(kb, data_dir):
        _build(kb, data_dir, echo)
        return True
    index_dir = kb.index_dir(data_dir)
    problem = index_problem(index_dir)
    if problem is None:
        return False
    without = "the support form starts without suggestions (filing works)"
    if not kb.docs.is_dir():
        echo(
            f"The search index at {index_dir} cannot be read ({problem}), and there are no articles in "
            f"{kb.docs} to rebuild it from: {without}."
        )
        return False
    echo(f"The search index at {index_dir} cannot be read ({problem}): rebuilding it.")
    try:
        _build(kb, data_dir, echo)
    except Exception as error:  # the site was built before; serve it, without suggestions
        echo(f"The search index could not be rebuilt ({type(error).__name__}: {error}): {without}.")
        return False
    return True


def _build(kb: KnowledgeBase, data_dir: Path, echo: Callable[[str], None]) -> None:
    from deflect.site.build import build_all

    echo(f"Building the site and the search index from {kb.root} ...")
    built = build_all(kb, data_dir)
    echo(f"Built {built.articles} articles: site in {built.site_dir}, index in {built.index_dir} ({built.index})")
