"""Send a rendered message by SMTP (DEFLECT_SMTP_URL), or write it as an `.eml` file when unset.

Replies decide what happens next: 5xx (and a non-ASCII address) is permanent, 4xx and broken
connections are worth a retry.
Once the server has accepted the message, nothing that follows (QUIT, closing) can turn it into an
error, so an accepted message is never sent again.
"""

from __future__ import annotations

import itertools
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from deflect.delivery.errors import SendError

DEFAULT_TIMEOUT = 30.0
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SmtpUrl:
    """The parts of `smtp://user:pass@host:port?starttls=1` or `smtps://...`."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = DEFAULT_TIMEOUT

    def __str__(self) -> str:
        """Return the URL without the password, for logs and the CLI."""
        user = f"{self.username}@" if self.username else ""
        return f"{self.scheme}://{user}{self.host}:{self.port}" + ("?starttls=1" if self.starttls else "")


def parse_smtp_url(url: str) -> SmtpUrl:
    """Parse DEFLECT_SMTP_URL; raise ValueError naming what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError(f"DEFLECT_SMTP_URL must start with smtp:// or smtps://, not {parts.scheme or url!r}")
    if not parts.hostname:
        raise ValueError("DEFLECT_SMTP_URL has no host: write smtp://user:pass@host:port")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    return SmtpUrl(
        scheme=parts.scheme,
        host=parts.hostname,
        port=parts.port or DEFAULT_PORTS[parts.scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=query.get("starttls", "").lower() in TRUE,
        timeout=float(query.get("timeout", DEFAULT_TIMEOUT)),
    )


def send_smtp(config: SmtpUrl, sender: str, recipients: list[str], message: str) -> None:
    """Hand one message to the SMTP server; raise SendError (permanent on a 5xx reply)."""
    try:
        smtp = _open(config)
    except (smtplib.SMTPException, OSError) as error:
        raise _classify(error, f"cannot reach {config.host}:{config.port}") from error
    try:
        _session(smtp, config, sender, recipients, message.encode("utf-8"))
    except (smtplib.SMTPException, OSError, UnicodeEncodeError) as error:
        raise _classify(error, f"{config.host}:{config.port}") from error
    finally:
        _close(smtp)


def _open(config: SmtpUrl) -> smtplib.SMTP:
    if config.scheme == "smtps":
        return smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=ssl.create_default_context())
    return smtplib.SMTP(config.host, config.port, timeout=config.timeout)


def _session(smtp: smtplib.SMTP, config: SmtpUrl, sender: str, recipients: list[str], data: bytes) -> None:
    smtp.ehlo()
    if config.starttls:
        smtp.starttls(context=ssl.create_default_context())
        smtp.ehlo()
    if config.username:
        smtp.login(config.username, config.password or "")
    smtp.sendmail(sender, recipients, data)


def _close(smtp: smtplib.SMTP) -> None:
    """Say goodbye, ignoring every error: the message was accepted or has already failed."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _classify(error: Exception, where: str) -> SendError:
    if isinstance(error, UnicodeEncodeError):  # smtplib writes commands in ASCII: no SMTPUTF8 support
        command = str(error.object).strip()
        return SendError(f"{where}: a non-ASCII address cannot be sent without SMTPUTF8: {command}", permanent=True)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        detail = "; ".join(f"{rcpt}: {code} {_text(reply)}" for rcpt, (code, reply) in error.recipients.items())
        return SendError(f"{where} refused the recipient: {detail}", permanent=all(c >= 500 for c in codes))
    if isinstance(error, smtplib.SMTPResponseException):
        return SendError(
            f"{where} answered {error.smtp_code} {_text(error.smtp_error)}", permanent=error.smtp_code >= 500
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return SendError(f"{where}: {error} (check ?starttls= and the login in DEFLECT_SMTP_URL)", permanent=True)
    return SendError(f"{where}: {type(error).__name__}: {error}")


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def eml_name(case_number: str, channel: str) -> str:
    """Return the file name of one message in the mail folder: `OLR-2026-000123.support.eml`."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{case_number}.{channel}") + ".eml"


def write_eml(folder: str | Path, name: str, message: str) -> Path:
    """Write a message into the mail folder atomically (a reader never sees half a file); return its path.

    An existing file is never replaced: the same message written again (a send repeated after a
    crash) is found and left alone, and a different message under the same name (a store started
    afresh numbers its cases from 1 again) goes next to it as `NAME.2.eml`, `NAME.3.eml`, ...
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = message.encode("utf-8")
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        targets = (folder / candidate for candidate in _eml_names(name))
        return next(t for t in targets if _place(Path(temporary), t) or t.read_bytes() == data)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _eml_names(name: str) -> Iterator[str]:
    """`NAME.eml`, then `NAME.2.eml`, `NAME.3.eml`, ... without end."""
    yield name
    stem = name.removesuffix(".eml")
    yield from (f"{stem}.{number}.eml" for number in itertools.count(2))


def _place(temporary: Path, target: Path) -> bool:
    """Give the finished file its name unless that name is taken; return whether it was placed."""
    try:
        os.link(temporary, target)  # atomic, and fails rather than replacing an existing file
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: check, then rename (a narrow race, no half files)
        if target.exists():
            return False
        os.replace(temporary, target)
    return True
