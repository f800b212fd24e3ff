"""Suite-wide pytest glue: a real `deflect serve` for the tests that need one, and the CI rule.

The CI rule: under `CI=true` a skipped test fails the run. A skip in CI means something the suite
promises (a browser, a server) was not there, and a green run must prove that it was. This hook
lives at the project root so that it sees the skips of every test folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.loopback import free_port

# The delivery tests' fixtures (smtp_server, webhook_receiver, store, policy), for every test folder.
pytest_plugins = ("tests.delivery_fixtures",)

PROJECT = Path(__file__).resolve().parent


def in_ci() -> bool:
    """True when running in CI (`CI=true`, as GitHub Actions and most CI services set it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def pytest_sessionfinish(session, exitstatus):
    """Under CI=true, turn a green run with skipped tests into a failure that lists them."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if in_ci() and skipped and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        lines = [f"  {report.nodeid}: {_skip_reason(report)}" for report in skipped]
        reporter.write_line(f"CI=true and {len(skipped)} test(s) skipped; in CI every test must run:", red=True)
        for line in lines:
            reporter.write_line(line, red=True)


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    return longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)


@dataclass
class LiveServer:
    """A `deflect serve` subprocess on a loopback port."""

    process: subprocess.Popen
    url: str  # ends with "/"
    log: Path

    def output(self) -> str:
        """Everything the server printed so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, timeout: float = 20) -> int:
        """Send Ctrl-C (SIGINT), as a person would, and wait for a clean exit; kill if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_server(
    kb_dir: Path,
    data_dir: Path,
    env: dict[str, str] | None = None,
    timeout: float = 90,
    extra_args: tuple[str, ...] = (),
) -> LiveServer:
    """Run the real `deflect serve --kb KB` on a free loopback port and wait until it answers."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"serve-{port}.log"
    environment = {**os.environ, "DEFLECT_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **(env or {})}
    command = [sys.executable, "-m", "deflect", "serve", "--kb", str(kb_dir), "--port", str(port), *extra_args]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=data_dir, env=environment, stdout=sink, stderr=subprocess.STDOUT)
    server = LiveServer(process, f"http://127.0.0.1:{port}/", log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"deflect serve exited with {process.returncode}:\n{server.output()}")
        try:
            with urllib.request.urlopen(server.url, timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"deflect serve did not answer within {timeout} s:\n{server.output()}")


@pytest.fixture(scope="session")
def project_kb_copy(tmp_path_factory) -> Path:
    """A copy of the project's kb/ and mkdocs.yml, so that builds never touch the working tree."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(PROJECT / "kb", root / "kb")
    shutil.copy2(PROJECT / "mkdocs.yml", root / "mkdocs.yml")
    return root / "kb"


@pytest.fixture(scope="session")
def start_deflect():
    """`start_deflect(kb_dir, data_dir, env=None)`: run the real `deflect serve`; call `.stop()` after."""
    return start_server


@pytest.fixture(scope="session", autouse=True)
def delete_output_dir():
    """Keep test-results/ between runs (pytest-playwright empties it at every session's start).

    Each e2e test empties its own folder before its first screenshot, so nothing stale stays, and
    a unit-test run does not wipe the screenshots and failure pages of the last browser run.
    """
