"""One build at a time: two `deflect serve` (or `deflect build`) started together on one folder.

Each would rebuild the same site and index at once: MkDocs empties the site folder while the other
writes into it. The first takes an exclusive lock on a file beside the site folder; the others wait
for it, then find the build fresh and start at once. The lock is the kernel's (`flock`): a process
that dies releases it.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Callable, Iterator
from pathlib import Path


def lock_file(site_dir: Path) -> Path:
    """The lock of builds into `site_dir`: `site.lock` beside it (one site folder, one index folder)."""
    return site_dir.with_name(site_dir.name + ".lock")


@contextlib.contextmanager
def one_build_at_a_time(site_dir: Path, echo: Callable[[str], None] = print) -> Iterator[None]:
    """Hold the build lock of `site_dir`; say so when another process holds it and wait for it."""
    path = lock_file(site_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            echo(f"Another deflect is building {site_dir} (it holds {path}): waiting for it ...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
