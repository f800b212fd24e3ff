"""The personal-data and secrets guard: what a free-text field holds that support must not get.

Personal data (email addresses, phone numbers, dates of birth, street addresses, national ID
numbers) is shown to the customer, who replaces it with an ID or confirms it is needed. Secrets
(passwords, API keys and tokens, card numbers that pass the Luhn check) are never forwarded as
typed: `redact` replaces them. Which rules run comes from `guard:` in support.yml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PERSONAL, SECRET = "personal_data", "secrets"

# Every pattern runs in time linear in the text (the text is bounded first, deflect/input_bounds.py):
# possessive quantifiers (`++`, `*+`) never give back what a following token cannot match, and a
# match cannot start inside a run of the characters it begins with (lookbehind), so no position
# is scanned again from every start inside a long run. benchmarks/hostile_cost.py measures them.
DATE = (
    r"(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}(?:st|nd|rd|th)?\s++[A-Za-z]{3,9}\.?,?\s++\d{4}"
    r"|[A-Za-z]{3,9}\.?\s++\d{1,2}(?:st|nd|rd|th)?,?\s++\d{4})"
)
# Dates, times and IP addresses have a phone number's digits but not its shape.
NOT_PHONE = re.compile(
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})"
)


def said(least: int) -> str:
    """What follows "password" or "token": after `:`, `=` or in quotes anything is the secret; after
    "is" or "was" only a word with a digit, an inner capital or a symbol, so that "the password is
    incorrect" and "the API key is rejected" stay ordinary support text."""
    value = rf"""[^\s"']{{{least},}}+"""
    looks_secret = r"""(?=[^\s"']*(?:\d|[A-Za-z][A-Z]|[^\w\s"'.,;:!?]))"""
    return (
        rf"""(?:\s*+[:=]\s*+["']?(?P<value>{value})|(?i:\s++(?:is|was)\s++)"""
        rf"""(?:["'](?P<quoted>{value})|{looks_secret}(?P<spoken>{value})))"""
    )


STREET = r"(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|terrace|close|crescent|square|sq)"
EMAIL = r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)*\.[A-Za-z]{2,}"
NATIONAL_ID = (
    r"\b\d{3}-\d{2}-\d{4}\b|\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b"
    r"|(?i:\b(?:ssn|social\s++security(?:\s++number)?|national\s++(?:id|insurance)(?:\s++number)?"
    r"|passport(?:\s++number)?)\b[\s:#=-]*+(?P<value>[A-Z0-9][A-Z0-9 -]{5,18}[A-Z0-9]))"
)
PHONE = (
    r"(?<![\w+.-])(?:(?:\+|00)\d{8,14}|0[1-9]\d{8,9}|(?:(?:\+|00)\d{1,3}[ .-]?)?\(?\d{2,5}\)?"
    r"(?:[ .-]\d{2,7}){1,4})(?!\w|[.-]\d)"
)
BIRTH = (
    r"(?i)\b(?:born(?:\s++on)?|date\s++of\s++birth|d\.?o\.?b\.?|birth\s*+date|birthday)\b[\s:=-]*+(?P<value>"
    + DATE
    + ")"
)
ADDRESS = r"(?i)\b\d{1,5}[a-z]?\s++(?:[a-z][a-z'-]++\s++){1,3}" + STREET + r"\b\.?"
API_KEY = (
    r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{8,}+|\bgh[pousr]_[A-Za-z0-9]{20,}+|\bxox[abpr]-[A-Za-z0-9-]{10,}+"
    r"|\bAKIA[0-9A-Z]{16}\b|(?<![\w-])eyJ[\w-]{5,}+\.eyJ[\w-]{5,}+\.[\w-]++|(?i:\bbearer\s++(?P<bearer>[\w.~+/-]{12,}+=*+))"
    r"|\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}+|\bAIza[0-9A-Za-z_-]{35}|\bglpat-[A-Za-z0-9_-]{20,}+"
    r"|(?i:\b(?:api[_ -]?key|access[_ -]?token|auth[_ -]?token|token|secret|client[_ -]?secret)\b)"
)
CARD = r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])"

# (rule, group, pattern, what it is called): the value is the whole match or its `value` group.
# Order matters: a span taken by an earlier rule (an SSN) is not found again by a later one (phone).
PATTERNS: tuple[tuple[str, str, re.Pattern, str], ...] = (
    ("email", PERSONAL, re.compile(EMAIL), "an email address"),
    ("national_id", PERSONAL, re.compile(NATIONAL_ID), "a national ID number"),
    ("phone", PERSONAL, re.compile(PHONE), "a phone number"),
    ("date_of_birth", PERSONAL, re.compile(BIRTH), "a date of birth"),
    ("street_address", PERSONAL, re.compile(ADDRESS), "a street address"),
    ("password", SECRET, re.compile(r"(?i:\b(?:password|passwd|pwd|passcode|passphrase)\b)" + said(3)), "a password"),
    ("api_key", SECRET, re.compile(API_KEY + said(8)), "an API key or token"),
    ("card_number", SECRET, re.compile(CARD), "a card number"),
)


@dataclass(frozen=True)
class Finding:
    """Something the guard found: in which field, which rule, its group, and where."""

    field: str
    kind: str
    group: str
    start: int
    end: int

    @property
    def key(self) -> str:
        """The name a customer's confirmation refers to: `field:kind`."""
        return f"{self.field}:{self.kind}"

    @property
    def secret(self) -> bool:
        return self.group == SECRET


def describe(kind: str) -> str:
    """Return what a rule finds, in words: `a phone number`."""
    return next(name for rule, _, _, name in PATTERNS if rule == kind)


def luhn_valid(digits: str) -> bool:
    """True when a number passes the Luhn check that card numbers carry."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _span(match: re.Match) -> tuple[int, int]:
    """The part of a match that is the sensitive value (its named group, when it has one)."""
    for name in ("value", "quoted", "spoken", "bearer"):
        if name in match.re.groupindex and match.group(name):
            return match.span(name)
    return match.span()


def _id_list(text: str) -> bool:
    """True for "courses 101 102 103": three or more numbers of one length, without a trunk 0 or +.

    Phone numbers written in groups have groups of different lengths (020 7946 0958) or start
    with 0 or + (01 23 45 67 89); a list of course or learner IDs has neither.
    """
    groups = text.split()
    return len(groups) >= 3 and len({len(g) for g in groups}) == 1 and len(groups[0]) >= 3 and text[0] in "123456789"


def _accept(kind: str, text: str) -> bool:
    """Extra checks a regular expression cannot make."""
    digits = re.sub(r"\D", "", text)
    if kind == "card_number":
        return 13 <= len(digits) <= 19 and luhn_valid(digits)
    if kind == "phone":
        return 9 <= len(digits) <= 15 and not NOT_PHONE.match(text) and not _id_list(text)
    return True


def scan(field: str, text: str, rules: dict[str, dict[str, bool]]) -> list[Finding]:
    """Return what one field's text holds, one finding per rule, secrets first."""
    found: dict[str, Finding] = {}
    taken: list[tuple[int, int]] = []
    for kind, group, pattern, _ in sorted(PATTERNS, key=lambda p: p[1] != SECRET):
        if not rules.get(group, {}).get(kind, True):
            continue
        for match in pattern.finditer(text):
            start, end = _span(match)
            overlaps = any(start < b and a < end for a, b in taken)
            if not overlaps and _accept(kind, text[start:end]):
                found[kind] = Finding(field, kind, group, start, end)
                taken.append((start, end))
                break  # one finding per rule: the rest of the text need not be searched for it
    return sorted(found.values(), key=lambda f: f.start)


def redact(text: str, rules: dict[str, dict[str, bool]]) -> str:
    """Return `text` with every secret replaced by `[removed: <what>]`."""
    for kind, group, pattern, name in PATTERNS:
        if group != SECRET or not rules.get(group, {}).get(kind, True):
            continue
        text = pattern.sub(lambda m, kind=kind, name=name: _replace(m, kind, name), text)
    return text


def _replace(match: re.Match, kind: str, name: str) -> str:
    """Replace the sensitive part of one match, keeping the words around it."""
    start, end = _span(match)
    value = match.string[start:end]
    if not _accept(kind, value):
        return match.group(0)
    offset = match.start()
    whole = match.group(0)
    return whole[: start - offset] + f"[removed: {name}]" + whole[end - offset :]
