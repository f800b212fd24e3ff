"""Each form as JSON Schema (draft 2020-12), so an integrator can validate before sending.

The schema describes the body of `POST /api/requests` for one form. Rules JSON Schema cannot
express (at least two steps, expected differs from actual, no example text left in, the guard)
are named in each property's `description` and checked by the server.
"""

from __future__ import annotations

from deflect.forms.model import Field, Form
from deflect.policy.model import Policy


def field_schema(field: Field, policy: Policy) -> dict:
    """The schema of one field's value."""
    notes = [field.description] if field.description else []
    if field.type == "checkboxes":
        schema: dict = {"type": "array", "items": {"enum": [o.label for o in field.options]}, "uniqueItems": True}
    elif field.type == "dropdown":
        choice = {"enum": [o.value for o in field.options]}
        schema = {"type": "array", "items": choice, "minItems": 1} if field.multiple else dict(choice, type="string")
    else:
        schema = {"type": "string", "maxLength": field.max_length}
        if field.min_length:
            schema["minLength"] = field.min_length
        if field.pattern:
            schema["pattern"] = field.pattern
        if field.format == "email":
            schema["format"] = "email"
        if field.format == "case_number":
            schema["pattern"] = policy.case_pattern().pattern
    if field.min_steps:
        notes.append(f"At least {field.min_steps} steps, one per line.")
    if field.differs_from:
        notes.append(f"Must not say the same as `{field.differs_from}`.")
    if field.show_when:
        notes.append(f"Only when `{field.show_when[0]}` is one of {', '.join(field.show_when[1])}.")
    schema.update(title=field.label, description=" ".join(notes))
    return schema


def form_schema(form: Form, policy: Policy, base_url: str = "") -> dict:
    """The JSON Schema of a `POST /api/requests` body for this form."""
    fields = form.fields
    required = [f.id for f in fields if f.required and not f.show_when]
    required += [f.id for f in fields if f.type == "checkboxes" and any(o.required for o in f.options)]
    tags = "|".join(form.tags)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base_url}api/forms/{form.id}.schema.json",
        "title": form.name,
        "description": form.description,
        "type": "object",
        "required": ["form", "subject", "email", "fields"],
        "properties": {
            "form": {"const": form.id},
            "subject": {
                "type": "string",
                "pattern": rf"^\[({tags})\] [^\x00-\x1f\x7f]{{{policy.subject_min},{policy.subject_max}}}$",
                "description": f"[TAG] summary; TAG one of {', '.join(form.tags)}.",
            },
            "email": {"type": "string", "format": "email", "maxLength": 254},
            "name": {"type": "string", "maxLength": 120},
            "fields": {
                "type": "object",
                "properties": {f.id: field_schema(f, policy) for f in fields},
                "required": sorted(set(required)),
                "additionalProperties": False,
            },
            "deflect_token": {"type": "string", "description": "From the 428 answer of a first call."},
            "from": {"type": ["string", "null"], "description": "The article the customer came from."},
            "confirm_guard": {
                "type": "array",
                "items": {"type": "string", "pattern": "^[a-z0-9_-]+:[a-z_]+$"},
                "description": "field:kind pairs the customer confirmed after a guard warning.",
            },
        },
        "additionalProperties": False,
    }
