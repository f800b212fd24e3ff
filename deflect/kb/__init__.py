"""The knowledge base a writer keeps: where its files are, its pages and front matter, its links.

`folder` (where docs/, support.yml, forms/ ... live), `pages` (a Markdown page as the site publishes
it), `front_matter` (the articles' schema), `links` (every internal link and anchor must exist),
`render` (a page's Markdown rendered as the site renders it: HTML and table of contents),
`rendered_text` (the words of a rendered page, split into its sections), `yaml_source` (every
writer's YAML file read with the line of each key) and `problems` (a mistake in a writer's file,
with file, line and fix).

May import: nothing (only the libraries).
"""
