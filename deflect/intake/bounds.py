"""Bounds on what a customer sends, measured before any rule, pattern, email check or guard reads it.

Every check that reads a value (regular expressions, email validation, the personal-data guard)
costs time with the value's length, so each value is measured first: one over its bound gets
its length message at once and no other check reads it. The bounds are the form's own
(`max_length`, the options of a choice), the policy's subject length and the fixed ones here.
Within them a request costs a bounded amount of work whatever its shape
(benchmarks/hostile_cost.py measures it). Plain Python: the web layer and intake call these.
"""

from __future__ import annotations

import re
from array import array
from itertools import accumulate

from deflect.forms.model import Field

EMAIL_MAX = 254  # RFC 5321's limit for a whole address
NAME_MAX = 120
# Room for the spaces a rule that collapses them drops: a summary over its length by less than
# this is measured by the subject rule itself, which counts after collapsing.
SLACK = 50
JSON_DEPTH_MAX = 20  # a request is 3 deep (body, fields, a list of choices)
# A JSON string, or an unterminated one to the end (the parser refuses it later): possessive, so
# each string is read once.
JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.?)*+(?:"|\Z)', re.DOTALL)
NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
DEPTH_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes


def length(text: str) -> int:
    """The length of a text as a browser's `maxlength` counts it: without surrounding space, CR LF as one."""
    text = text.strip()
    return len(text) - text.count("\r\n")


def too_long(label: str, text: str, limit: int) -> str | None:
    """`<label> has N characters: shorten it to at most <limit>`, or None within the limit."""
    count = length(text)
    if count <= limit:
        return None
    return f"{label} has {count} characters: shorten it to at most {limit}"


def choice_problem(field: Field, value: str | list[str]) -> str | None:
    """More choices than the field has options, or a choice longer than any option could be."""
    chosen = [value] if isinstance(value, str) else value
    if len(chosen) > max(1, len(field.options)):
        return f"{field.label}: choose each option at most once (it has {len(field.options)})"
    longest = max((max(len(o.value), len(o.label)) for o in field.options), default=0) + SLACK
    if any(len(choice) > longest for choice in chosen):
        return f"{field.label}: choose one of {', '.join(o.label for o in field.options)}"
    return None


def field_problem(field: Field, value: str | list[str]) -> str | None:
    """The bound of one field's value: its `max_length` for text, its options for a choice."""
    if field.free_text:
        return too_long(field.label, value, field.max_length) if isinstance(value, str) else None
    return choice_problem(field, value)


def empty_like(value: str | list[str]) -> str | list[str]:
    """What stands in for a value over its bound, so that no rule reads it: "" or []."""
    return "" if isinstance(value, str) else []


def json_too_deep(raw: bytes, limit: int = JSON_DEPTH_MAX) -> bool:
    """True when a JSON text nests arrays and objects deeper than `limit`: one linear pass, no parsing.

    Strings are skipped first (a bracket inside one does not nest); what remains is counted.
    Python's parser recurses once per level, so `[[[[...` must be refused before it runs.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    steps = array("b", JSON_STRING.sub(b"", raw).translate(DEPTH_STEP, NOT_BRACKET))
    return max(accumulate(steps), default=0) > limit
