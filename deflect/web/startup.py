"""Every setting checked when the process starts, so a wrong one stops the start, not the first request.

One check per row of the settings table (`CHECKS`, keyed by the variable; a test holds every
setting to having one, or a reason in `UNCHECKED`). `check(values)` runs them all and raises the
problem, naming the variable and the fix; several wrong settings are reported together, one line
each. `deflect serve`, the WSGI entry point (`deflect.web.wsgi`) and `create_app` call it.
"""

from __future__ import annotations

import functools
import importlib.util
import ipaddress
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from deflect.delivery import caps
from deflect.delivery.signature import signing_keys
from deflect.delivery.smtp import parse_smtp_url
from deflect.report import retention
from deflect.semantic.model import wanted as semantic_wanted
from deflect.settings import SETTINGS, InvalidSetting, site_url
from deflect.web import proxies

MEMORY = "memory://"
REDIS_SCHEMES = ("redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster")
DATABASE_SCHEMES = ("postgresql", "postgres")
LOG_FORMATS = ("text", "json")
ANY = "any"


def _kb(value: str) -> None:
    if not (Path(value) / "support.yml").is_file():
        raise InvalidSetting(
            f"DEFLECT_KB={value!r}: no knowledge base there (no support.yml); set it (or --kb) to the folder "
            "that holds docs/, support.yml and forms/"
        )


def _data_dir(value: str) -> None:
    """The folder, or where it will be made, must be writable; nothing is created before every setting is checked."""
    folder = Path(value).absolute()
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    try:
        if not existing.is_dir():
            raise NotADirectoryError(20, "Not a directory")
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        raise InvalidSetting(
            f"DEFLECT_DATA_DIR={value!r}: deflect cannot write there ({error.strerror or error}); point it at a "
            "folder this user may write (it holds the secret key, the SQLite store and the mail folder)"
        ) from None


def _smtp_url(value: str) -> None:
    try:
        parse_smtp_url(value)
    except ValueError as error:
        fix = "write smtp://user:pass@host:587?starttls=1 or smtps://user:pass@host:465"
        raise InvalidSetting(f"DEFLECT_SMTP_URL: {str(error).removeprefix('DEFLECT_SMTP_URL ')}; {fix}") from None


def _http_url(name: str, value: str, example: str) -> None:
    """An absolute http(s) URL with a host and a valid port; raise InvalidSetting naming `name`."""
    try:
        parts = urlsplit(value.strip())
        valid = parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:
        valid = False
    if not valid:
        raise InvalidSetting(f"{name}={value!r} is not an http:// or https:// URL with a host; write it like {example}")


def _webhook_url(value: str) -> None:
    _http_url("DEFLECT_WEBHOOK_URL", value, "https://helpdesk.example.com/hooks/deflect")


def _site_url(value: str) -> None:
    site_url(value)  # a whole URL, as MkDocs' site_url needs, or unset
    _http_url("DEFLECT_SITE_URL", value, "https://help.example.com/ (or leave it unset)")


def _cap(name: str) -> Callable[[str], None]:
    def check(value: str) -> None:
        try:
            caps.limits({name: value})
        except ValueError as error:
            raise InvalidSetting(str(error)) from None

    return check


def _rate_limit_storage(value: str) -> None:
    scheme = value.partition("://")[0].lower()
    fix = "write redis://host:6379/0 (rediss:// for TLS, redis+unix:///run/redis.sock), or leave it unset for memory"
    if value.strip().lower() == MEMORY:
        return
    if "://" not in value or scheme not in REDIS_SCHEMES:
        raise InvalidSetting(f"DEFLECT_RATE_LIMIT_STORAGE={value!r} is not a Redis URL; {fix}")
    if scheme in ("redis", "rediss"):
        _host_and_port("DEFLECT_RATE_LIMIT_STORAGE", value, fix)
    if importlib.util.find_spec("redis") is None:
        raise InvalidSetting(
            f"DEFLECT_RATE_LIMIT_STORAGE={value!r} needs the redis package: pip install 'deflect[redis]'"
        )


def _host_and_port(name: str, value: str, fix: str) -> None:
    try:
        parts = urlsplit(value)
        valid = bool(parts.hostname) and parts.port != 0
    except ValueError:
        valid = False
    if not valid:
        raise InvalidSetting(f"{name}={value!r} has no valid host and port; {fix}")


def _database_url(value: str) -> None:
    scheme = value.partition("://")[0].lower()
    if "://" not in value or scheme not in DATABASE_SCHEMES:
        raise InvalidSetting(
            f"DEFLECT_DATABASE_URL={value!r} is not a PostgreSQL URL; write postgresql://user:pass@host:5432/deflect, "
            "or leave it unset for SQLite in the data folder"
        )


def _outbox_lease(value: str) -> None:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 10 <= seconds <= 86400:  # shorter, a send or a busy store can outlast it: a message sent twice
        raise InvalidSetting(
            f"DEFLECT_OUTBOX_LEASE={value!r}: write the seconds a worker keeps a message it sends, from 10 to "
            "86400, like 300"
        )


def _log_format(value: str) -> None:
    if value.strip().lower() not in LOG_FORMATS:
        raise InvalidSetting(f"DEFLECT_LOG_FORMAT={value!r}: write text (one line each) or json (one object each)")


def metrics_networks(value: str | None) -> tuple | None:
    """The networks DEFLECT_METRICS_FROM lets read /metrics; None for any; raise InvalidSetting."""
    text = (value or "").strip()
    if text.lower() == ANY:
        return None
    try:
        return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in text.split(",") if item.strip())
    except ValueError as error:
        raise InvalidSetting(
            f"DEFLECT_METRICS_FROM={value!r}: {error}; write addresses or networks separated by commas "
            "(127.0.0.1, 10.0.0.0/8), or any"
        ) from None


CHECKS: dict[str, Callable[[str], None]] = {
    "DEFLECT_KB": _kb,
    "DEFLECT_DATA_DIR": _data_dir,
    "DEFLECT_SMTP_URL": _smtp_url,
    "DEFLECT_WEBHOOK_URL": _webhook_url,
    "DEFLECT_WEBHOOK_SECRET": signing_keys,
    "DEFLECT_SITE_URL": _site_url,
    caps.PER_ADDRESS: _cap(caps.PER_ADDRESS),
    caps.PER_HOUR: _cap(caps.PER_HOUR),
    proxies.SETTING: proxies.parse,
    "DEFLECT_RATE_LIMIT_STORAGE": _rate_limit_storage,
    "DEFLECT_DATABASE_URL": _database_url,
    "DEFLECT_OUTBOX_LEASE": _outbox_lease,
    "DEFLECT_LOG_FORMAT": _log_format,
    "DEFLECT_METRICS_FROM": metrics_networks,
    **{name: functools.partial(retention.check_number, name) for name in retention.BOUNDS},
    "DEFLECT_SEMANTIC": semantic_wanted,
}
UNCHECKED = {
    "DEFLECT_SECRET_KEY": "any text is a key; unset, one is generated into the data folder",
    "DEFLECT_EMBEDDING_CACHE": "a cache: a folder that cannot be written is logged and skipped, never a failure",
}


def problems(values: Mapping[str, object]) -> list[ValueError]:
    """What is wrong with these settings, one error per wrong setting, in the table's order."""
    found = []
    names = [s.name for s in SETTINGS] + [name for name in CHECKS if name not in {s.name for s in SETTINGS}]
    for name in names:
        value = values.get(name)
        if value is None or str(value) == "" or name not in CHECKS:
            continue
        try:
            CHECKS[name](str(value))
        except ValueError as error:  # InvalidSetting, and the delivery checks' own ValueErrors
            found.append(error)
    return found


def check(values: Mapping[str, object]) -> None:
    """Raise the problem with these settings (one wrong setting: its own error; several: all, one a line)."""
    found = problems(values)
    if len(found) == 1:
        raise found[0]
    if found:
        raise InvalidSetting(f"{len(found)} settings are wrong:\n" + "\n".join(f"- {error}" for error in found))
