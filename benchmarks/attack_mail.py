"""What benchmarks/attack.py checks in every message its SMTP server received.

Nothing a customer types may reach a mail header unescaped: every header line must be one that
deflect writes (the names of a benign filing's two messages), none repeated, none decoding to a
line break; every recipient (envelope and address headers) a route of support.yml or the address
typed in that filing; every part text/plain.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

SINGLE = {
    "from",
    "to",
    "subject",
    "reply-to",
    "message-id",
    "date",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "references",
    "auto-submitted",
    "x-deflect-case",
}
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
CASE_IN_ID = re.compile(r"<([^.<>@]+)\.[a-z]+@")


@dataclass(frozen=True)
class MailFinding:
    """A received message that input reshaped: which check, which case, what was seen."""

    kind: str  # "header", "recipient" or "mime"
    case: str | None
    detail: str


def header_lines(data: bytes) -> list[tuple[str, str]]:
    """The header block's lines as (name, value), continuation lines joined, as a mail program reads them."""
    head = re.split(rb"\r?\n\r?\n", data, maxsplit=1)[0].decode("utf-8", "replace")
    lines: list[tuple[str, str]] = []
    for line in re.split(r"\r?\n", head):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] = (lines[-1][0], lines[-1][1] + line)
        else:
            name, _, value = line.partition(":")
            lines.append((name, value))
    return lines


def case_of(lines: list[tuple[str, str]]) -> str | None:
    """The case number a message is about, from its Message-ID or X-Deflect-Case."""
    values = {name.strip().lower(): value.strip() for name, value in lines}
    found = CASE_IN_ID.search(values.get("message-id", ""))
    return found.group(1) if found else values.get("x-deflect-case") or None


def normal_forms(address: str) -> set[str]:
    """The forms an address the customer typed may take on the way: as typed, normalised, ASCII (IDNA)."""
    forms = {address.strip().casefold()}
    try:
        valid = validate_email(address.strip(), check_deliverability=False)
    except (EmailNotValidError, ValueError, TypeError):
        return forms
    return forms | {valid.normalized.casefold(), (valid.ascii_email or "").casefold()}


def inspect(
    data: bytes, rcpt_tos: Iterable[str], expected: set[str], allowed: Callable[[str | None], set[str]]
) -> list[MailFinding]:
    """Every way one received message breaks the rules above."""
    lines = header_lines(data)
    case = case_of(lines)
    found = [
        MailFinding("header", case, f"header line {name!r} is not one deflect writes ({value.strip()[:120]!r})")
        for name, value in lines
        if name.strip().lower() not in expected
    ]
    counts = Counter(name.strip().lower() for name, _ in lines)
    found += [
        MailFinding("header", case, f"{name} appears {n} times")
        for name, n in counts.items()
        if name in SINGLE and n > 1
    ]
    message = email.message_from_bytes(data, policy=email.policy.default)
    try:
        found += _decoded_headers(message, case) + _parts(message, case)
        found += _recipients(message, rcpt_tos, allowed(case), case)
    except Exception as error:  # the standard library's parser gave up on what input made of it
        found.append(MailFinding("header", case, f"the message cannot be read: {type(error).__name__}: {error}"))
    return found


def _decoded_headers(message, case: str | None) -> list[MailFinding]:
    found = []
    for name in message.keys():
        try:
            values = message.get_all(name) or []
        except Exception as error:  # a header the parser cannot even read is input that reached it unescaped
            found.append(MailFinding("header", case, f"{name} cannot be parsed: {type(error).__name__}: {error}"))
            continue
        found += [
            MailFinding("header", case, f"{name} decodes to a control character or line break: {str(v)[:160]!r}")
            for v in values
            if CONTROL.search(str(v))
        ]
    return found


def _parts(message, case: str | None) -> list[MailFinding]:
    return [
        MailFinding("mime", case, f"a {part.get_content_type()} part")
        for part in message.walk()
        if part.get_content_type() != "text/plain"
    ]


def _recipients(message, rcpt_tos: Iterable[str], allowed: set[str], case: str | None) -> list[MailFinding]:
    seen = [("envelope", to) for to in rcpt_tos]
    for name in message.keys():
        try:
            values = message.get_all(name) or []
        except Exception:  # reported by _decoded_headers
            continue
        for value in values:
            seen += [(name, a.addr_spec) for a in getattr(value, "addresses", ())]
    return [
        MailFinding("recipient", case, f"{where}: {address!r} is neither a route nor the typed address")
        for where, address in seen
        if not normal_forms(address) & allowed
    ]
