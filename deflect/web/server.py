"""One process serving both halves: the static site at `/` and the support app at `/support/`.

`deflect serve` checks every setting (`deflect.web.startup`), builds what is stale
(`deflect.site.freshness`), wraps the built site and the Flask app in one WSGI application
(`create_wsgi`) with the access log, and runs it with a bounded waitress server: one process,
several threads, so the search index is opened once and the in-memory rate limits are exact.
`deflect serve --no-site` is one instance of several behind nginx: the app only, nothing built.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from pathlib import Path

from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from deflect import settings
from deflect.delivery.signature import InvalidSecret
from deflect.kb.folder import KnowledgeBase
from deflect.settings import InvalidSetting
from deflect.site.freshness import ensure_built, index_problem
from deflect.web import logs, startup
from deflect.web.static_site import StaticSite

APP_PREFIX = "/support"
log = logging.getLogger(__name__)


def load_app(kb: KnowledgeBase, data_dir: Path, threads: int = 8):
    """Create the support app for this KB and data dir.

    At most a quarter of the server's threads may wait for a locked store, so the rest keep
    serving the site, the health check and every page that does not need the store.
    """
    from deflect.app import create_app

    return create_app({"KB": str(kb.root), "DATA_DIR": str(data_dir), "STORE_WAITERS": threads // 4})


def create_wsgi(site_dir: Path | None, app=None):
    """The site at `/` (none: 404 there, nginx serves it) and, when given, the Flask app at `/support/`."""
    site = StaticSite(site_dir) if site_dir is not None else NotFound()
    return DispatcherMiddleware(site, {APP_PREFIX: app}) if app is not None else site


# --- Running ---------------------------------------------------------------------------------


def serve(
    kb: KnowledgeBase,
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    threads: int = 8,
    echo: Callable[[str], None] = print,
    site: bool = True,
) -> None:
    """Build what is stale (with `site`), then serve until Ctrl-C (SIGINT) or SIGTERM; stop the outbox cleanly.

    Without `site` (`--no-site`, an instance behind nginx) only the app is served, and nothing is
    built: the index was built at deploy time and must open, else the start stops.
    """
    from deflect.web.http_server import create_server

    data_dir = Path(data_dir).resolve()
    values = checked_settings(kb, data_dir)
    logs.configure(values["DEFLECT_LOG_FORMAT"])
    app = checked_app(kb, data_dir, echo, threads, build=site)
    # Bodies up to twice the app's limit reach the app, which answers its own 413; larger ones are
    # refused by the server from their Content-Length, before a byte of them is read.
    body_limit = 2 * app.config["MAX_CONTENT_LENGTH"]
    wsgi = logs.AccessLog(create_wsgi(kb.site_dir(data_dir) if site else None, app))
    try:
        server = create_server(wsgi, host, port, threads, body_limit)
    except OSError as error:
        raise SystemExit(
            f"deflect cannot listen on {host}:{port}: {error.strerror or error}. "
            f"Is another server running there? Choose another port with --port."
        ) from None
    port = getattr(server, "effective_port", None) or server.effective_listen[0][1]
    url = f"http://{_url_host(host)}:{port}/"
    _link_emails_to(app, url if site else None)
    what = f"the support app at {url}support/ (no site)"
    if site:
        what = f"the help center at {url} and the support form at {url}support/"
    echo(f"deflect is serving {kb.root.name}: {what} (Ctrl-C stops)")
    logs.started(values, f"deflect started: {kb.root.name}, {what}, {threads} threads")
    _run(server, app)
    echo("deflect stopped.")


def _run(server, app) -> None:
    """Run the server until interrupted, then stop the outbox worker and close the sockets."""
    # Explicitly: a server started in the background by a script inherits an ignored SIGINT.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    try:
        server.run()  # returns after closing its sockets on KeyboardInterrupt
    finally:
        worker = app.extensions.get("deflect_outbox")
        if worker is not None:
            worker.stop(timeout=10)
        server.close()
        logging.getLogger("deflect").info("deflect stopped")


def checked_settings(kb: KnowledgeBase, data_dir: Path) -> dict[str, str | None]:
    """Every setting, checked before anything is built or opened; a wrong one stops with its fix."""
    values = dict(settings.load(), DEFLECT_KB=str(kb.root), DEFLECT_DATA_DIR=str(data_dir))
    try:
        startup.check(values)
    except (InvalidSetting, InvalidSecret) as error:
        raise SystemExit(f"deflect cannot start: {error}") from None
    return values


def checked_app(kb: KnowledgeBase, data_dir: Path, echo: Callable[[str], None], threads: int, build: bool = True):
    """Build what is stale (or, without `build`, check the shipped index opens), then create the app."""
    try:
        if build:
            ensure_built(kb, data_dir, echo)
        else:
            _shipped_index(kb, data_dir)
        return load_app(kb, data_dir, threads)
    except (InvalidSetting, InvalidSecret) as error:
        raise SystemExit(f"deflect cannot start: {error}") from None


def _shipped_index(kb: KnowledgeBase, data_dir: Path) -> None:
    """An instance that must not build: its index, built at deploy time, must open and answer, else stop."""
    index_dir = kb.index_dir(data_dir)
    problem = index_problem(index_dir)
    if problem is not None:
        raise SystemExit(
            f"deflect cannot start: the search index at {index_dir} cannot be read ({problem}); with --no-site "
            f"deflect never builds it: run `deflect build` at deploy time and ship {index_dir} to every instance"
        )


def _link_emails_to(app, url: str | None) -> None:
    """Emails need whole links: without DEFLECT_SITE_URL they point at the address this server listens on
    (`url`), or, for an instance behind a proxy (`--no-site`, url None), stay as they are, with a warning."""
    if settings.site_url(app.config.get("DEFLECT_SITE_URL")) is not None:
        return
    if url is None:
        log.warning(
            "DEFLECT_SITE_URL is not set: links in emails cannot name the help center. Set it to the help "
            "center's public URL (like https://help.example.com/), as docs/deploy.md says."
        )
        return
    app.config["DEFLECT_SITE_URL"] = url
    log.warning(
        "DEFLECT_SITE_URL is not set: links in emails point at %s, where deflect serve listens. "
        "Set it to the help center's public URL (like https://help.example.com/) for customers.",
        url,
    )


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _url_host(host: str) -> str:
    """The host as a browser should type it: 0.0.0.0 as 127.0.0.1, IPv6 in brackets."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
