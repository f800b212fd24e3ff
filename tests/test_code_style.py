"""The project's habits, held by the suite: ruff's lint rules and formatting (configured in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


def ruff(*args: str) -> subprocess.CompletedProcess:
    executable = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    return subprocess.run([executable, *args], cwd=PROJECT, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("command", [("check", "."), ("format", "--check", ".")], ids=["lint", "format"])
def test_ruff_finds_nothing_to_change(command):
    result = ruff(*command)
    assert result.returncode == 0, f"ruff {' '.join(command)}: fix with `ruff check --fix .` / `ruff format .`\n" + (
        result.stdout + result.stderr
    )
