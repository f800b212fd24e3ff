"""Which other origin may read the suggestions: the help center's, when it is hosted apart from the app.

The site's header search asks `GET /api/suggest` from the reader's browser. Under `deflect serve`
and behind the documented nginx the site and the app share one origin and nothing is needed. When
`DEFLECT_SITE_URL` names a site on another origin (the site on https://help.example.com/, the app
on https://support.example.com/), that origin, and no other, may read the answer: suggestions are
the help center's own public articles, asked without cookies, so nothing private crosses. The
search sends no header a browser would ask permission for (a preflight), so no OPTIONS is needed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request

DEFAULT_PORTS = {"http": 80, "https": 443}
SHARED = {"api.suggest"}  # the endpoints the site may read; their 429 answers too, so it can fall back


def site_origin(site_url: str) -> str | None:
    """The origin (scheme://host[:port]) of an absolute http(s) site URL; None for a path like "/"."""
    parts = urlsplit(site_url.strip())
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: not an origin any browser sends
        return None
    suffix = f":{port}" if port and port != DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{parts.hostname}{suffix}"


def allow_site_origin(response):
    """Let the help center's origin read a shared endpoint's answer, when the site is hosted on another origin."""
    origin = site_origin(current_app.config["SITE_URL"])
    if origin is None or request.endpoint not in SHARED:
        return response
    response.vary.add("Origin")
    if request.headers.get("Origin", "").lower() == origin:
        response.headers["Access-Control-Allow-Origin"] = origin
    return response
