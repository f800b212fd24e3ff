"""MkDocs build hooks (listed under `hooks:` in mkdocs.yml).

- Render policy directives (`<!-- deflect: response-times -->`) from the KB's support.yml.
- Hand every rendered page (HTML and table of contents) to deflect.site, so the search index is
  built from exactly what the site shows.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mkdocs.exceptions import PluginError

from deflect.policy import tables
from deflect.site import build as site
from deflect.kb.pages import Page
from deflect.kb.render import Rendered, flatten_toc
from deflect.kb.problems import InvalidFile
from deflect.policy.reader import load_policy

log = logging.getLogger("mkdocs.plugins.deflect")
_policies: dict[str, object] = {}


def on_config(config):
    """Load the policy of the knowledge base the docs folder belongs to."""
    support_file = Path(config["docs_dir"]).parent / "support.yml"
    try:
        _policies[config["docs_dir"]] = load_policy(support_file)
    except InvalidFile as error:
        raise PluginError(f"{support_file} is invalid; fix it and build again:\n{error}") from None
    return config


def on_page_markdown(markdown, page, config, files):
    """Replace policy directives with tables from support.yml."""
    for line, name in tables.unknown_directives(markdown):
        known = ", ".join(tables.DIRECTIVES)
        log.warning(f"{page.file.src_uri}:{line}: unknown directive 'deflect: {name}'; use one of: {known}")
    return tables.render(markdown, _policies[config["docs_dir"]])


def on_page_content(html, page, config, files):
    """Collect the page as published: source path, URL, title, front matter, HTML and table of contents."""
    toc = flatten_toc(page.toc, lambda link: (link.level, link.id, link.title), lambda link: link.children)
    site.collect(Page(path=page.file.src_uri, url=page.url, title=page.title or "",
                      markdown=page.markdown or "", meta=dict(page.meta), rendered=Rendered(html, toc)))
    return html
