"""What the app keeps for its lifetime: the knowledge base, policy, forms, store and search index.

Read once at start-up (a broken policy or form stops the app with the file, line and fix); the
search index is opened lazily, once per app, and shared by threads (never per request).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app
from mkdocs.exceptions import MkDocsException

from deflect.forms import FormSet, load_forms
from deflect.kb import KnowledgeBase
from deflect.policy import Policy, load_policy
from deflect.store import Store

log = logging.getLogger(__name__)


def site_name(kb: KnowledgeBase, policy: Policy) -> str:
    """The site's name from its mkdocs.yml, else the organisation's name plus Help Center."""
    try:
        name = kb.site_config().get("site_name")
    except (OSError, MkDocsException):
        name = None
    return str(name) if name else f"{policy.organisation['name']} Help Center"


@dataclass
class Resources:
    """The app's long-lived parts; `search` opens the index on first use."""

    kb: KnowledgeBase
    policy: Policy
    forms: FormSet
    store: Store
    index_dir: Path
    site_name: str
    _index: object = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def index(self):
        """The search index, opened once; None when it has not been built yet."""
        if self._index is None:
            with self._lock:
                if self._index is None and (self.index_dir / "").exists():
                    from deflect.search import SearchIndex

                    try:
                        self._index = SearchIndex.open(self.index_dir)
                    except Exception:  # a missing or half-built index must not break filing
                        log.exception("search index at %s cannot be opened; run `deflect build`", self.index_dir)
        return self._index

    def search(self, query: str, limit: int):
        """Search the knowledge base; an unbuilt index finds nothing."""
        index = self.index()
        if index is None or not query.strip():
            return [], None
        response = index.search(query, limit=limit)
        return response.results, response.did_you_mean


def init_app(app: Flask) -> None:
    """Load the knowledge base named by the config and keep it on the app."""
    kb = KnowledgeBase.at(app.config["KB"])
    policy = load_policy(kb.support_file)
    forms = load_forms(kb.forms, policy)
    data_dir = Path(app.config["DATA_DIR"])
    store = Store.in_data_dir(data_dir)
    index_dir = Path(app.config.get("INDEX_DIR") or kb.index_dir(data_dir))
    name = app.config.get("SITE_NAME") or site_name(kb, policy)
    app.extensions["deflect"] = Resources(kb, policy, forms, store, index_dir, name)
    app.extensions["deflect_store"] = store  # the delivery worker uses the same store


def resources() -> Resources:
    """The current app's resources."""
    return current_app.extensions["deflect"]
