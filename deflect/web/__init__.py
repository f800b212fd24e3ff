"""The web layer: thin blueprints and WSGI pieces that turn HTTP into calls of the plain parts.

The support app's pieces (`resources`, `flow`, `filing`, `accept`, `api`, `page_feedback`, `json_input`,
`health`, `errors`, `headers`, `cors`, `rate_limits`, `articles`, `searchstep`, `visits`), the support team's
dashboard (`admin`, `admin_auth`, `daily`), and the server `deflect serve` runs
(`server`, `static_site`, `http_server`, `proxies`). The only part of deflect, with `deflect/app.py`,
that imports Flask.

May import: kb, policy, forms, intake, ranking, semantic, site, store, delivery, search, settings, outage, app, report, accounts.
"""
