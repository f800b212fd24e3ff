"""The support lead's figures: the ledger's rows made into counts, rates, articles, content gaps and
delivery health for a period, the same for the dashboard, `deflect report` and its CSV; retention.

`period` (which days, bucketed by day or week), `facts` (what each visit and page answer counts),
`figures` (the one object the dashboard and the report show), `gaps` (descriptions grouped, with a
new-article template), `tables` (the figures as tables: CSV and text), `retention` (the purge).
Plain Python: the store gives rows, nothing here speaks SQL or HTTP.

May import: store, settings.
"""
