"""A real PostgreSQL (Debian's package) for the tests: one server per session, a fresh database per test.

`initdb` and `postgres` run as an unprivileged user (PostgreSQL refuses root; as root, which CI
is, through `runuser` as the `postgres` system user the package creates, else `nobody`), with the
data and the socket in a temporary folder, listening on a free loopback port. The app's role
(`deflect`) logs in over TCP with a password (scram-sha-256), as in production; each test's
database is created from template1 (fast) and dropped at the end. The server runs without fsync
(unless `durable`, for benchmarks): these tests stop it cleanly, they do not pull the power. Missing PostgreSQL skips with the fix, or
fails under CI=true.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from tests.loopback import free_port

APP_USER, APP_PASSWORD = "deflect", "app-password-for-tests"
ADMIN_PASSWORD = "admin-password-for-tests"
INSTALL = "run scripts/test (it installs Debian's postgresql) or `sudo apt-get install postgresql postgresql-client`"


def binaries() -> Path:
    """The folder of Debian's PostgreSQL programs (the newest installed); skip, or fail under CI, with the fix."""
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda f: int(Path(f).parent.name), reverse=True)
    found = [Path(f) for f in folders if Path(f, "initdb").exists()]
    on_path = shutil.which("initdb")
    if found or on_path:
        return found[0] if found else Path(on_path).resolve().parent
    message = f"PostgreSQL is not installed: {INSTALL}"
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


def _run_as() -> tuple[list[str], pwd.struct_passwd | None]:
    """The command prefix that runs a program as an unprivileged user, and that user (None: ourselves)."""
    if os.geteuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            user = pwd.getpwnam(name)
            return ["runuser", "-u", name, "--"], user
    raise RuntimeError("running as root, but there is neither a postgres nor a nobody user to run PostgreSQL as")


class PostgresServer:
    """One PostgreSQL server in a temporary folder; `start()`, `stop()` (and start again), `remove()`."""

    def __init__(self, durable: bool = False):
        self.durable = durable  # fsync as in production (benchmarks); the tests go without
        self.bin = binaries()
        self.port = free_port()
        self.prefix, user = _run_as()
        # As another user, under /tmp: a TMPDIR below root's home would be out of that user's reach.
        self.folder = Path(tempfile.mkdtemp(prefix="deflect-pg-", dir="/tmp" if user is not None else None))
        if user is not None:
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self.data = self.folder / "data"
        self.process: subprocess.Popen | None = None
        self._names = itertools.count(1)

    def _as_user(self, *command: str, **options) -> subprocess.CompletedProcess:
        return subprocess.run([*self.prefix, *command], check=True, capture_output=True, text=True, **options)

    def initdb(self) -> None:
        """Create the cluster: superuser `postgres` with a password, trust only on its own socket."""
        secret = self.folder / "pwfile"
        secret.write_text(ADMIN_PASSWORD + "\n")
        if self.prefix:
            shutil.chown(secret, user=self.prefix[2])
        self._as_user(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", f"--pwfile={secret}",
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip
        secret.unlink()

    def start(self) -> PostgresServer:
        """Start the server (creating the cluster the first time) and wait until it takes connections."""
        if not self.data.exists():
            self.initdb()
        options = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.folder),
            "max_connections": "300",
            "shared_buffers": "64MB",
        }
        if not self.durable:
            options.update(fsync="off", synchronous_commit="off", full_page_writes="off")
        settings = [arg for key, value in options.items() for arg in ("-c", f"{key}={value}")]
        log = open(self.folder / "server.log", "a")  # noqa: SIM115 - the server's, closed at stop
        self.process = subprocess.Popen(
            [*self.prefix, str(self.bin / "postgres"), "-D", str(self.data), *settings],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._log = log
        self._wait_until_ready()
        with self.admin() as connection:
            if not connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_USER,)).fetchone():
                connection.execute(f"CREATE ROLE {APP_USER} LOGIN PASSWORD '{APP_PASSWORD}'")
        return self

    def _wait_until_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, f"PostgreSQL did not start:\n{self.log_text()}"
            try:
                with self.admin():
                    return
            except psycopg.OperationalError:
                assert time.monotonic() < deadline, f"PostgreSQL did not answer within {timeout} s:\n{self.log_text()}"
                time.sleep(0.1)

    def log_text(self) -> str:
        return (self.folder / "server.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        """Stop the server (fast shutdown: sessions are ended, everything committed is kept)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None
        self._log.close()

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:{ADMIN_PASSWORD}@127.0.0.1:{self.port}/{database}"

    def url(self, database: str) -> str:
        """The URL the app is given for a database (a password in it, as DEFLECT_DATABASE_URL often has)."""
        return f"postgresql://{APP_USER}:{APP_PASSWORD}@127.0.0.1:{self.port}/{database}"

    def admin(self, database: str = "postgres") -> psycopg.Connection:
        """A superuser connection (autocommit), for what an operator does by hand."""
        return psycopg.connect(self.admin_url(database), autocommit=True, connect_timeout=5)

    def create_database(self) -> str:
        """A new, empty database owned by the app's role; return its name."""
        name = f"deflect_test_{os.getpid()}_{next(self._names)}"
        with self.admin() as connection:
            connection.execute(f"CREATE DATABASE {name} OWNER {APP_USER} TEMPLATE template1 STRATEGY FILE_COPY")
        return name

    def drop_database(self, name: str) -> None:
        """Drop a test's database, ending any session still on it."""
        if self.running:
            with self.admin() as connection:
                connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
