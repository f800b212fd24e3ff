"""The search's parts that need no search engine: what is indexed, how queries are read, weights.

`documents` (an article as the index stores it), `words` (a question reduced to its words),
`spelling`, `synonyms` (the writers' synonyms.yml), `compounds` ("chrome books"), `snippets` and
`tuning` (the measured weights). `deflect/search.py`, the one module that imports Whoosh, uses them.

May import: kb.
"""
