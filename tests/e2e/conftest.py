"""Real-browser fixtures: Debian's Chromium, the real `deflect serve`, a real SMTP server, screenshots.

- `browser_type_launch_args`: Playwright drives the system's Chromium (`executable_path`); no
  browser is downloaded. Missing Chromium skips these tests with the fix, or fails them under CI=true.
- `smtp_server`: aiosmtpd on a free loopback port, collecting every message it receives.
- `served`: `deflect serve` in a subprocess (a copy of the project's kb/, a fresh data dir, the
  SMTP server above), once per session, stopped with Ctrl-C at the end.
- `steps`: `steps.shot("name")` saves test-results/e2e/<test>/NN-name.png; a failing test also
  leaves failure.png and failure.html there.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from customer import Customer

from tests.helpers import in_ci
from tests.loopback import SmtpServer

RESULTS = Path(__file__).resolve().parents[2] / "test-results" / "e2e"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}


def chromium_path() -> str | None:
    """Debian's Chromium (or $CHROMIUM), if installed."""
    candidates = [os.environ.get("CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium headless with the flags that work on a machine with no network."""
    executable = chromium_path()
    if executable is None:
        message = (
            "Chromium is not installed: run scripts/test (it installs Debian's `chromium`) or "
            "`sudo apt-get install chromium`"
        )
        if in_ci():
            pytest.fail(f"CI=true: {message}", pytrace=False)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": executable, "headless": True, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A desktop-sized window, English, no animations to wait for."""
    return {**browser_context_args, "viewport": DESKTOP, "locale": "en-US", "reduced_motion": "reduce"}


# --- A real SMTP server ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free port of 127.0.0.1, for the whole session."""
    server = SmtpServer().start()
    yield server
    server.stop()


# --- The real server -------------------------------------------------------------------------


@dataclass
class Served:
    """The running `deflect serve`: its URL, its data dir, the SMTP server it sends to."""

    url: str
    data_dir: Path
    kb_dir: Path
    smtp: SmtpServer

    def store(self):
        """The app's request store (the same SQLite file the server writes)."""
        from deflect.store.sqlite import Store

        return Store(self.data_dir / "deflect.sqlite3")


@pytest.fixture(scope="session")
def served(start_deflect, project_kb_copy, smtp_server, tmp_path_factory):
    """`deflect serve` on a free loopback port, sending mail to the test SMTP server."""
    data_dir = tmp_path_factory.mktemp("served-data")
    server = start_deflect(
        project_kb_copy, data_dir, env={"DEFLECT_SMTP_URL": smtp_server.url, "DEFLECT_WEBHOOK_URL": ""}
    )
    yield Served(server.url, data_dir, project_kb_copy, smtp_server)
    code = server.stop()
    assert code == 0, f"deflect serve did not stop cleanly ({code}):\n{server.output()}"


# --- Screenshots -----------------------------------------------------------------------------


def _folder_for(item) -> Path:
    """test-results/e2e/<test name>, safe as a folder name."""
    return RESULTS / re.sub(r"[^\w.-]+", "-", item.name).strip("-")


class Steps:
    """Numbered screenshots of a test's steps: 01-home.png, 02-search.png, ..."""

    def __init__(self, page, folder: Path):
        self.page, self.folder, self.count = page, folder, 0
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    def shot(self, name: str, full_page: bool = True) -> Path:
        """Save a screenshot of this step: the full page, or the window (for a dialog over the page)."""
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=path, full_page=full_page)
        return path


@pytest.fixture
def steps(page, request) -> Steps:
    """Screenshots of each step of the test, under test-results/e2e/<test>/."""
    return Steps(page, _folder_for(request.node))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, keep the page's HTML and a screenshot beside the step screenshots."""
    report = yield
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.failed and report.when == "call" and page is not None and not page.is_closed():
        folder = _folder_for(item)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            (folder / "failure.html").write_text(page.content(), encoding="utf-8")
            page.screenshot(path=folder / "failure.png", full_page=True)
            report.sections.append(("e2e artifacts", f"{folder}/failure.png and failure.html (URL {page.url})"))
        except Exception as error:  # the page may have crashed; the report must still be written
            report.sections.append(("e2e artifacts", f"could not save the page: {error}"))
    return report


@pytest.fixture(scope="session")
def base_url(served) -> str:
    """Relative `page.goto("/support/")` goes to the served app (replaces the plugin's fixture)."""
    return served.url


@pytest.fixture
def customer(page, served) -> Customer:
    """The customer's actions on the support pages."""
    return Customer(page, served)
