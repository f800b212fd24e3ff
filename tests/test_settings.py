"""The settings table is the one source for the environment and the README."""

from __future__ import annotations

from deflect import settings
from tests.helpers import PROJECT


def test_every_setting_is_documented_in_the_readme():
    readme = (PROJECT / "README.md").read_text()
    for setting in settings.SETTINGS:
        assert f"| `{setting.name}` |" in readme, f"{setting.name} is missing from the README's settings table"


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
