"""The deflection form: the Flask app served at `/support/` beside the knowledge-base site.

`create_app(test_config=None)` takes defaults, then the environment (`DEFLECT_*`, see
deflect/settings.py), then the test mapping. The policy and the forms are checked at start-up:
a broken file stops the app with the file, line and fix (InvalidFile).
"""

from __future__ import annotations

from pathlib import Path

import markdown
from flask import Blueprint, Flask, abort, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from markupsafe import Markup

from deflect import settings
from deflect.delivery.channels import init_delivery
from deflect.web import (
    admin,
    admin_auth,
    api,
    daily,
    errors,
    filing,
    flow,
    headers,
    health,
    metrics,
    proxies,
    rate_limits,
    resources,
    startup,
    visits,
)

MAX_PATH = 1024  # the app's longest path is a form id and a step: far shorter
ALIASES = (("KB", "DEFLECT_KB"), ("DATA_DIR", "DEFLECT_DATA_DIR"), ("SECRET_KEY", "DEFLECT_SECRET_KEY"))
DEFAULTS = {
    "SITE_URL": "/",
    "SITE_NAME": None,
    "MAX_CONTENT_LENGTH": 128 * 1024,
    # Form posts are parsed in memory, within the body limit; no form has a hundred parts.
    "MAX_FORM_MEMORY_SIZE": 128 * 1024,
    "MAX_FORM_PARTS": 200,
    "MAX_QUERY_STRING": 16 * 1024,  # a description of 1,000 characters, percent-encoded, fits
    "FILING_RATE_LIMIT": "5 per minute;50 per day",  # requests filed: refused ones do not count
    "SUBMISSION_RATE_LIMIT": "30 per minute;300 per day",  # every submission, accepted or not
    "SUGGEST_RATE_LIMIT": "120 per minute",
    "FEEDBACK_RATE_LIMIT": "30 per minute",
    "TOKEN_MAX_AGE": 2 * 60 * 60,
    "SUGGESTION_LIMIT": 5,
    "WTF_CSRF_TIME_LIMIT": None,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    # Degrade, never fail: a request gives up on a locked store after STORE_PATIENCE seconds, and
    # at most STORE_WAITERS request threads wait for it at once (the others are answered at once);
    # a failing search is tried again every SEARCH_RETRY seconds.
    "STORE_PATIENCE": 3.0,
    "STORE_WAITERS": 2,
    "SEARCH_RETRY": 10.0,
    # The dashboard: failed logins per client address and per account; how long a login lasts.
    "LOGIN_RATE_LIMIT": "10 per 15 minutes;50 per day",
    "LOGIN_ACCOUNT_RATE_LIMIT": "20 per hour",
    "ADMIN_SESSION_HOURS": 8,
    "RATE_LIMIT_STORAGE_TIMEOUT": 0.5,  # seconds a request waits for Redis before counting in memory
}


def _configure(app: Flask, test_config: dict | None) -> None:
    """Defaults, then the environment, then the test mapping; the secret key last."""
    app.config.from_mapping(DEFAULTS)
    env = settings.load()
    app.config.update(env)
    app.config["SITE_URL"] = env.get("DEFLECT_SITE_URL") or "/"
    test_config = dict(test_config or {})
    app.config.update(test_config)
    # Short names (KB, DATA_DIR, SECRET_KEY) and the settings' names agree; a test mapping wins.
    for short, name in ALIASES:
        value = test_config.get(short) or app.config.get(name)
        app.config[short] = app.config[name] = str(value) if isinstance(value, Path) else value
    if "OUTBOX_LEASE" not in test_config:  # the outbox worker's (deflect.delivery.channels.init_delivery)
        app.config["OUTBOX_LEASE"] = app.config.get("DEFLECT_OUTBOX_LEASE") or "300"
    # Every setting checked now: a wrong one stops the app at start, naming the variable and the fix.
    startup.check({name: app.config.get(name) for name in startup.CHECKS})
    app.config["SECRET_KEY"] = settings.secret_key(app.config["DATA_DIR"], app.config.get("SECRET_KEY"))


def _protect(app: Flask) -> None:
    """CSRF on every HTML form, per-client limits on filing and searching, bounded queries, error pages."""
    csrf = CSRFProtect(app)
    csrf.exempt(api.bp)
    limiter = _limiter(app)
    # Shared by the HTML form and the API: one address gets one count, whichever door it uses.
    filing = (
        limiter.shared_limit(
            lambda: app.config["FILING_RATE_LIMIT"], rate_limits.FILING, methods=["POST"], deduct_when=rate_limits.filed
        ),
        limiter.shared_limit(lambda: app.config["SUBMISSION_RATE_LIMIT"], rate_limits.SUBMISSIONS, methods=["POST"]),
    )
    for endpoint in ("filing.submit", "api.file_request"):
        for limit in filing:
            app.view_functions[endpoint] = limit(app.view_functions[endpoint])
    limits = {
        "api.suggest": ("SUGGEST_RATE_LIMIT", rate_limits.SEARCHES),
        "flow.suggestions": ("SUGGEST_RATE_LIMIT", rate_limits.SEARCHES),
        "api.feedback": ("FEEDBACK_RATE_LIMIT", rate_limits.FEEDBACK),
        "flow.deflected": ("FEEDBACK_RATE_LIMIT", rate_limits.FEEDBACK),
        "flow.open_article": ("SUGGEST_RATE_LIMIT", rate_limits.SEARCHES),  # over it: opened, not counted
    }
    for endpoint, (key, scope) in limits.items():  # one bucket per endpoint, named for the words
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = limiter.limit(lambda key=key: app.config[key], scope=scope)(view)
    logins = (
        ("LOGIN_RATE_LIMIT", rate_limits.LOGINS, None),
        ("LOGIN_ACCOUNT_RATE_LIMIT", rate_limits.LOGINS_ACCOUNT, admin_auth.login_account_key),
    )
    for key, scope, by in logins:  # only failed logins count (401)
        limit = limiter.limit(
            lambda key=key: app.config[key], scope=scope, key_func=by, methods=["POST"], deduct_when=admin_auth.failed
        )
        app.view_functions["admin.login"] = limit(app.view_functions["admin.login"])
    app.before_request(_bounded_query)
    errors.init_app(app)
    rate_limits.init_app(app)


def _limiter(app: Flask) -> Limiter:
    """The limits' counters: in memory, or shared by every instance in DEFLECT_RATE_LIMIT_STORAGE (Redis).

    A Redis that is down or slow (answers within RATE_LIMIT_STORAGE_TIMEOUT seconds, or not at all)
    never fails a request: each instance counts in its own memory until Redis answers again
    (Flask-Limiter's in-memory fallback, logged once each way), so limits stay on, per instance.
    """
    storage = app.config.get("DEFLECT_RATE_LIMIT_STORAGE") or "memory://"
    shared = storage.lower() != "memory://"
    timeout = float(app.config["RATE_LIMIT_STORAGE_TIMEOUT"])
    return Limiter(
        get_remote_address,
        app=app,
        storage_uri=storage,
        storage_options={"socket_connect_timeout": timeout, "socket_timeout": timeout} if shared else {},
        in_memory_fallback_enabled=shared,
        swallow_errors=shared,  # a count that cannot be written after a request was filed is lost, not a 500
        headers_enabled=True,
        on_breach=metrics.refused,
    )


def _bounded_query() -> None:
    """Refuse a path or query string longer than any page needs (414) before anything parses or echoes it."""
    if len(request.query_string) > current_app.config["MAX_QUERY_STRING"] or len(request.path) > MAX_PATH:
        abort(414)


def _templates(app: Flask) -> None:
    """What every page needs: the site's name and address, the policy; writers' Markdown."""

    @app.context_processor
    def site():
        res = resources.resources()
        return {"site_name": res.site_name, "site_url": app.config["SITE_URL"], "policy": res.policy}

    # Form files are reviewed like code (pull requests), so their Markdown may be trusted.
    app.jinja_env.filters["markdown"] = lambda text: Markup(markdown.markdown(text))


def create_app(test_config: dict | None = None) -> Flask:
    """Create the app: settings, resources (policy, forms, store, search), blueprints, protection."""
    app = Flask(__name__, static_folder=None)
    _configure(app, test_config)
    trusted = proxies.parse(app.config.get(proxies.SETTING))
    Path(app.config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    resources.init_app(app)
    visits.init_app(app)  # the deflection window and retention ages, checked at start
    # Routes are relative to where the app is mounted: `deflect serve` mounts it at /support/.
    assets = Blueprint("assets", __name__, static_folder="static", static_url_path="/static")
    blueprints = ((assets, None), (flow.bp, None), (filing.bp, None), (api.bp, "/api"), (health.bp, None))
    blueprints += ((admin.bp, "/admin"),)
    for blueprint, under in blueprints:
        app.register_blueprint(blueprint, url_prefix=under)
    _templates(app)
    _protect(app)
    metrics.init_app(app)
    headers.init_app(app)
    # The client's address (rate limits) and scheme (Secure cookies) as DEFLECT_TRUSTED_PROXIES allows.
    app.wsgi_app = proxies.trusted_client_middleware(app.wsgi_app, trusted)
    init_delivery(app)  # the outbox worker (OUTBOX_WORKER=False turns it off)
    daily.init_app(app)  # the retention purge, once a day across processes (PURGE_WORKER)
    return app
