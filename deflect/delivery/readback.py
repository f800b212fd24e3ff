"""A built message read back the way its receivers read it, and compared with what was built.

The standard library that writes a message can also reshape it: on Python before the fix for
CVE-2024-6923 (3.11.7 here), folding turns an encoded word holding CR LF into a real header line.
So a message may be sent only when both the strict parser (`email.policy.default`) and the lenient
`compat32` parser that many helpdesks use read back exactly the header names that were built, the
same addresses in every address header, the same subject and one `text/plain` part.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import email.utils
import re
from collections import Counter
from collections.abc import Callable
from email.message import EmailMessage, Message

ADDRESS_HEADERS = ("from", "sender", "to", "cc", "bcc", "reply-to")
BUILT_HEADERS = {
    "from",
    "date",
    "message-id",
    "to",
    "subject",
    "reply-to",
    "x-deflect-case",
    "references",
    "auto-submitted",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
}
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def expectation(message: EmailMessage, subject: str, envelope: list[str]) -> dict:
    """Return what `message` must read back as: header names, addresses, subject, SMTP recipients.

    `subject` is the subject as composed, before the standard library parsed it (it decodes encoded
    words), so a subject the library changed on the way in is caught too.
    """
    names = [name.lower() for name in message.keys()]
    addresses = {
        name: sorted(a.addr_spec.lower() for h in message.get_all(name, []) for a in h.addresses)
        for name in ADDRESS_HEADERS
        if name in names
    }
    return {
        "headers": sorted(names),
        "addresses": addresses,
        "subject": subject,
        "envelope": sorted(r.lower() for r in envelope),
    }


def problem(text: str, built: dict, envelope: list[str] | None = None) -> str | None:
    """Return how `text` differs from what was built (the first difference), or None when it does not.

    `envelope` is the recipient list the sender is about to use (default: the one built).
    """
    if envelope is not None and sorted(r.lower() for r in envelope) != built["envelope"]:
        return f"the SMTP recipients {envelope} are not the {built['envelope']} built"
    if not set(built["envelope"]) <= set(built["addresses"].get("to", [])):
        return f"the SMTP recipients {built['envelope']} are not the To: addresses built"
    for parser, read in READERS:
        try:
            found = _difference(read(text), built)
        except Exception as error:  # a parser that gives up on it is a receiver that would too
            found = f"it cannot be parsed ({type(error).__name__}: {error})"
        if found:
            return f"read back by the {parser} parser, {found}"
    return None


def unbuilt_problem(text: str, envelope: list[str]) -> str | None:
    """Return how a message queued without its expectation (before deflect recorded one) differs
    from the shape deflect builds: each of its own headers once, To: the SMTP recipients, one
    text/plain part, read the same by both parsers. None when it has that shape."""
    try:
        found = _strict(text)
    except Exception as error:
        return f"it cannot be parsed ({type(error).__name__}: {error})"
    names = found["headers"]
    if len(names) != len(set(names)) or not set(names) <= BUILT_HEADERS:
        return f"it has header lines deflect does not build: {names}"
    built = {
        "headers": names,
        "addresses": found["addresses"],
        "subject": found["subject"],
        "envelope": sorted(r.lower() for r in envelope),
    }
    if built["addresses"].get("to") != built["envelope"]:
        return f"To: holds {built['addresses'].get('to')}, not the SMTP recipients {built['envelope']}"
    return problem(text, built)


def _difference(found: dict, built: dict) -> str | None:
    if found["headers"] != built["headers"]:
        added = Counter(found["headers"]) - Counter(built["headers"])
        missing = Counter(built["headers"]) - Counter(found["headers"])
        parts = [
            f"{label} {', '.join(sorted(names.elements()))}"
            for label, names in (("an extra header line:", added), ("a missing header line:", missing))
            if names
        ]
        return "it has " + " and ".join(parts)
    for name in ADDRESS_HEADERS:
        if found["addresses"].get(name, []) != built["addresses"].get(name, []):
            return f"{name} holds {found['addresses'].get(name)} instead of {built['addresses'].get(name)}"
    if found["subject"] != built["subject"]:
        return f"the subject reads {found['subject']!r} instead of {built['subject']!r}"
    if found["type"] != "text/plain" or found["multipart"]:
        return f"the body is {found['type']}{' (multipart)' if found['multipart'] else ''}, not one text/plain part"
    return None


def _strict(text: str) -> dict:
    message = email.message_from_string(text, policy=email.policy.default)
    addresses = {
        name: sorted(a.addr_spec.lower() for h in message.get_all(name, []) for a in h.addresses)
        for name in ADDRESS_HEADERS
        if name in message
    }
    return _reading(message, addresses, str(message["Subject"] or ""))


def _lenient(text: str) -> dict:
    message = email.message_from_string(text, policy=email.policy.compat32)
    addresses = {
        name: sorted(addr.lower() for _, addr in email.utils.getaddresses(message.get_all(name, [])))
        for name in ADDRESS_HEADERS
        if name in message
    }
    raw = _FOLD.sub("", str(message.get("Subject", "")))
    decoded = str(email.header.make_header(email.header.decode_header(raw)))
    # compat32 joins encoded words with its own spacing rules: the words must be the same, in order.
    return _reading(message, addresses, " ".join(decoded.split()))


def _reading(message: Message, addresses: dict, subject: str) -> dict:
    return {
        "headers": sorted(name.lower() for name in message.keys()),
        "addresses": addresses,
        "subject": subject,
        "type": message.get_content_type(),
        "multipart": message.is_multipart(),
    }


READERS: tuple[tuple[str, Callable[[str], dict]], ...] = (("strict", _strict), ("lenient (compat32)", _lenient))
