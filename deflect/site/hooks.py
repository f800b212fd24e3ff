"""MkDocs build hooks (listed under `hooks:` in mkdocs.yml).

- Add the policy tables extension (`deflect.policy.markdown`) with the KB's support.yml, and warn
  about unknown directives (so `mkdocs build --strict` fails on them).
- Hand every rendered page (HTML and table of contents) to deflect.site, so the search index is
  built from exactly what the site shows; a page search never suggests (the home page, a landing
  page of links, `search: {exclude: true}`) shows no "Was this page helpful?" (the app would refuse it).
"""

from __future__ import annotations

import logging
from pathlib import Path

from mkdocs.exceptions import PluginError

from deflect.kb.pages import Page
from deflect.kb.problems import InvalidFile
from deflect.kb.render import Rendered, flatten_toc
from deflect.policy import tables
from deflect.policy.markdown import PolicyTables
from deflect.policy.reader import load_policy
from deflect.ranking.documents import is_suggested
from deflect.site import build as site

log = logging.getLogger("mkdocs.plugins.deflect")


def on_config(config):
    """Render the policy tables of the knowledge base the docs folder belongs to."""
    support_file = Path(config["docs_dir"]).parent / "support.yml"
    try:
        policy = load_policy(support_file)
    except InvalidFile as error:
        raise PluginError(f"{support_file} is invalid; fix it and build again:\n{error}") from None
    config.markdown_extensions.append(PolicyTables(policy))
    return config


def on_page_markdown(markdown, page, config, files):
    """Warn about directives no table answers to (the extension renders the known ones)."""
    for line, name in tables.unknown_directives(markdown):
        known = ", ".join(tables.DIRECTIVES)
        log.warning(f"{page.file.src_uri}:{line}: unknown directive 'deflect: {name}'; use one of: {known}")
    return markdown


def on_page_content(html, page, config, files):
    """Collect the page as published: source path, URL, title, front matter, HTML and table of contents."""
    toc = flatten_toc(page.toc, lambda link: (link.level, link.id, link.title), lambda link: link.children)
    published = Page(
        path=page.file.src_uri,
        url=page.url,
        title=page.title or "",
        markdown=page.markdown or "",
        meta=dict(page.meta),
        rendered=Rendered(html, toc),
    )
    site.collect(published)
    if not is_suggested(published):  # the app records feedback for indexed articles only
        hidden = page.meta.get("hide") or []
        page.meta["hide"] = [*([hidden] if isinstance(hidden, str) else hidden), "feedback"]
    return html
