"""Two deflect processes started together on one folder build the site and the index once, in turn.

Without a lock both rebuilt the same folders at the same time: MkDocs empties the site folder while
the other process writes into it.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from deflect.kb.folder import KnowledgeBase
from deflect.site.build_lock import lock_file
from tests.helpers import copy_kb, start_server

ARTICLE = "faq/accounts/reset-password/"


def test_two_deflect_serve_started_together_build_once_and_both_serve(tmp_path):
    kb = copy_kb(tmp_path / "project")
    data_dir = tmp_path / "var"
    with ThreadPoolExecutor(2) as pool:
        servers = list(pool.map(lambda _: start_server(kb.root, data_dir), range(2)))
    try:
        for server in servers:
            with urllib.request.urlopen(server.url + ARTICLE, timeout=10) as page:
                assert page.status == 200
        outputs = [server.output() for server in servers]
        assert sum(output.count("Building the site and the search index") for output in outputs) == 1, outputs
    finally:
        for server in servers:
            server.stop()


def test_deflect_build_waits_for_a_build_already_running_and_says_so(tmp_path):
    kb = copy_kb(tmp_path / "project")
    data_dir = tmp_path / "var"
    lock = lock_file(KnowledgeBase.at(kb.root).site_dir(data_dir))
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a `deflect serve` building in another process does
        build = subprocess.Popen(
            [sys.executable, "-m", "deflect", "build", "--kb", str(kb.root), "--no-semantic"],
            env={**os.environ, "PYTHONUNBUFFERED": "1", "DEFLECT_DATA_DIR": str(data_dir)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        first = build.stdout.readline()
        assert "Another deflect is building" in first and "waiting for it" in first
        time.sleep(0.5)
        assert build.poll() is None, "it built while the other build held the lock"
    output, _ = build.communicate(timeout=300)  # reads the rest and closes the pipe
    assert build.returncode == 0, output
    assert "Built " in output
