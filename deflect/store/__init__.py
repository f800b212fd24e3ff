"""The request store, the only part that speaks SQL: requests and case numbers, the outbox,
deflections, content gaps and page feedback, the ledger of visits, the support team's accounts.

`sqlite` (the store on SQLite: connections, patience, migrations), `schema` (the numbered
migrations), `requests`, `outbox`, `records`, `ledger` (visits, daily counts, chores, retention)
and `accounts` (the queries, one concern each) and `model` (what the store hands back, and its errors).

May import: outage.
"""
