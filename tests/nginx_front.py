"""A real nginx (Debian's package) on a free loopback port, running the documented docs/nginx/deflect.conf.

The documented file is used as it is, with only its three CHANGE lines replaced (the port, the
site folder, the upstream); a small main config around it stands in for Debian's nginx.conf and
keeps every file nginx writes in the test's folder. nginx runs in the foreground and is stopped
by the test (SIGQUIT, then SIGKILL if it hangs). Missing nginx skips with the fix, or fails under CI.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
DOCUMENTED = PROJECT / "docs" / "nginx" / "deflect.conf"
MAIN = """\
daemon off;
master_process on;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
{user}
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/deflect.conf;
}}
"""


def nginx_binary() -> str:
    """Debian's nginx; skip (or fail under CI=true) with the command that installs it."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if found is None:
        message = (
            "nginx is not installed: run scripts/test (it installs Debian's nginx) or `sudo apt-get install nginx`"
        )
        if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
            pytest.fail(f"CI=true: {message}", pytrace=False)
        pytest.skip(message)
    return found


def documented_config(port: int, site: Path, app_port: int | list[int], tls: tuple[Path, Path] | None = None) -> str:
    """docs/nginx/deflect.conf with its port, site folder and upstream replaced (each exactly once).

    With `tls` (certificate, key), it listens with TLS as docs/deploy.md shows. Several app ports
    make one upstream `server` line each, as docs/deploy.md says for several instances.
    """
    ports = app_port if isinstance(app_port, list) else [app_port]
    upstream = "\n    ".join(f"server 127.0.0.1:{each};" for each in ports)
    text = DOCUMENTED.read_text(encoding="utf-8")
    listen = f"listen 127.0.0.1:{port};"
    if tls:
        listen = f"listen 127.0.0.1:{port} ssl;\n    ssl_certificate {tls[0]};\n    ssl_certificate_key {tls[1]};"
    for line, replacement in (
        ("listen 80;", listen),
        ("root /srv/deflect/site;", f"root {site};"),
        ("server 127.0.0.1:8000;", upstream),
    ):
        assert text.count(line) == 1, (
            f"{DOCUMENTED.name} no longer has exactly one {line!r}: update tests/nginx_front.py"
        )
        text = text.replace(line, replacement)
    return text


@dataclass
class Nginx:
    """A running nginx: its URL (ends with "/"), port, folder and process."""

    process: subprocess.Popen
    url: str
    port: int
    folder: Path

    def error_log(self) -> str:
        log = self.folder / "error.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def stop(self) -> None:
        """Graceful stop (SIGQUIT); kill when it does not end in 10 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made by openssl (Debian's), valid for a day."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def start_nginx(
    folder: Path, site: Path, app_port: int | list[int], timeout: float = 15, tls: tuple[Path, Path] | None = None
) -> Nginx:
    """Run nginx with the documented config on a free loopback port, in front of 127.0.0.1:app_port (or each port)."""
    from tests.loopback import free_port

    binary, port = nginx_binary(), free_port()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deflect.conf").write_text(documented_config(port, site, app_port, tls), encoding="utf-8")
    # Workers run as this user: as root the default (nobody) could not read pytest's private tmp folders.
    user = "user root;" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(MAIN.format(folder=folder, user=user), encoding="utf-8")
    command = [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")]
    with (folder / "stderr.log").open("wb") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
    nginx = Nginx(process, f"{'https' if tls else 'http'}://127.0.0.1:{port}/", port, folder)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"nginx exited with {process.returncode}: "
                f"{(folder / 'stderr.log').read_text(errors='replace')}\n{nginx.error_log()}"
            )
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return nginx
        except OSError:
            time.sleep(0.1)
    nginx.stop()
    raise RuntimeError(f"nginx did not listen on {port} within {timeout} s:\n{nginx.error_log()}")
