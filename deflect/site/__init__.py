"""The help-center site: the MkDocs build, its hooks, whether a build is fresh, the writers' check.

`build` (a real `mkdocs build`, then the index from exactly the pages it published), `hooks` (the
MkDocs hooks file), `freshness` (is the site or the index older than its sources, or unreadable?),
`build_lock` (one build at a time per site folder, for processes started together) and `check`
(`deflect check`: everything a writer's pull request must pass).

May import: kb, policy, forms, ranking, semantic, search.
"""
