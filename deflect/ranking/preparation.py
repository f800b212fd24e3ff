"""Pages prepared for the index (rendered, read into sections, analysed): in this process, or in
two for a large build while this one writes the index.

Rendering a page as the site does costs about 2.5 ms, most of a build's time: from
`PARALLEL_BUILD` pages two processes prepare them, 5,000 articles in 19 s instead of 25 s on two
cores (benchmarks/README.md). Plain Python: `deflect/search.py` passes the function that prepares
one page.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor

PARALLEL_BUILD = 1000  # pages


def _start_method() -> str:
    """fork when this process runs no other thread (it starts at once), else spawn (safe)."""
    methods = multiprocessing.get_all_start_methods()
    return "fork" if "fork" in methods and threading.active_count() == 1 else "spawn"


def prepared(prepare: Callable, pages: list) -> Iterator:
    """Yield `prepare(page)` for every page, in order; in two processes for large builds.

    `prepare` must be a module-level function (a spawned process imports it by name).
    """
    procs = min(2, os.cpu_count() or 1)
    if len(pages) < PARALLEL_BUILD or procs < 2:
        yield from map(prepare, pages)
        return
    with ProcessPoolExecutor(procs, mp_context=multiprocessing.get_context(_start_method())) as pool:
        yield from pool.map(prepare, pages, chunksize=32)
