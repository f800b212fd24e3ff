"""Error pages and JSON errors: clear words for 400, 404, 405, 413, 414, 428, 429, 500 and 503."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from deflect.store.model import StoreUnavailable

log = logging.getLogger(__name__)

MESSAGES = {
    400: (
        "The request could not be read",
        "Something in what was sent is not what this page expects. Go back, reload the page and try again.",
    ),
    404: (
        "Page not found",
        "This address does not exist (or the link has expired). Start again from the support page.",
    ),
    405: ("Not allowed here", "This address does not take that kind of request. Start again from the support page."),
    413: ("Too much text", "What you sent is larger than we accept. Shorten the longest fields, then send again."),
    414: ("Address too long", "This address is longer than we accept. Start again from the support page."),
    429: (
        "Too many requests",
        "You have sent several requests in a short time. Wait a few minutes, then try again; "
        "for an outage, use the priority hotline.",
    ),
    500: (
        "Something went wrong on our side",
        "Your request was not lost if you saw a case number. Otherwise please try again in a minute.",
    ),
    503: (
        "Please try again in a minute",
        "We cannot reach our request store just now; nothing was lost or "
        "half-saved. Try again in a minute; for an outage, use the priority hotline.",
    ),
}


def _wants_json() -> bool:
    """True for the API under /api (and for clients that send JSON)."""
    return request.blueprint == "api" or request.path.startswith("/api/") or request.is_json


def error_response(status: int, detail: str | None = None, **extra):
    """A page, or JSON under the API (with any `extra` keys beside "errors"), for this status."""
    title, text = MESSAGES.get(status, MESSAGES[400 if status < 500 else 500])
    if _wants_json():
        return jsonify({"errors": {"request": f"{title}: {detail or text}"}, **extra}), status
    return render_template("error.html", status=status, title=title, text=detail or text), status


def store_unavailable(error: StoreUnavailable):
    """503 with Retry-After, as JSON under the API, else a page: the store cannot take the request now.

    The reason (locked, full, read-only) is for the operator's log, not for anonymous clients.
    """
    if _wants_json():
        message = (
            f"request: nothing was saved, our request store is busy or unavailable just now; "
            f"send the same request again in {error.retry_after} seconds"
        )
        response = make_response(jsonify({"errors": {"request": message}, "retry_after": error.retry_after}), 503)
    else:
        response = make_response(error_response(503))
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_response(
            400,
            "This page was open too long, or your browser blocked its cookie. "
            "Go back, reload the page and send again; what you typed is kept by your browser.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 413:
            limit = app.config["MAX_CONTENT_LENGTH"] // 1024
            return error_response(
                413,
                f"What you sent is larger than the {limit} KB we accept. Shorten the longest fields, then send again.",
            )
        response = error_response(error.code or 500)
        if error.code == 429:
            # Flask-Limiter's exception carries the Retry-After header.
            headers = error.get_response().headers
            if "Retry-After" in headers:
                response[0].headers["Retry-After"] = headers["Retry-After"]
        return response

    app.register_error_handler(StoreUnavailable, store_unavailable)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("unexpected error", exc_info=error)
        return error_response(InternalServerError.code)
