"""Intake: what a customer sends, checked before anything is stored.

`bounds` (every value measured before any rule reads it), `subject` (the `[TAG] summary` rule),
`rules` (one function per field rule), `guard` (personal data and secrets), `search_token` (proof
that the articles were shown first) and `review` (a submission checked and made into a record).

May import: kb, policy, forms.
"""
