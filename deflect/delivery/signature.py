"""Webhook signatures as the Standard Webhooks specification defines them (https://www.standardwebhooks.com/).

Each call carries `webhook-id` (one per request, the same on every retry), `webhook-timestamp` (integer
seconds at that attempt) and `webhook-signature`: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
one per signing key, space-separated, so a secret can be rotated without downtime. A receiver checks
the signature in constant time and refuses a timestamp outside its tolerance (5 minutes), so a
captured call cannot be replayed later.

`DEFLECT_WEBHOOK_SECRET` holds one or more secrets separated by spaces. `whsec_<base64>`, the
specification's format, is the base64-decoded key (24 to 64 bytes); any other value is the UTF-8
bytes of the text itself (as before this scheme), and must be at least 24 bytes long too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid

SECRET_PREFIX = "whsec_"
MIN_KEY_BYTES, MAX_KEY_BYTES = 24, 64  # the specification's range: 192 to 512 bits
TOLERANCE = 5 * 60  # seconds either side of now that a receiver accepts
GENERATE = "python3 -c 'import base64, secrets; print(\"whsec_\" + base64.b64encode(secrets.token_bytes(32)).decode())'"


class InvalidSecret(ValueError):
    """DEFLECT_WEBHOOK_SECRET cannot be used: the message says why and how to make a good one."""


def signing_keys(setting: str | None) -> list[bytes]:
    """Return the HMAC keys a DEFLECT_WEBHOOK_SECRET value names (none when unset); raise InvalidSecret."""
    return [_key(secret, n) for n, secret in enumerate((setting or "").split(), start=1)]


def _key(secret: str, position: int) -> bytes:
    where = f"DEFLECT_WEBHOOK_SECRET (secret {position})" if position > 1 else "DEFLECT_WEBHOOK_SECRET"
    if secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            raise InvalidSecret(
                f"{where}: the part after whsec_ is not base64; make a new secret with: {GENERATE}"
            ) from None
        if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
            raise InvalidSecret(
                f"{where}: whsec_ secrets hold {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes, this one "
                f"{len(key)}; make a new secret with: {GENERATE}"
            )
        return key
    key = secret.encode("utf-8", "surrogateescape")
    if len(key) < MIN_KEY_BYTES:
        raise InvalidSecret(
            f"{where}: too short to be safe ({len(key)} bytes, at least {MIN_KEY_BYTES}); "
            f"make a new secret with: {GENERATE}"
        )
    return key


def new_message_id() -> str:
    """Return a fresh `webhook-id`: `msg_` and 32 hex digits (no `.`, which the signed text uses as separator)."""
    return "msg_" + uuid.uuid4().hex


def message_id_of(body: str) -> str:
    """Return a stable `webhook-id` for a body queued before ids were stored (the same on every retry)."""
    return "msg_" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]


def signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """Return one `v1,<base64 HMAC-SHA256>` signature of `id.timestamp.body`."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def signature_header(keys: list[bytes], message_id: str, timestamp: int, body: bytes) -> str:
    """Return the `webhook-signature` value: one signature per key, space-separated."""
    return " ".join(signature(key, message_id, timestamp, body) for key in keys)
