"""benchmarks/http_load.py against two instances behind nginx, beside one instance on SQLite, in one run.

Usage (from the repository's root; needs Debian's nginx and redis-server: scripts/install-test-packages):

    .venv/bin/python benchmarks/instances_load.py                  # 2,000 requests per endpoint, 300 filings
    .venv/bin/python benchmarks/instances_load.py --filings 600 --concurrency 16

It builds the knowledge base once (`deflect build`), then starts the set-up of docs/deploy.md
section 5 on loopback ports: Redis, two `deflect serve --no-site` instances sharing one store
(PostgreSQL when the store speaks it, else SQLite in one data folder) and Debian's nginx running
docs/nginx/deflect.conf with both as upstreams; and beside it one `deflect serve` on SQLite alone.
Then it runs `http_load.py --url ... --filings N` against nginx and against the single instance, in
turn, and prints both. Everything runs on this machine's cores (the clients too): compare within
one run, not with another machine's figures. Loopback only; it stops everything at the end.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the tests folder's servers are imported as a package
    sys.path.insert(0, str(ROOT))

from benchmarks.http_load import start_server  # noqa: E402
from tests.helpers import copy_kb  # noqa: E402
from tests.nginx_front import start_nginx  # noqa: E402
from tests.postgres_server import start_postgres  # noqa: E402
from tests.redis_server import start_redis  # noqa: E402
from tests.several_instances import Instance  # noqa: E402


def run_load(name: str, url: str, args) -> None:
    """Run http_load.py --url against one set-up and print what it prints."""
    command = [sys.executable, str(ROOT / "benchmarks" / "http_load.py"), "--url", url, "--filings", str(args.filings)]
    command += ["--requests", str(args.requests), "--concurrency", str(args.concurrency)]
    command += ["--filing-concurrency", str(args.filing_concurrency)]
    print(f"== {name}", flush=True)
    subprocess.run(command, check=False)
    print(flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per GET endpoint (default 2000)")
    parser.add_argument("--filings", type=int, default=300, help="requests filed through the API (default 300)")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--filing-concurrency", type=int, default=8, help="concurrent clients filing (default 8)")
    args = parser.parse_args()
    postgres_store = importlib.util.find_spec("deflect.store.postgres") is not None
    with tempfile.TemporaryDirectory(prefix="deflect-instances-") as folder:
        root = Path(folder)
        kb, data = copy_kb(root / "release").root, root / "var"
        env = {**os.environ, "DEFLECT_DATA_DIR": str(data)}
        subprocess.run([sys.executable, "-m", "deflect", "build", "--kb", str(kb)], env=env, check=True)
        redis = start_redis(root / "redis")
        postgres = start_postgres() if postgres_store else None
        settings = {
            "DEFLECT_DATA_DIR": str(data),
            "DEFLECT_SECRET_KEY": "one-key-for-every-instance-0123456789",
            "DEFLECT_RATE_LIMIT_STORAGE": redis.url,
            "DEFLECT_TRUSTED_PROXIES": "127.0.0.1",
            **({"DEFLECT_DATABASE_URL": postgres.url} if postgres else {}),
        }
        instances = [Instance(kb, settings, root / f"instance-{n}.log").start() for n in (1, 2)]
        nginx = start_nginx(root / "nginx", kb.parent / "site", [i.port for i in instances])
        single, single_url = start_server(ROOT / "kb", root / "single", threads=8)
        try:
            store = "PostgreSQL" if postgres else "one SQLite file (PostgreSQL: not in this branch yet)"
            run_load(f"nginx, two `deflect serve --no-site` on {store}, Redis limits: {nginx.url}", nginx.url, args)
            run_load(f"one `deflect serve` on SQLite, memory limits: {single_url}", single_url, args)
        finally:
            single.send_signal(2)
            single.wait(30)
            nginx.stop()
            for instance in instances:
                instance.stop()
            redis.stop()
            if postgres is not None:
                postgres.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
