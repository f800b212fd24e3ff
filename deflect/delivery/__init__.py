"""Delivery to the helpdesk: the outbox loop, the emails and the webhook, nothing lost or sent twice.

`channels` (what a filed request sends and who sends it), `outbox` (the delivery loop: leases,
retries), `messages` and `text` (the two emails), `readback` (every email read back before it is
sent), `caps` (confirmation caps), `smtp`, `webhook` and `signature` (the senders), `errors` and
`operator` (what `deflect outbox` lists, retries and delivers).

May import: kb, policy, store, settings, outage.
"""
