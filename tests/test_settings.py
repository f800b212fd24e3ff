"""The settings table is the one source for the environment and the README."""

from __future__ import annotations

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
