"""Run-time settings: one table (name, default, help) that feeds the environment, `deflect settings`
and the README's settings table (a test keeps the README equal to `markdown_table()`)."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from dotenv import dotenv_values


@dataclass(frozen=True)
class Setting:
    """One run-time setting: its environment variable, default and help text."""

    name: str
    default: str | None
    help: str
    secret: bool = False  # never shown: `deflect settings` and the logs say only whether it is set


PASSWORD_PARAMETER = re.compile(r"((?:^|&)password=)[^&]*", re.IGNORECASE)  # libpq takes one in the query


class InvalidSetting(ValueError):
    """A setting whose value cannot be used; the message names the variable and the fix."""


SETTINGS: tuple[Setting, ...] = (
    Setting("DEFLECT_KB", "kb", "The knowledge-base folder: docs/, support.yml, forms/."),
    Setting("DEFLECT_DATA_DIR", "var", "SQLite store, outbox, search index and local mail folder."),
    Setting(
        "DEFLECT_DATABASE_URL",
        None,
        "postgresql://user:password@host:5432/database: requests, the outbox and the records in PostgreSQL, "
        "for several instances (pip install 'deflect[postgres]'; docs/deploy.md); unset: SQLite in the data "
        "folder. Shown with its password masked.",
    ),
    Setting(
        "DEFLECT_SECRET_KEY",
        None,
        "Signs sessions, CSRF and deflection tokens; generated once into the data dir when unset.",
        secret=True,
    ),
    Setting(
        "DEFLECT_SMTP_URL",
        None,
        "smtp://user:pass@host:port (?starttls=1) or smtps://...; unset: messages are written "
        "as .eml files under var/mail/.",
    ),
    Setting("DEFLECT_WEBHOOK_URL", None, "Also POST each request as JSON to this URL."),
    Setting(
        "DEFLECT_WEBHOOK_SECRET",
        None,
        "Signs each webhook call as Standard Webhooks specifies (webhook-id, webhook-timestamp, "
        "webhook-signature): whsec_ + base64 of 24 to 64 random bytes (docs/webhook.md: how to make one); "
        "several, space-separated, while rotating; any other value is used as its UTF-8 bytes (at least 24).",
        secret=True,
    ),
    Setting(
        "DEFLECT_SITE_URL",
        None,
        "The help center's public URL, like https://help.example.com/: links to articles and in emails, the "
        "site's canonical URL and sitemap (mkdocs.yml reads it); unset: the site is at / of the same host, and "
        "`deflect serve` links emails to the address it listens on.",
    ),
    Setting(
        "DEFLECT_CONFIRMATIONS_PER_ADDRESS",
        "5",
        "Confirmation emails one mailbox gets per hour at most (0: none); a request over it is still "
        "filed and sent to support, and the customer is told no confirmation was sent.",
    ),
    Setting(
        "DEFLECT_CONFIRMATIONS_PER_HOUR",
        "100",
        "Confirmation emails sent per hour in all at most (0: none), however many clients file; raise it "
        "for a busy helpdesk. Over it, requests are still filed and sent to support.",
    ),
    Setting(
        "DEFLECT_TRUSTED_PROXIES",
        None,
        "Which proxies may set the client address and scheme (X-Forwarded-For/-Proto/-Host): their addresses or "
        "networks (127.0.0.1 for nginx on this machine, 10.1.0.0/16), or how many there are (1); unset: none "
        "trusted, forwarding headers ignored. See docs/deploy.md.",
    ),
    Setting(
        "DEFLECT_DEFLECTION_WINDOW_HOURS",
        "24",
        'Hours after "This solved my problem" within which a request filed by the same visit withdraws the '
        "deflection (it then counts as a failed deflection of that article); figures whose window is open are "
        "provisional.",
    ),
    Setting(
        "DEFLECT_VISIT_RETENTION_DAYS",
        "400",
        "Visits (descriptions searched, articles shown, opened and solved) and page feedback older than this are "
        "purged by `deflect purge` and once a day by the app; their counts are kept per day, so past charts stay right.",
    ),
    Setting(
        "DEFLECT_EMAIL_RETENTION_DAYS",
        "90",
        "Customers' emails and names in requests (and their sent messages) older than this are erased by the same "
        "purge; the requests, case numbers and counts stay.",
    ),
    Setting(
        "DEFLECT_RATE_LIMIT_STORAGE",
        None,
        "Where the per-client limits are counted: redis://host:6379/0 (or rediss://, redis+unix://) so they hold "
        "across instances (needs the redis extra: pip install 'deflect[redis]'); unset: memory://, exact in one "
        "process. A Redis that is down does not stop the app: each instance counts in memory until it is back.",
    ),
    Setting(
        "DEFLECT_OUTBOX_LEASE",
        "300",
        "Seconds a message being sent stays with its instance's outbox worker (renewed while it sends); a "
        "worker that dies stops renewing, and another instance takes the message over once the lease runs out. "
        "At least 10: a lease shorter than a slow send plus a busy store's wait lets a message be sent twice.",
    ),
    Setting(
        "DEFLECT_LOG_FORMAT",
        "text",
        "How the log is written to stderr: text (one line each) or json (one object each).",
    ),
    Setting(
        "DEFLECT_METRICS_FROM",
        "127.0.0.1, ::1",
        "Which client addresses or networks may read GET /support/metrics (others get 404): a comma-separated list "
        "(10.0.0.0/8), or any. The client is the one DEFLECT_TRUSTED_PROXIES makes it.",
    ),
    Setting(
        "DEFLECT_SEMANTIC",
        "auto",
        "auto: build and search with the local semantic model when the semantic extra is installed; "
        "off: the lexical engine only.",
    ),
    Setting(
        "DEFLECT_EMBEDDING_CACHE",
        None,
        "Where the semantic model's embeddings are kept between index builds (keyed by model and text, "
        "safe to delete); unset: an embedding-cache folder beside the index.",
    ),
)


def site_url(value: str | None) -> str | None:
    """DEFLECT_SITE_URL checked: an absolute http(s) URL ending in "/", or None when unset; raise
    InvalidSetting, naming the variable and the fix, for anything else (MkDocs needs a whole URL)."""
    if not value or not value.strip():
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:  # an unclosed [ of an IPv6 host
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidSetting(
            f"DEFLECT_SITE_URL={value!r}: write the help center's public URL with its scheme and host, "
            "like https://help.example.com/, or leave it unset (the site is then at / of this server)"
        )
    return value.strip().rstrip("/") + "/"


def setting(name: str) -> Setting:
    """Return the setting with this environment variable's name."""
    return next(s for s in SETTINGS if s.name == name)


def markdown_table() -> str:
    """The README's settings table: every setting, its default and what it does."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for s in SETTINGS:
        default = f"`{s.default}`" if s.default is not None else "unset"
        rows.append(f"| `{s.name}` | {default} | {s.help} |")
    return "\n".join(rows) + "\n"


def shown(values: dict[str, str | None]) -> dict[str, str]:
    """The settings as an operator may see them (the CLI, the logs): secrets and URL passwords masked."""
    found = {}
    for s in SETTINGS:
        value = values.get(s.name)
        if value is None or value == "":
            found[s.name] = "unset"
        elif s.secret:
            found[s.name] = "(set, not shown)"
        else:
            found[s.name] = _without_password(value)
    return found


def _without_password(value: str) -> str:
    """A URL with its password (after the user name, or a `password=` parameter) replaced by ***;
    any other value as it is."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return value
    query = PASSWORD_PARAMETER.sub(r"\1***", parts.query)
    if not parts.password and query == parts.query:
        return value
    netloc = f"{parts.username}:***@{parts.netloc.rpartition('@')[2]}" if parts.password else parts.netloc
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def load(environ: dict[str, str] | None = None, env_file: str | Path = ".env") -> dict[str, str | None]:
    """Return every setting: defaults, then the `.env` file, then the environment."""
    values: dict[str, str | None] = {s.name: s.default for s in SETTINGS}
    file_values = dotenv_values(env_file) if Path(env_file).is_file() else {}
    environ = os.environ if environ is None else environ
    for setting in SETTINGS:
        for source in (file_values, environ):
            if source.get(setting.name):
                values[setting.name] = source[setting.name]
    return values


def secret_key(data_dir: str | Path, configured: str | None = None) -> str:
    """Return the configured secret key, or one generated once and kept in the data dir."""
    if configured:
        return configured
    path = Path(data_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting together must agree on one key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text().strip()
