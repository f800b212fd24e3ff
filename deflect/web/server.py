"""One process serving both halves: the static site at `/` and the support app at `/support/`.

`deflect serve` builds what is stale (`deflect.site.freshness`), wraps the built site and the Flask
app in one WSGI application (`create_wsgi`) and runs it with a bounded waitress server: one
process, several threads, so the search index is opened once and the in-memory rate limits are exact.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from pathlib import Path

from werkzeug.middleware.dispatcher import DispatcherMiddleware

from deflect import settings
from deflect.delivery.signature import InvalidSecret, signing_keys
from deflect.kb.folder import KnowledgeBase
from deflect.settings import InvalidSetting
from deflect.site.freshness import ensure_built
from deflect.web import proxies
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


def create_wsgi(site_dir: Path, app=None):
    """The site at `/` and, when given, the Flask app at `/support/`."""
    site = StaticSite(site_dir)
    return DispatcherMiddleware(site, {APP_PREFIX: app}) if app is not None else site


# --- Running ---------------------------------------------------------------------------------


def serve(
    kb: KnowledgeBase,
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    threads: int = 8,
    echo: Callable[[str], None] = print,
) -> None:
    """Build what is stale, then serve until Ctrl-C (SIGINT) or SIGTERM; stop the outbox cleanly."""
    from deflect.web.http_server import create_server

    data_dir = Path(data_dir).resolve()
    app = _checked_app(kb, data_dir, echo, threads)
    # Bodies up to twice the app's limit reach the app, which answers its own 413; larger ones are
    # refused by the server from their Content-Length, before a byte of them is read.
    body_limit = 2 * app.config["MAX_CONTENT_LENGTH"]
    try:
        server = create_server(create_wsgi(kb.site_dir(data_dir), app), host, port, threads, body_limit)
    except OSError as error:
        raise SystemExit(
            f"deflect cannot listen on {host}:{port}: {error.strerror or error}. "
            f"Is another server running there? Choose another port with --port."
        ) from None
    port = getattr(server, "effective_port", None) or server.effective_listen[0][1]
    url = f"http://{_url_host(host)}:{port}/"
    _link_emails_to(app, url)
    echo(
        f"deflect is serving {kb.root.name}: the help center at {url} and the support form at "
        f"{url}support/ (Ctrl-C stops)"
    )
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
    try:  # the settings first: a wrong one stops the start at once, before a build that may take a while
        values = settings.load()
        settings.site_url(values["DEFLECT_SITE_URL"])  # mkdocs.yml's site_url: a whole URL or none
        proxies.parse(values[proxies.SETTING])
        signing_keys(values["DEFLECT_WEBHOOK_SECRET"])
        ensure_built(kb, data_dir, echo)
        return load_app(kb, data_dir, threads)
    except (InvalidSetting, InvalidSecret) as error:
        raise SystemExit(f"deflect cannot start: {error}") from None


def _link_emails_to(app, url: str) -> None:
    """Emails need whole links: without DEFLECT_SITE_URL they point at the address this server listens on."""
    if settings.site_url(app.config.get("DEFLECT_SITE_URL")) is None:
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
