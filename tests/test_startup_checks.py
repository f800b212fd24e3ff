"""Every setting is checked when the process starts: a wrong one stops it, naming the variable and the fix.

One table of (setting, bad value, what the message says); the same check runs in `create_app`,
`deflect serve` (before anything is built) and the WSGI entry point.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from deflect.cli import main
from deflect.settings import SETTINGS
from deflect.web import startup
from tests.helpers import KB, PROJECT, make_app

BAD = [
    ("DEFLECT_KB", "/no/such/kb", "no knowledge base there (no support.yml)"),
    ("DEFLECT_SMTP_URL", "mail.example.com:587", "must start with smtp:// or smtps://"),
    ("DEFLECT_SMTP_URL", "smtp://", "has no host"),
    ("DEFLECT_SMTP_URL", "smtp://mail.example.com:99999", "Port out of range"),
    ("DEFLECT_SMTP_URL", "smtp://mail.example.com?timeout=soon", "could not convert"),
    ("DEFLECT_WEBHOOK_URL", "helpdesk.example.com/hook", "is not an http:// or https:// URL with a host"),
    ("DEFLECT_WEBHOOK_URL", "ftp://helpdesk.example.com/hook", "is not an http:// or https:// URL"),
    ("DEFLECT_WEBHOOK_URL", "https://helpdesk.example.com:0/hook", "is not an http:// or https:// URL"),
    ("DEFLECT_WEBHOOK_SECRET", "s3cret", "too short to be safe"),
    ("DEFLECT_SITE_URL", "help.example.com", "like https://help.example.com/"),
    ("DEFLECT_SITE_URL", "//help.example.com/", "like https://help.example.com/"),
    ("DEFLECT_SITE_URL", "/", "like https://help.example.com/"),  # MkDocs' site_url is a whole URL
    ("DEFLECT_CONFIRMATIONS_PER_ADDRESS", "five", "write a whole number of confirmations per hour"),
    ("DEFLECT_CONFIRMATIONS_PER_HOUR", "-1", "write a whole number of confirmations per hour"),
    ("DEFLECT_TRUSTED_PROXIES", "the nginx box", "is not an IP address or network"),
    ("DEFLECT_RATE_LIMIT_STORAGE", "localhost:6379", "is not a Redis URL; write redis://host:6379/0"),
    ("DEFLECT_RATE_LIMIT_STORAGE", "memcached://localhost:11211", "is not a Redis URL"),
    ("DEFLECT_RATE_LIMIT_STORAGE", "redis://:6379/0", "has no valid host and port"),
    ("DEFLECT_RATE_LIMIT_STORAGE", "redis://localhost:port/0", "has no valid host and port"),
    ("DEFLECT_DATABASE_URL", "mysql://deflect@db/deflect", "is not a PostgreSQL URL; write postgresql://"),
    ("DEFLECT_OUTBOX_LEASE", "3", "write the seconds a worker keeps a message"),
    ("DEFLECT_OUTBOX_LEASE", "five minutes", "from 10 to 86400, like 300"),
    ("DEFLECT_LOG_FORMAT", "xml", "write text (one line each) or json"),
    ("DEFLECT_METRICS_FROM", "prometheus.local", "does not appear to be an IPv4 or IPv6 network"),
]


@pytest.mark.parametrize(("name", "value", "says"), BAD, ids=[f"{n}={v}" for n, v, _ in BAD])
def test_a_wrong_setting_is_named_with_the_fix(name, value, says):
    with pytest.raises(ValueError) as refused:
        startup.check({name: value})
    message = str(refused.value)
    assert message.startswith(name) and says in message


def test_a_data_folder_that_cannot_be_written_is_named_with_the_fix(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ValueError, match="DEFLECT_DATA_DIR=.*cannot write there.*point it at a folder"):
        startup.check({"DEFLECT_DATA_DIR": str(blocker / "var")})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEFLECT_SMTP_URL", "smtp://deflect:s3cret@mail.example.com:587?starttls=1"),
        ("DEFLECT_SMTP_URL", "smtps://mail.example.com"),
        ("DEFLECT_WEBHOOK_URL", "https://helpdesk.example.com/hooks/deflect"),
        ("DEFLECT_SITE_URL", "https://help.example.com/"),
        ("DEFLECT_RATE_LIMIT_STORAGE", "memory://"),
        ("DEFLECT_RATE_LIMIT_STORAGE", "redis://:password@redis.internal:6379/2"),
        ("DEFLECT_RATE_LIMIT_STORAGE", "redis+unix:///run/redis/redis.sock"),
        ("DEFLECT_DATABASE_URL", "postgresql://deflect:pw@db.internal:5432/deflect"),
        ("DEFLECT_LOG_FORMAT", "JSON"),
        ("DEFLECT_METRICS_FROM", "any"),
        ("DEFLECT_METRICS_FROM", "127.0.0.1, 10.0.0.0/8, ::1"),
    ],
)
def test_a_good_setting_passes(name, value):
    startup.check({name: value})


def test_every_setting_has_a_check_or_a_reason_for_none():
    for setting in SETTINGS:
        assert setting.name in startup.CHECKS or setting.name in startup.UNCHECKED, setting.name
    # and every check is a setting's (the database URL's row comes with the PostgreSQL store)
    assert set(startup.CHECKS) - {s.name for s in SETTINGS} <= {"DEFLECT_DATABASE_URL"}


def test_several_wrong_settings_are_reported_together_one_a_line():
    with pytest.raises(ValueError) as refused:
        startup.check({"DEFLECT_LOG_FORMAT": "xml", "DEFLECT_SITE_URL": "help.example.com"})
    lines = str(refused.value).splitlines()
    assert lines[0] == "2 settings are wrong:"
    assert lines[1].startswith("- DEFLECT_SITE_URL=") and lines[2].startswith("- DEFLECT_LOG_FORMAT=")


def test_the_app_does_not_start_with_a_wrong_setting(kb_dir, kb_index, tmp_path):
    with pytest.raises(ValueError, match="DEFLECT_RATE_LIMIT_STORAGE='localhost:6379' is not a Redis URL"):
        make_app(kb_dir, tmp_path / "var", kb_index, DEFLECT_RATE_LIMIT_STORAGE="localhost:6379")


def test_deflect_serve_stops_before_building_and_names_every_wrong_setting(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEFLECT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DEFLECT_SMTP_URL", "mail.example.com")
    monkeypatch.setenv("DEFLECT_METRICS_FROM", "everyone")
    result = CliRunner().invoke(main, ["serve", "--kb", str(KB)])
    assert result.exit_code == 1
    assert "deflect cannot start: 2 settings are wrong" in result.output
    assert (
        "DEFLECT_SMTP_URL: must start with smtp://" in result.output
        and "DEFLECT_METRICS_FROM='everyone'" in result.output
    )
    assert "Building" not in result.output and not (tmp_path / "var" / "index").exists()


def test_the_wsgi_entry_point_stops_with_the_variable_and_the_fix(tmp_path):
    environment = {**os.environ, "DEFLECT_KB": str(KB), "DEFLECT_DATA_DIR": str(tmp_path / "var")}
    environment["DEFLECT_WEBHOOK_URL"] = "helpdesk.example.com"
    result = subprocess.run(
        [sys.executable, "-c", "import deflect.web.wsgi"],
        cwd=tmp_path,
        env={**environment, "PYTHONPATH": str(PROJECT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "deflect cannot start: DEFLECT_WEBHOOK_URL='helpdesk.example.com'" in result.stderr
    assert "Traceback" not in result.stderr
