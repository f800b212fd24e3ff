"""A real PostgreSQL (Debian's) on a free loopback port, run as an unprivileged user: a minimal stand-in.

The pgstore work brings the project's own PostgreSQL fixture; until both are merged, the
several-instances test uses this one when the store can speak PostgreSQL (deflect.store.postgres).
PostgreSQL refuses to run as root, so under root the cluster belongs to `nobody`, in a folder of
its own outside pytest's private temporary folders.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.loopback import free_port


def postgres_bin(name: str) -> str:
    """The path of one of PostgreSQL's programs (initdb, postgres, createdb), newest version first."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True) or [shutil.which(name)]
    if not found[0]:
        raise RuntimeError(f"PostgreSQL's {name} is not installed: apt-get install postgresql")
    return found[0]


@dataclass
class PostgresServer:
    """A running cluster with one database, `deflect`, that user `deflect` may use without a password."""

    folder: Path
    port: int
    process: subprocess.Popen
    user: str | None

    @property
    def url(self) -> str:
        return f"postgresql://deflect@127.0.0.1:{self.port}/deflect"

    def stop(self) -> None:
        """Fast shutdown (SIGINT), then remove the cluster's folder."""
        if self.process.poll() is None:
            self.process.send_signal(2)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres(timeout: float = 30) -> PostgresServer:
    """initdb, start on a free loopback port (and a socket in its own folder), create the database."""
    user = "nobody" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="deflect-pg-"))
    if user:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    data, port = folder / "data", free_port()
    run = {"user": user, "check": True, "capture_output": True, "cwd": folder}
    subprocess.run([postgres_bin("initdb"), "-D", str(data), "-U", "deflect", "--auth=trust", "-E", "UTF8"], **run)
    command = [postgres_bin("postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1", "-k", str(folder)]
    with (folder / "postgres.log").open("wb") as log:
        process = subprocess.Popen(command, user=user, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    server = PostgresServer(folder, port, process, user)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        created = subprocess.run(
            [postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "deflect", "deflect"],
            capture_output=True,
            check=False,
        )
        if created.returncode == 0:
            return server
        if process.poll() is not None:
            break
        time.sleep(0.2)
    log_text = (folder / "postgres.log").read_text(errors="replace")
    server.stop()
    raise RuntimeError(f"PostgreSQL did not start on {port}: {log_text}")
