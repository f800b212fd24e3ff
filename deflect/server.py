"""One process serving both halves: the static site at `/` and the support app at `/support/`.

`deflect serve` builds what is stale (`ensure_built`), wraps the built site and the Flask app in one
WSGI application (`create_wsgi`) and runs it with waitress: one process, several threads, so the
search index is opened once and the in-memory rate limits are exact.
"""

from __future__ import annotations

import mimetypes
import os
import re
import signal
from pathlib import Path
from typing import Callable, Iterable

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.security import safe_join
from werkzeug.utils import redirect, send_file
from werkzeug.wrappers import Request, Response

from deflect import proxies, settings
from deflect.kb import KnowledgeBase
from deflect.settings import InvalidSetting

APP_PREFIX = "/support"
# Types the platform's mimetypes table may lack or get wrong; browsers refuse mistyped scripts.
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml",
         ".json": "application/json", ".xml": "application/xml", ".woff2": "font/woff2", ".woff": "font/woff",
         ".webmanifest": "application/manifest+json", ".map": "application/json", ".gz": "application/gzip"}
INHERIT = re.compile(r"^INHERIT:\s*['\"]?([^'\"\n#]+?)['\"]?\s*(?:#.*)?$", re.MULTILINE)


# --- Staleness -------------------------------------------------------------------------------

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
        from deflect.site import load_site_config

        custom = load_site_config(kb).theme.custom_dir
    except Exception:  # a broken config is reported by the build itself
        return [kb.overrides]
    return [Path(custom).resolve()] if custom else []


def build_inputs(kb: KnowledgeBase) -> list[Path]:
    """The KB's source files plus deflect's own modules: an upgrade that changes how pages are
    built or indexed must rebuild (an index written by other code may not even open)."""
    return source_files(kb) + sorted(Path(__file__).parent.glob("*.py"))


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
    """True when the site or the index is missing or older than any source file (or deflect itself)."""
    built = built_at(kb.site_dir(data_dir), kb.index_dir(data_dir))
    return built is None or _newest(build_inputs(kb)) > built


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
    fails, the app starts without suggestions (filing works) and the output says so.
    """
    if is_stale(kb, data_dir):
        _build(kb, data_dir, echo)
        return True
    index_dir = kb.index_dir(data_dir)
    problem = index_problem(index_dir)
    if problem is None:
        return False
    without = "the support form starts without suggestions (filing works)"
    if not kb.docs.is_dir():
        echo(f"The search index at {index_dir} cannot be read ({problem}), and there are no articles in "
             f"{kb.docs} to rebuild it from: {without}.")
        return False
    echo(f"The search index at {index_dir} cannot be read ({problem}): rebuilding it.")
    try:
        _build(kb, data_dir, echo)
    except Exception as error:  # the site was built before; serve it, without suggestions
        echo(f"The search index could not be rebuilt ({type(error).__name__}: {error}): {without}.")
        return False
    return True


def _build(kb: KnowledgeBase, data_dir: Path, echo: Callable[[str], None]) -> None:
    from deflect.build import build_all

    echo(f"Building the site and the search index from {kb.root} ...")
    built = build_all(kb, data_dir)
    echo(f"Built {built.articles} articles: site in {built.site_dir}, index in {built.index_dir}")


# --- The WSGI application --------------------------------------------------------------------

# What the site's pages tell browsers (docs/deploy.md has the full set, with a CSP, for nginx): a
# Material site's inline scripts and writers' embeds are theirs to allow, framing and sniffing are not.
SITE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


class StaticSite:
    """Serves a built MkDocs site: directory URLs get index.html, unknown paths the site's 404.html.

    Nothing outside the site folder is ever served: a path that leaves it, or a symlink inside it
    that points out of it (to a file or a folder), is answered like a missing page.
    """

    def __init__(self, root: Path):
        self.root = Path(root)

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.respond(request)
        except HTTPException as error:  # not found, not allowed, a range it cannot serve, ...
            response = self.error_page(error)
        for name, value in SITE_HEADERS.items():
            response.headers.setdefault(name, value)
        body = response(environ, start_response)
        if request.method == "HEAD":
            response.close()  # no body is sent, so nothing else would close the file
        return body

    def respond(self, request: Request) -> Response:
        """Return the file the URL names, a redirect to the directory URL, or raise NotFound."""
        if request.method not in ("GET", "HEAD"):
            raise MethodNotAllowed(valid_methods=["GET", "HEAD"])
        path = safe_join(str(self.root), request.path.lstrip("/")) if request.path != "/" else str(self.root)
        if path is None or not self.inside(path):
            raise NotFound()
        if os.path.isdir(path):
            if not request.path.endswith("/"):
                query = f"?{request.query_string.decode('latin-1')}" if request.query_string else ""
                return redirect(request.script_root + request.path + "/" + query, 301)
            path = os.path.join(path, "index.html")
            if not self.inside(path) or not os.path.isfile(path):
                raise NotFound()
        response = send_file(path, request.environ, mimetype=content_type(path), conditional=True, max_age=None)
        response.headers.pop("Content-Disposition", None)  # a page, not a download
        return response

    def inside(self, path: str) -> bool:
        """True when `path` exists and, symlinks resolved, lies inside the site folder."""
        if not os.path.exists(path):
            return False
        root = os.path.realpath(self.root)
        return os.path.commonpath([root, os.path.realpath(path)]) == root

    def error_page(self, error) -> Response:
        """The site's own 404.html (Material's, with the header and search), else a plain page."""
        page = self.root / "404.html"
        if isinstance(error, NotFound) and self.inside(str(page)) and page.is_file():
            return Response(page.read_bytes(), status=404, mimetype="text/html")
        return error.get_response()


def content_type(path: str) -> str:
    """The media type of a site file (werkzeug adds charset=utf-8 to the text types)."""
    suffix = Path(path).suffix.lower()
    return TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def load_app(kb: KnowledgeBase, data_dir: Path, threads: int = 8):
    """Create the support app for this KB and data dir.

    At most a quarter of the server's threads may wait for a locked store, so the rest keep
    serving the site, the health check and every page that does not need the store.
    """
    from deflect.app import create_app

    return create_app({"KB": str(kb.root), "DATA_DIR": str(data_dir), "STORE_WAITERS": threads // 4})


def create_wsgi(site_dir: Path, app=None):
    """The site at `/` and, when given, the Flask app at `/support/`."""
    site = StaticSite(site_dir)
    return DispatcherMiddleware(site, {APP_PREFIX: app}) if app is not None else site


# --- Running ---------------------------------------------------------------------------------

def serve(kb: KnowledgeBase, data_dir: Path, host: str = "127.0.0.1", port: int = 8000, threads: int = 8,
          echo: Callable[[str], None] = print) -> None:
    """Build what is stale, then serve until Ctrl-C (SIGINT) or SIGTERM; stop the outbox cleanly."""
    from deflect.http_server import create_server

    data_dir = Path(data_dir).resolve()
    app = _checked_app(kb, data_dir, echo, threads)
    # Bodies up to twice the app's limit reach the app, which answers its own 413; larger ones are
    # refused by the server from their Content-Length, before a byte of them is read.
    body_limit = 2 * app.config["MAX_CONTENT_LENGTH"]
    try:
        server = create_server(create_wsgi(kb.site_dir(data_dir), app), host, port, threads, body_limit)
    except OSError as error:
        raise SystemExit(f"deflect cannot listen on {host}:{port}: {error.strerror or error}. "
                         f"Is another server running there? Choose another port with --port.") from None
    port = getattr(server, "effective_port", None) or server.effective_listen[0][1]
    url = f"http://{_url_host(host)}:{port}/"
    echo(f"deflect is serving {kb.root.name}: the help center at {url} and the support form at "
         f"{url}support/ (Ctrl-C stops)")
    # Explicitly: a server started in the background by a script inherits an ignored SIGINT.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    try:
        server.run()  # returns after closing its sockets on KeyboardInterrupt
    finally:
        worker = app.extensions.get("deflect_outbox") if app is not None else None
        if worker is not None:
            worker.stop(timeout=10)
        server.close()
    echo("deflect stopped.")


def _checked_app(kb: KnowledgeBase, data_dir: Path, echo: Callable[[str], None], threads: int):
    """Check the settings, build what is stale, create the app; a wrong setting stops with its fix."""
    try:
        proxies.parse(settings.load()[proxies.SETTING])  # before a build that may take a while
        ensure_built(kb, data_dir, echo)
        return load_app(kb, data_dir, threads)
    except InvalidSetting as error:
        raise SystemExit(f"deflect cannot start: {error}") from None


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _url_host(host: str) -> str:
    """The host as a browser should type it: 0.0.0.0 as 127.0.0.1, IPv6 in brackets."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
