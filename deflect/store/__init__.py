"""The request store, the only part that speaks SQL: requests and case numbers, the outbox,
deflections, content gaps, page feedback, the search-step tokens' one use, the confirmation caps,
the ledger of visits and the support team's accounts.

Two engines behind one interface (`base.StoreBase`): `sqlite` (a file in the data folder, the
default) and `postgres` (`DEFLECT_DATABASE_URL`, for several instances); `factory` opens the one
the settings name. `schema` (the numbered migrations, one list for both); `requests`, `outbox`,
`records`, `ledger` (visits, daily counts, chores, retention) and `accounts` (the queries, one
concern each, shared by both engines); `model` (what the store hands back, and its errors).

May import: outage, settings.
"""
