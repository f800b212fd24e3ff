"""The policy tables as a Python-Markdown extension: a directive line such as
`<!-- deflect: response-times -->` becomes the table `deflect.policy.tables` renders from support.yml.

An extension, not a theme feature: any MkDocs theme (or plain Python-Markdown) renders the same
tables. `deflect.site.hooks` adds it, with the knowledge base's policy, to the site's extensions.
"""

from __future__ import annotations

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

from deflect.policy import tables
from deflect.policy.model import Policy

# Before Python-Markdown's raw-HTML block preprocessor (priority 20) hides the directive comment.
PRIORITY = 25


class _Directives(Preprocessor):
    """Replaces each known directive line with its table; unknown ones are left for the writers' check."""

    def __init__(self, md: Markdown, policy: Policy):
        super().__init__(md)
        self.policy = policy

    def run(self, lines: list[str]) -> list[str]:
        return tables.render("\n".join(lines), self.policy).split("\n")


class PolicyTables(Extension):
    """Render the policy directives of a page from this policy."""

    def __init__(self, policy: Policy):
        super().__init__()
        self.policy = policy

    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(_Directives(md, self.policy), "deflect_policy_tables", PRIORITY)
