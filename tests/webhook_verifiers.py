"""Two receivers' checks of a webhook call: the snippet of docs/webhook.md, run as written, and the
Standard Webhooks reference library (`standardwebhooks`, the specification's own Python package)."""

from __future__ import annotations

import base64
import functools
import re

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.delivery_fixtures import ROOT
from tests.loopback import Hook

SECRET = "whsec_" + base64.b64encode(b"deflect's test secret: 32 bytes.").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"another receiver's secret, 32 by").decode()
PLAIN_SECRET = "a-plain-secret-of-more-than-24-bytes"


@functools.cache
def documented_check():
    """`is_from_deflect(body, headers, secret, now=None)` from docs/webhook.md, exactly as published."""
    source = (ROOT / "docs" / "webhook.md").read_text()
    [code] = re.findall(r"```python\n(.*?)```", source, re.S)
    namespace: dict = {}
    exec(code, namespace)
    return namespace["is_from_deflect"]


def verified_by_the_docs(call: Hook, secret: str = SECRET, now: float | None = None) -> bool:
    """Whether the documented receiver accepts this call (at `now`, default the real clock)."""
    return documented_check()(call.body, call.headers, secret, now=now)


def verified_by_the_reference_library(call: Hook, secret: str | bytes = SECRET) -> bool:
    """Whether `standardwebhooks.Webhook(secret).verify` accepts this call now (a plain secret as its bytes)."""
    key = secret if isinstance(secret, bytes) or secret.startswith("whsec_") else secret.encode()
    try:
        Webhook(key).verify(call.body, dict(call.headers.items()), json_parse=False)
    except WebhookVerificationError:
        return False
    return True
