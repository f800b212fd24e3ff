"""The search's parts that need no search engine: what is indexed, how queries are read, weights.

`documents` (an article as the index stores it: fields, sections and their analysed terms),
`preparation` (pages prepared in one process, or two for large builds), `index_folder` (the
index's own files, the atomic swap of a rebuild and following it), `words` (a question reduced to
its words), `spelling`, `synonyms` (the writers' synonyms.yml), `compounds` ("chrome books"),
`query_plan` (a question as weighted words, corrections and synonyms), `candidate_scoring` (the
candidate articles' sections and common words scored from their stored terms), `results` (what a
search returns, and a candidate as a result), `snippets` and `tuning` (the measured weights).
`deflect/search.py`, the one module that imports Whoosh, uses them.

May import: kb.
"""
