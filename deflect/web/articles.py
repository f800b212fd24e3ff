"""The help center's articles as the search index lists them: the only pages feedback, deflections
and the thank-you page may name.

A link or page path is matched by the URL the index stores (site-relative, like
`faq/accounts/reset-password/`), after removing where the site is served (`SITE_URL`, or only its
path, as the site's widget sends `location.pathname`), the `#section` and any query. Titles always
come from the index, never from the link. The list is read from the index once and again every
REFRESH seconds, so a rebuilt index is followed without a request paying for a full read.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.parse
from dataclasses import dataclass

from flask import current_app

from deflect.web.resources import resources

log = logging.getLogger(__name__)
REFRESH = 30.0


@dataclass(frozen=True)
class Article:
    """An indexed article: its site-relative URL and its title."""

    url: str
    title: str


class ArticlesUnavailable(Exception):
    """The index cannot be read now, so no page can be checked."""


class _Catalogue:
    """The index's articles by URL, read at most every REFRESH seconds (one reader at a time)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_url: dict[str, Article] | None = None
        self.read_at = float("-inf")
        self.failing = False

    def get(self) -> dict[str, Article]:
        """The articles by URL (the last good read); raise ArticlesUnavailable when there is none."""
        with self.lock:
            if time.monotonic() - self.read_at > REFRESH:
                self.read_at = time.monotonic()
                self._read()
            if self.by_url is None:
                raise ArticlesUnavailable()
            return self.by_url

    def _read(self) -> None:
        try:
            index = resources().index()
            documents = index.documents() if index is not None else None
        except Exception:  # a broken index must not break the pages that only name an article
            if not self.failing:
                log.exception("the search index cannot be read: feedback and deflections cannot be checked")
            self.failing = True
            return
        self.failing = False
        if documents is not None:
            self.by_url = {url: Article(url, title) for _, title, url in documents}


def site_relative(reference: str) -> str | None:
    """The site-relative URL a link or page path names, or None when it points outside the site."""
    if any(ch in reference for ch in "\\\r\n\t") or reference.startswith("//"):
        return None
    site_url = current_app.config["SITE_URL"].rstrip("/") + "/"
    base_path = urllib.parse.urlsplit(site_url).path
    for prefix in (site_url, base_path):
        if prefix and reference.startswith(prefix):
            reference = reference[len(prefix) :]
            break
    else:
        if "://" in reference or reference.startswith("/"):
            return None
    path = urllib.parse.unquote(reference.split("#", 1)[0].split("?", 1)[0])
    return path.removesuffix("index.html")


def find_article(reference: object) -> Article | None:
    """The indexed article a link or page path names, else None (ArticlesUnavailable: cannot tell now)."""
    if not isinstance(reference, str) or len(reference) > 1000:
        return None
    url = site_relative(reference.strip())
    if url is None:
        return None
    catalogue = current_app.extensions.setdefault("deflect_articles", _Catalogue())
    return catalogue.get().get(url)
