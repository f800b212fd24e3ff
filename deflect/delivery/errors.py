"""The one error the senders raise: why a message was not taken, and whether trying again can help."""

from __future__ import annotations


class SendError(Exception):
    """A message was not accepted; `permanent` means retrying will not help (a 5xx, a 4xx webhook reply)."""

    def __init__(self, reason: str, permanent: bool = False, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after

    def __str__(self) -> str:
        return ("permanent: " if self.permanent else "transient: ") + self.reason
