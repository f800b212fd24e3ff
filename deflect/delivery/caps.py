"""How many confirmations may go out: the two caps (settings) and the mailbox a confirmation counts against.

A confirmation goes to an address nobody has verified, so the form must not become a way to mail
anyone, however many client addresses and processes take part: at most
`DEFLECT_CONFIRMATIONS_PER_ADDRESS` per mailbox and `DEFLECT_CONFIRMATIONS_PER_HOUR` in all, in any
hour, decided by the store inside the filing transaction. Over a cap, the request is still filed and
sent to support; only its confirmation is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from deflect.delivery.messages import safe_address
from deflect.settings import SETTINGS
from deflect.store.model import ConfirmationCap

PER_ADDRESS = "DEFLECT_CONFIRMATIONS_PER_ADDRESS"
PER_HOUR = "DEFLECT_CONFIRMATIONS_PER_HOUR"
DEFAULTS = {s.name: s.default for s in SETTINGS if s.name in (PER_ADDRESS, PER_HOUR)}


def limits(settings: Mapping[str, object]) -> tuple[int, int]:
    """Return (per address, in all) per hour from the settings; raise ValueError naming a wrong one and the fix."""
    return _count(settings, PER_ADDRESS), _count(settings, PER_HOUR)


def _count(settings: Mapping[str, object], name: str) -> int:
    value = settings.get(name)
    text = str(DEFAULTS[name] if value is None or value == "" else value).strip()
    if not re.fullmatch(r"[0-9]{1,9}", text):
        raise ValueError(
            f"{name}={value!r}: write a whole number of confirmations per hour, 0 or more "
            f"(0 sends none), like {DEFAULTS[name]}"
        )
    return int(text)


def mailbox(address: object) -> str | None:
    """Return the mailbox an address delivers to, as the per-address cap counts it, or None when
    no confirmation can be sent to it: lower case, IDNA domain, without a `+tag` (`ann+1@x` is `ann@x`)."""
    found = safe_address(address)
    if found is None:
        return None
    local, _, domain = found.addr_spec.lower().rpartition("@")
    return f"{local.split('+', 1)[0] or local}@{domain}"


def for_record(record: dict, settings: Mapping[str, object]) -> ConfirmationCap:
    """Return what the store needs to decide this request's confirmation."""
    per_address, per_hour = limits(settings)
    return ConfirmationCap(mailbox(record.get("email")), per_address, per_hour)
