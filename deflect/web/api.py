"""The JSON API of DESIGN.md: suggest, forms (and their JSON Schema), requests; page feedback
(`deflect.web.page_feedback`)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, jsonify, request, url_for

from deflect.delivery.text import confirmation_sentence, customer_outcome
from deflect.forms.model import Form
from deflect.forms.schema import form_schema
from deflect.intake import guard
from deflect.intake.review import Submission, review
from deflect.store.ledger import new_visit
from deflect.store.model import TokenAlreadyUsed, Visit
from deflect.web.accept import file_record, mail_server
from deflect.web.cors import allow_site_origin
from deflect.web.json_input import errors as _errors
from deflect.web.json_input import json_body as _json_body
from deflect.web.json_input import unicode_errors as _unicode_errors  # the names this module had
from deflect.web.page_feedback import feedback
from deflect.web.resources import resources
from deflect.web.searchstep import QUERY_MAX, check_token, from_page, issue_token, record_content_gap, suggestions
from deflect.web.visits import record_search

bp = Blueprint("api", __name__)
bp.after_request(allow_site_origin)  # the help center's header search reads /api/suggest (cors.py)
UNKNOWN_MAX = 10  # unknown field ids named one by one; more than that get one message


@bp.get("/suggest")
def suggest():
    """`GET /api/suggest?q=...`: the best articles for what the customer typed so far."""
    found, _ = suggestions(request.args.get("q", "")[:QUERY_MAX], record_gap=False)
    return jsonify({"results": found})


def form_json(form: Form) -> dict:
    """A form as a client needs it."""
    return {
        "id": form.id,
        "name": form.name,
        "description": form.description,
        "fields": [
            {
                "id": f.id,
                "type": f.type,
                "label": f.label,
                "required": f.required,
                "options": [o.value for o in f.options],
            }
            for f in form.fields
        ],
    }


@bp.get("/forms")
def forms():
    """`GET /api/forms`: the forms of the knowledge base."""
    return jsonify({"forms": [form_json(f) for f in resources().forms.forms]})


@bp.get("/forms/<form_id>.schema.json")
def schema(form_id: str):
    """`GET /api/forms/<id>.schema.json`: a form as JSON Schema."""
    form = resources().forms.get(form_id)
    if form is None:
        return _errors(404, form=f"unknown form {form_id!r}: see GET /api/forms for the ids")
    body = form_schema(form, resources().policy, url_for("flow.chooser", _external=True))
    return jsonify(body), 200, {"Content-Type": "application/schema+json"}


def _shape_errors(body: object) -> dict[str, str]:
    """Type checks of the request body, before any rule runs."""
    if not isinstance(body, dict):
        return {"request": 'send a JSON object: {"form", "subject", "email", "fields", "deflect_token"}'}
    errors = {}
    for key in ("form", "subject", "email"):
        if not isinstance(body.get(key), str):
            errors[key] = f"{key}: send it as a string" + (', like "[TAG] summary"' if key == "subject" else "")
    if not isinstance(body.get("fields", {}), dict):
        errors["fields"] = "fields: send an object of field id to text (a list of texts for checkboxes)"
    return errors


def _too_many_fields(form: Form, body: dict) -> str | None:
    """Far more field ids than the form has: one message, instead of one per unknown id."""
    sent = len(body.get("fields") or {})
    if sent <= len(form.fields) + UNKNOWN_MAX:
        return None
    return (
        f"fields: send only the {len(form.fields)} fields of {form.id!r} (their ids are in GET /api/forms); "
        f"this request has {sent}"
    )


def _values(form: Form, raw: dict) -> tuple[dict, dict[str, str]]:
    """Field values from JSON: text, or a list of texts for checkboxes and multiple choices."""
    values, errors = {}, {}
    for key, value in raw.items():
        field = form.field(key)
        texts = isinstance(value, list) and all(isinstance(v, str) for v in value)
        if field is None:
            errors[str(key)[:100]] = f"{str(key)[:100]}: not a field of {form.id!r}; see GET /api/forms"
        elif isinstance(value, str) or (texts and not field.free_text):
            values[key] = value
        elif field.free_text:
            errors[key] = f"{key}: send text (one string) for this field"
        else:
            errors[key] = f"{key}: send text (or a list of texts for checkboxes)"
    return values, errors


def _review(form: Form, body: dict):
    """Every rule of the form over the JSON body; returns the review and the errors by key."""
    values, errors = _values(form, body.get("fields") or {})
    confirmed = body.get("confirm_guard") if isinstance(body.get("confirm_guard"), list) else []
    sub = Submission(
        form=form,
        email=body["email"],
        values=values,
        typed_subject=body["subject"],
        name=body["name"] if isinstance(body.get("name"), str) else "",
        confirmed={c for c in confirmed if isinstance(c, str)},
        from_page=from_page(body.get("from")),
    )
    result = review(sub, resources().policy, dt.datetime.now(dt.UTC))
    for key, message in result.errors.items():  # a wrong type says more than "required"
        errors.setdefault(key, message)
    for finding in result.unconfirmed:
        errors.setdefault(finding.field, guard_message(form, finding))
    return result, errors


@bp.post("/requests")
def file_request():
    """`POST /api/requests`: the same validation as the form, then 428 until the search step is done.

    Bad input is answered first (422), so a program fixes its request before it is shown the
    articles; a valid request without a token for its subject gets the suggestions and a token (428).
    """
    body, refused = _json_body()
    if refused:
        return refused
    errors = _shape_errors(body) or _unicode_errors(body)
    if errors:
        return _errors(422 if isinstance(body, dict) else 400, **errors)
    form = resources().forms.get(body["form"])
    if form is None:
        ids = ", ".join(f.id for f in resources().forms.forms)
        return _errors(422, form=f"form: unknown form {body['form'][:100]!r}; use one of {ids}")
    too_many = _too_many_fields(form, body)
    if too_many:
        return _errors(422, fields=too_many)
    result, errors = _review(form, body)
    if errors or result.record is None:
        return jsonify(
            {
                "errors": errors,
                "guard": [{"field": f.field, "kind": f.kind, "confirm": f.key} for f in result.unconfirmed],
            }
        ), 422
    return _search_then_file(form, body, result.record)


def _search_then_file(form: Form, body: dict, record: dict):
    """428 with the articles until the token is one for this description and form, then file once (201)."""
    description = record["summary"]
    found, _ = suggestions(description, record_gap=False)
    verdict = check_token(body.get("deflect_token"), description, form.id)
    if verdict.problem:
        if not found:
            record_content_gap(description, None)
        return _search_step(
            found,
            record,
            verdict.visit,
            "Check these articles first; send the request again with this deflect_token.",
        )
    record = dict(record, shown_articles=[{"title": a["title"], "url": a["url"]} for a in found])
    try:
        filed = file_record(record, token=verdict.use_id, visit=Visit(verdict.visit, "api", description))
    except TokenAlreadyUsed as used:
        return _search_step(
            found,
            record,
            None,
            f"This deflect_token was already used: it filed {used.case_number}, and a token files "
            f"one request. To file another, check these articles and send it with this new deflect_token.",
        )
    told = {"confirmation": filed.confirmation}
    return jsonify(
        {
            "case": filed.case,
            "subject": record["subject"],
            "response_target": record["response_target"],
            "resolution_target": record["resolution_target"],
            "response_due": record["response_due"],
            "resolution_due": record["resolution_due"],
            "confirmation": "sent" if customer_outcome(told, mail_server()) == "sent" else "skipped",
            "confirmation_message": confirmation_sentence(told, mail_server()),
        }
    ), 201


def _search_step(found: list[dict], record: dict, visit: str | None, message: str):
    """The 428 answer: the articles, a fresh token for this description and form, what to do.

    A program's visit of the ledger is its token: this answer opens one (or goes on with the visit of
    a token it sent for another description or form), and the request filed with the token closes it.
    """
    visit = visit or new_visit()
    if not resources().search_down:
        record_search(visit, "api", record["form"], record["tag"], record["summary"], found)
    token = issue_token(record["summary"], record["form"], visit)
    return jsonify({"suggestions": found, "deflect_token": token, "message": message}), 428


def guard_message(form: Form, finding: guard.Finding) -> str:
    """The guard's warning for the API: what was found where, and how to go on."""
    label = form.field(finding.field).label
    what = guard.describe(finding.kind)
    if finding.secret:
        return (
            f'{label} holds {what}: support never needs it; remove it, or send "confirm_guard": '
            f'["{finding.key}"] to file the request with it replaced by [removed]'
        )
    return (
        f"{label} holds {what}: replace it with an ID instead (support does not need personal data), or confirm it is "
        f'needed by sending "confirm_guard": ["{finding.key}"]'
    )


bp.add_url_rule("/feedback", view_func=feedback, methods=["POST"])
