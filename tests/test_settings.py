"""The settings table is the one source for the environment and the README."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from deflect import settings
from deflect.cli import main
from tests.helpers import PROJECT


def test_the_readmes_settings_table_is_the_settings_table():
    readme = (PROJECT / "README.md").read_text()
    assert settings.markdown_table() in readme, "README's settings table differs: paste `deflect settings --markdown`"


def test_deflect_settings_shows_what_is_in_force_and_never_a_secret(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEFLECT_SMTP_URL", "smtp://deflect:s3cret-pass@mail.example.com:587?starttls=1")
    monkeypatch.setenv("DEFLECT_SECRET_KEY", "the-secret-key-itself")
    result = CliRunner().invoke(main, ["settings"])
    assert result.exit_code == 0
    assert "smtp://deflect:***@mail.example.com:587?starttls=1" in result.output
    assert "s3cret-pass" not in result.output and "the-secret-key-itself" not in result.output
    assert "DEFLECT_SECRET_KEY" in result.output and "(set, not shown)" in result.output


def test_the_environment_overrides_a_dotenv_file_which_overrides_the_default(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEFLECT_DATA_DIR=/from/dotenv\nDEFLECT_KB=/kb/from/dotenv\n")
    values = settings.load({"DEFLECT_KB": "/kb/from/env"}, env_file)
    assert values["DEFLECT_KB"] == "/kb/from/env"
    assert values["DEFLECT_DATA_DIR"] == "/from/dotenv"
    assert values["DEFLECT_SMTP_URL"] is None


def test_the_secret_key_is_generated_once_and_kept(tmp_path):
    first = settings.secret_key(tmp_path)
    assert len(first) >= 32
    assert settings.secret_key(tmp_path) == first
    assert settings.secret_key(tmp_path, "configured") == "configured"


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, None),
        ("", None),
        ("https://help.example.com", "https://help.example.com/"),
        ("http://127.0.0.1:8000/kb/", "http://127.0.0.1:8000/kb/"),
    ],
)
def test_the_public_url_is_a_whole_url_or_unset(value, expected):
    assert settings.site_url(value) == expected


@pytest.mark.parametrize("value", ["/", "/help/", "help.example.com", "ftp://help.example.com/", "http://[::1"])
def test_a_public_url_without_scheme_and_host_is_refused_naming_the_variable_and_the_fix(value):
    with pytest.raises(settings.InvalidSetting, match=r"DEFLECT_SITE_URL=.*like https://help.example.com/"):
        settings.site_url(value)


def test_deflect_serve_refuses_such_a_url_before_it_builds_anything(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEFLECT_SITE_URL", "/help/")
    result = CliRunner().invoke(main, ["serve", "--kb", str(PROJECT / "kb"), "--port", "0"])
    assert result.exit_code != 0
    assert "deflect cannot start: DEFLECT_SITE_URL='/help/'" in result.output
    assert not (tmp_path / "var").exists()


def test_a_public_url_in_a_dotenv_file_reaches_mkdocs_through_the_environment(monkeypatch, tmp_path):
    """mkdocs.yml reads `site_url: !ENV [DEFLECT_SITE_URL, null]`: the deflect command exports the .env value."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEFLECT_SITE_URL", "placeholder")  # so the value the command sets is undone after
    monkeypatch.delenv("DEFLECT_SITE_URL")
    (tmp_path / ".env").write_text("DEFLECT_SITE_URL=https://help.example.com/\n")
    assert CliRunner().invoke(main, ["settings"]).exit_code == 0
    assert os.environ["DEFLECT_SITE_URL"] == "https://help.example.com/"
