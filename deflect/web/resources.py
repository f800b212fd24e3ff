"""What the app keeps for its lifetime: the knowledge base, policy, forms, store and search index.

Read once at start-up (a broken policy or form stops the app with the file, line and fix); the
search index is opened lazily, once per app, and shared by threads (never per request).

Neither a broken index nor a store that is down breaks a page: a search that fails finds nothing
(logged once per outage, tried again every SEARCH_RETRY seconds); records that only count things
(content gaps, deflections) are written `best_effort`, without waiting for a busy store.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app
from mkdocs.exceptions import MkDocsException

from deflect.forms.load import load_forms
from deflect.forms.model import FormSet
from deflect.kb.folder import KnowledgeBase
from deflect.outage import Outage
from deflect.policy.model import Policy
from deflect.policy.reader import load_policy
from deflect.semantic.model import wanted
from deflect.store.base import FIRST_TRY, StoreBase
from deflect.store.factory import open_store
from deflect.store.model import StoreUnavailable

log = logging.getLogger(__name__)
QUICK_SKIP = 1.0  # seconds after a failure during which counting records skip the store untried


def site_name(kb: KnowledgeBase, policy: Policy) -> str:
    """The site's name from its mkdocs.yml, else the organisation's name plus Help Center."""
    try:
        name = kb.site_config().get("site_name")
    except (OSError, MkDocsException):
        name = None
    return str(name) if name else f"{policy.organisation['name']} Help Center"


def search_outage(index_dir: Path, retry: float = 10.0) -> Outage:
    """The search's state for the log: what a failure means for customers, and the fix."""
    return Outage(
        "Search",
        f"Customers get no suggestions and can still file requests; rebuild the index at "
        f"{index_dir} (`deflect build`, or restart `deflect serve`).",
        log,
        retry,
    )


@dataclass
class Resources:
    """The app's long-lived parts; `search` opens the index on first use.

    `store` is for filing: its calls give up after STORE_PATIENCE seconds, with at most
    STORE_WAITERS threads waiting for a locked store; `quick_store` never waits beyond a first try.
    """

    kb: KnowledgeBase
    policy: Policy
    forms: FormSet
    store: StoreBase
    index_dir: Path
    site_name: str
    semantic: bool = True  # False: DEFLECT_SEMANTIC=off, the lexical engine even with the extra
    _index: object = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    quick_store: StoreBase | None = None
    search_outage: Outage | None = None

    def __post_init__(self):
        self.quick_store = self.quick_store or self.store.with_patience(FIRST_TRY, waiters=0)
        self.search_outage = self.search_outage or search_outage(self.index_dir)

    def index(self):
        """The search index, opened once; None while it is missing or cannot be opened (logged once)."""
        if self._index is None:
            with self._lock:
                if self._index is None:
                    try:
                        self._index = self._open_index()
                    except Exception as error:  # a missing or broken index must not break filing
                        self.search_outage.failed(error)
        return self._index

    def _open_index(self):
        from deflect.search import SearchIndex

        if not (self.index_dir / "").exists():
            raise FileNotFoundError(f"no search index at {self.index_dir}")
        return SearchIndex.open(self.index_dir, semantic=self.semantic)

    def search(self, query: str, limit: int):
        """Search the knowledge base; an index that is missing or fails finds nothing (see `search_outage`)."""
        if not query.strip() or not self.search_outage.may_try():
            return [], None
        index = self.index()
        if index is None:
            return [], None
        try:
            response = index.search(query, limit=limit)
        except Exception as error:  # whatever a damaged index raises: no suggestions, filing goes on
            self.search_outage.failed(error)
            return [], None
        self.search_outage.worked()
        return response.results, response.did_you_mean

    @property
    def search_down(self) -> bool:
        """True while searches fail: pages say so instead of "no article matches"."""
        return self.search_outage.down


def init_app(app: Flask) -> None:
    """Load the knowledge base named by the config and keep it on the app."""
    kb = KnowledgeBase.at(app.config["KB"])
    policy = load_policy(kb.support_file)
    forms = load_forms(kb.forms, policy)
    data_dir = Path(app.config["DATA_DIR"])
    store = open_store(app.config.get("DEFLECT_DATABASE_URL"), data_dir)  # SQLite unless it names PostgreSQL
    index_dir = Path(app.config.get("INDEX_DIR") or kb.index_dir(data_dir))
    name = app.config.get("SITE_NAME") or site_name(kb, policy)
    requests = store.with_patience(float(app.config["STORE_PATIENCE"]), int(app.config["STORE_WAITERS"]))
    outage = search_outage(index_dir, float(app.config["SEARCH_RETRY"]))
    semantic = wanted(app.config.get("DEFLECT_SEMANTIC"))  # a wrong value stops the app with the fix
    app.extensions["deflect"] = Resources(kb, policy, forms, requests, index_dir, name, semantic, search_outage=outage)
    app.extensions["deflect_store"] = store  # the delivery worker's: same file, waits longer


def best_effort(record: Callable[[StoreBase], None]) -> None:
    """Write a record that only counts something, on the quick store: a store that is down skips it,
    and one that failed in the last QUICK_SKIP seconds is not tried, so no page waits for a known outage."""
    store = resources().quick_store
    if store.outage.failed_within(QUICK_SKIP):
        return
    with contextlib.suppress(StoreUnavailable):  # logged once per outage by the store
        record(store)


def resources() -> Resources:
    """The current app's resources."""
    return current_app.extensions["deflect"]
