"""What the app tells browsers: security headers on every answer, no caching of what a customer typed,
and cookies marked Secure when the request came over HTTPS.

The pages load their scripts and styles from /support/static/ only, so the policy allows no inline
script or style at all. Every page and JSON answer is `no-store`: they show what the customer
typed (the description, the form refilled, the confirmation with the email and every field), and
none is worth caching; the static files keep their validators.
"""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # The app's URLs carry what the customer typed (?q=...): never let it leave in a Referer.
    "Referrer-Policy": "same-origin",
}
STATIC_ENDPOINT = "assets.static"


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its cookie Secure whenever the request itself was HTTPS.

    Over plain HTTP (a local `deflect serve`) the cookie stays usable; behind a TLS proxy the
    scheme is the proxy's only when DEFLECT_TRUSTED_PROXIES trusts it.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured so, or when this request came over HTTPS."""
        return super().get_cookie_secure(app) or request.is_secure


def add_headers(response):
    """Security headers on every answer; `no-store` on everything but the static files."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != STATIC_ENDPOINT and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Register the headers and the session interface (the CSRF token lives in the session)."""
    app.session_interface = HttpsAwareSessionInterface()
    app.after_request(add_headers)
