"""The request store, the only part that speaks SQL: requests and case numbers, the outbox,
deflections, content gaps and page feedback.

`sqlite` (the store on SQLite: connections, patience, migrations), `schema` (the numbered
migrations), `requests`, `outbox` and `records` (the queries, one concern each) and `model`
(what the store hands back, and its errors).

May import: outage.
"""
