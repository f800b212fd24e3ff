"""A real Redis (Debian's redis-server) on a free loopback port, for the shared rate limits.

No persistence, no other interface; stopped (SIGTERM, then SIGKILL) by the fixture that started it.
Redis runs as root fine, so it runs as whoever runs the tests. `scripts/install-test-packages`
installs it when missing; without it the tests that need it fail under CI=true.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import in_ci
from tests.loopback import free_port


def redis_binary() -> str:
    """Debian's redis-server, or skip (fail under CI) with the command that installs it."""
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if found is None:
        message = "redis-server is not installed: run scripts/install-test-packages (apt-get install redis-server)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return found


@dataclass
class RedisServer:
    """A running redis-server: its URL and process; `stop()` and `start()` again on the same port."""

    folder: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> RedisServer:
        """Start redis-server on this port and wait until it answers PING."""
        command = [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", str(self.folder), "--daemonize", "no", "--protected-mode", "yes"]
        with (self.folder / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {(self.folder / 'redis.log').read_text(errors='replace')}")
            if self.ping():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on {self.port} within {timeout} s")

    def ping(self) -> bool:
        """True when the server answers PING."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Stop it (SIGTERM; SIGKILL after 10 s)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def start_redis(folder: Path) -> RedisServer:
    """A fresh redis-server on a free loopback port, data in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    return RedisServer(folder, free_port()).start()
