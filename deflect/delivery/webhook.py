"""POST a request's JSON to DEFLECT_WEBHOOK_URL, signed as Standard Webhooks specifies (docs/webhook.md).

The body and its `webhook-id` are fixed when the request is filed, so every retry sends the same
bytes, the same id and the same `Idempotency-Key` (the case number); the timestamp, and so the
signature, are those of each attempt (deflect/webhook_signature.py). Redirects are not followed: a
POST silently turned into a GET would look delivered.
"""

from __future__ import annotations

import datetime as dt
import time
import urllib.error
import urllib.request
from email.utils import parsedate_to_datetime

from deflect.delivery.errors import SendError
from deflect.delivery.signature import InvalidSecret, signature_header, signing_keys

DEFAULT_TIMEOUT = 15.0
RETRYABLE_4XX = (408, 429)


def headers_for(
    body: bytes, case_number: str, message_id: str, keys: list[bytes], timestamp: int | None = None
) -> dict[str, str]:
    """Return the HTTP headers of one attempt (signed at `timestamp`, default now, when there are keys)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "deflect-webhook/2",
        "Idempotency-Key": case_number,
        "X-Deflect-Case": case_number,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
    }
    if keys:
        headers["webhook-signature"] = signature_header(keys, message_id, timestamp, body)
    return headers


def post_webhook(
    url: str, body: str, case_number: str, message_id: str, secret: str | None, timeout: float = DEFAULT_TIMEOUT
) -> int:
    """POST the body, signed now; return the 2xx status, or raise SendError (permanent on a 4xx but 408 and 429)."""
    if not url.lower().startswith(("http://", "https://")):
        raise SendError(f"DEFLECT_WEBHOOK_URL must be an http:// or https:// URL, not {url!r}", permanent=True)
    try:
        keys = signing_keys(secret)
    except InvalidSecret as error:  # transient: fixing the setting is enough, no retry by hand
        raise SendError(str(error)) from error
    data = body.encode("utf-8")
    headers = headers_for(data, case_number, message_id, keys)
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read(65536)
            return response.status
    except urllib.error.HTTPError as error:
        with error:  # close the error's response, or it leaks a socket
            raise _classify(error) from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise SendError(f"cannot reach the webhook: {type(error).__name__}: {reason}") from error


def _classify(error: urllib.error.HTTPError) -> SendError:
    status = error.code
    detail = f"the webhook answered {status} {error.reason}"
    if 300 <= status < 400:
        where = error.headers.get("Location", "?")
        return SendError(
            f"{detail}, redirecting to {where}: set DEFLECT_WEBHOOK_URL to the final address", permanent=True
        )
    permanent = 400 <= status < 500 and status not in RETRYABLE_4XX
    return SendError(detail, permanent=permanent, retry_after=_retry_after(error.headers.get("Retry-After")))


def _retry_after(value: str | None) -> float | None:
    """Return the seconds a Retry-After header asks for (delta-seconds or an HTTP date), else None."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, (parsedate_to_datetime(value) - dt.datetime.now(dt.UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Turn every redirect into an HTTPError instead of following it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None
