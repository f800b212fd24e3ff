"""Who may see the dashboard: log in, log out, and the guard in front of every admin URL.

A session is a random token in Flask's session cookie (HttpOnly, SameSite=Lax, Secure over HTTPS);
the store keeps only its hash and expiry, so logging out ends it everywhere, even for a copied cookie.
Failed logins are limited per client address and per account (deflect/app.py, Flask-Limiter):
only failures count, so the team is not locked out by its own successful logins.
"""

from __future__ import annotations

import datetime as dt
import secrets
import urllib.parse

from flask import current_app, g, render_template, request, session, url_for

from deflect.accounts import password_matches
from deflect.web.resources import resources

SESSION_KEY = "admin"
EMAIL_MAX = 254


def login_account_key() -> str:
    """Flask-Limiter's key for the per-account limit: the account a login tries (bounded)."""
    return "account:" + request.form.get("email", "").strip().lower()[:EMAIL_MAX]


def failed(response) -> bool:
    """Flask-Limiter's `deduct_when` for the login limits: only a refused login counts."""
    return response.status_code == 401


def signed_in() -> str | None:
    """The email of the account this request's session belongs to, else None."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or len(token) > 100:
        return None
    return resources().store.admin_of_session(token)


def login_page(status: int = 200, message: str = "", email: str = ""):
    """The login form (also the answer to any admin URL without a session: never data)."""
    here = request.script_root + request.full_path if request.method == "GET" else ""
    target = next_target(request.values.get("next") or here)
    page = render_template("admin/login.html", message=message, email=email[:EMAIL_MAX], next=target)
    return page, status


def next_target(value: str) -> str:
    """Where to go after logging in: an admin path of this app only (never another site)."""
    base = url_for("admin.dashboard")
    value = (value or "").rstrip("?")
    parts = urllib.parse.urlsplit(value)
    if parts.scheme or parts.netloc or "\\" in value or not value.startswith(base) or "//" in value or ".." in value:
        return base
    return value


def guard():
    """Before every admin URL but the login: the login page (401) unless the session is an account's."""
    if request.endpoint in ("admin.login", "admin.static"):
        return None
    g.admin = signed_in()
    if g.admin is None:
        return login_page(401)
    return None


def log_in(email: str, password: str) -> bool:
    """Check the password (Argon2id); on success start a fresh session (no fixation) and say True."""
    store = resources().store
    if not password_matches(store.admin_password_hash(email), password):
        return False
    session.clear()
    token = secrets.token_urlsafe(32)
    lifetime = dt.timedelta(hours=float(current_app.config["ADMIN_SESSION_HOURS"]))
    store.start_admin_session(email, token, lifetime)
    session[SESSION_KEY] = token
    return True


def log_out() -> None:
    """End the session in the store and in the browser."""
    token = session.get(SESSION_KEY)
    if isinstance(token, str):
        resources().store.end_admin_session(token)
    session.clear()
