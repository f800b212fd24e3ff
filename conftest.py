"""Suite-wide pytest glue: a real `deflect serve` for the tests that need one, and the CI rule.

The CI rule: under `CI=true` a skipped test fails the run. A skip in CI means something the suite
promises (a browser, a server) was not there, and a green run must prove that it was. This hook
lives at the project root so that it sees the skips of every test folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import copy_kb, in_ci, start_server

# The delivery tests' fixtures (smtp_server, webhook_receiver, store, policy) and PostgreSQL's
# (postgres_server, postgres_url, postgres_store), for every test folder.
pytest_plugins = ("tests.delivery_fixtures", "tests.postgres_fixtures")


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


@pytest.fixture(scope="session")
def project_kb_copy(tmp_path_factory) -> Path:
    """A copy of the project's kb/ and mkdocs.yml, so that builds never touch the working tree."""
    return copy_kb(tmp_path_factory.mktemp("project")).root


@pytest.fixture(scope="session")
def start_deflect():
    """`start_deflect(kb_dir, data_dir, env=None)`: run the real `deflect serve`; call `.stop()` after."""
    return start_server


@pytest.fixture(scope="session", autouse=True)
def shared_embedding_cache(tmp_path_factory):
    """One embedding cache for the session's index builds, in-process and in `deflect serve`.

    With the semantic extra installed every build embeds its articles (about 10 s for kb/docs);
    the cache, keyed by text, makes every later build of the same pages take no model time.
    Tests about the cache itself pass their own `cache_dir`.
    """
    folder = tmp_path_factory.mktemp("embedding-cache")
    previous = os.environ.get("DEFLECT_EMBEDDING_CACHE")
    os.environ["DEFLECT_EMBEDDING_CACHE"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("DEFLECT_EMBEDDING_CACHE", None)
    else:
        os.environ["DEFLECT_EMBEDDING_CACHE"] = previous


@pytest.fixture(scope="session", autouse=True)
def delete_output_dir():
    """Keep test-results/ between runs (pytest-playwright empties it at every session's start).

    Each e2e test empties its own folder before its first screenshot, so nothing stale stays, and
    a unit-test run does not wipe the screenshots and failure pages of the last browser run.
    """
