"""The request forms of `kb/forms/` (GitHub issue-forms syntax plus documented extensions).

`model` (forms, fields, options), `reader` (reading the form files, every problem with its line)
and `schema` (each form as JSON Schema for the API).

May import: kb, policy.
"""
