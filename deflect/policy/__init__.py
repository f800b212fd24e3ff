"""The support policy of `kb/support.yml`: priorities, tags, plans and targets, hours, routes.

`model` (the checked policy), `reader` (reading support.yml, every problem with its line),
`hours` (due times in support hours), `tables` (the policy as the site's Markdown tables) and
`markdown` (the Python-Markdown extension that puts those tables where a page asks for them).

May import: kb.
"""
