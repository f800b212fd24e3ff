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
from deflect.delivery import caps
from deflect.delivery.channels import init_delivery
from deflect.web import api, errors, filing, flow, headers, health, proxies, rate_limits, resources

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
    app.config["SECRET_KEY"] = settings.secret_key(app.config["DATA_DIR"], app.config.get("SECRET_KEY"))
    caps.limits(app.config)  # a wrong cap stops the app at start, naming the setting and the fix


def _protect(app: Flask) -> None:
    """CSRF on every HTML form, per-client limits on filing and searching, bounded queries, error pages."""
    csrf = CSRFProtect(app)
    csrf.exempt(api.bp)
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", headers_enabled=True)
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
    }
    for endpoint, (key, scope) in limits.items():  # one bucket per endpoint, named for the words
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = limiter.limit(lambda key=key: app.config[key], scope=scope)(view)
    app.before_request(_bounded_query)
    errors.init_app(app)
    rate_limits.init_app(app)


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
    trusted = proxies.parse(app.config.get(proxies.SETTING))  # a wrong value stops the start, named
    Path(app.config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    resources.init_app(app)
    # Routes are relative to where the app is mounted: `deflect serve` mounts it at /support/.
    assets = Blueprint("assets", __name__, static_folder="static", static_url_path="/static")
    blueprints = ((assets, None), (flow.bp, None), (filing.bp, None), (api.bp, "/api"), (health.bp, None))
    for blueprint, under in blueprints:
        app.register_blueprint(blueprint, url_prefix=under)
    _templates(app)
    _protect(app)
    headers.init_app(app)
    # The client's address (rate limits) and scheme (Secure cookies) as DEFLECT_TRUSTED_PROXIES allows.
    app.wsgi_app = proxies.trusted_client_middleware(app.wsgi_app, trusted)
    init_delivery(app)  # the outbox worker (OUTBOX_WORKER=False turns it off)
    return app
