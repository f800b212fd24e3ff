"""What the JSON doors share: the body read within its depth bound, errors in the API's shape, and
text no store or email can hold (lone surrogate escapes) named by key."""

from __future__ import annotations

from flask import jsonify, request

from deflect.intake.bounds import JSON_DEPTH_MAX, json_too_deep


def errors(status: int, **found: str):
    """The API's error answer: `{"errors": {key: message}}` with this status."""
    return jsonify({"errors": found}), status


def json_body():
    """The request's JSON (None when it is not JSON), and an error answer when it nests too deep.

    The depth is measured on the raw body before parsing: the parser recurses once per level.
    """
    if request.is_json and json_too_deep(request.get_data(cache=True)):
        return None, errors(
            400,
            request=f"request: the JSON nests deeper than {JSON_DEPTH_MAX} levels; send one "
            'object like {"form", "subject", "email", "fields"}',
        )
    return request.get_json(silent=True), None


def has_lone_surrogate(value: object) -> bool:
    """True for JSON text like "\\ud800": valid JSON, but no email, database or signature can encode it."""
    if isinstance(value, str):
        return not value.isascii() and any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    return isinstance(value, list) and any(has_lone_surrogate(v) for v in value)


def unicode_errors(body: dict) -> dict[str, str]:
    """Every key (or field id) of the body whose text holds a lone surrogate, with the fix."""
    errors = {}
    for key, value in body.items():
        pairs = value.items() if key == "fields" and isinstance(value, dict) else [(key, value)]
        for name, item in pairs:
            if has_lone_surrogate(name) or has_lone_surrogate(item):
                name = str(name).encode("utf-8", "backslashreplace").decode("ascii", "replace")[:100]
                errors[name] = (
                    f"{name}: send plain Unicode text; a lone surrogate escape such as \\ud800 cannot be stored"
                )
    return errors
