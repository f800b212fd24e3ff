"""`deflect outbox`: what waits to be sent or failed, with the reason; retry or deliver now."""

from __future__ import annotations

import contextlib

import click

from deflect import settings
from deflect.cli.options import existing_store


@click.command()
@click.option(
    "--retry",
    "retry_ids",
    type=int,
    multiple=True,
    metavar="ID",
    help="Queue this failed (or waiting) message again, due now, with fresh attempts. Repeatable.",
)
@click.option("--retry-failed", is_flag=True, help="Queue every failed message again.")
@click.option("--deliver", is_flag=True, help="Run one delivery pass now (SMTP or var/mail/, and the webhook).")
@click.option("--watch", is_flag=True, help="Keep delivering until Ctrl+C, like the app's worker.")
@click.option("--all", "show_all", is_flag=True, help="List delivered messages too.")
def outbox(retry_ids: tuple[int, ...], retry_failed: bool, deliver: bool, watch: bool, show_all: bool) -> None:
    """List pending and failed outgoing messages with their reason; retry or deliver them."""
    from deflect.delivery import operator
    from deflect.delivery.channels import describe_delivery

    if watch:  # a long-running worker: the operator's log, as `deflect serve` writes it
        from deflect.web.logs import configure

        configure(settings.load()["DEFLECT_LOG_FORMAT"])
    with contextlib.closing(existing_store()) as store:
        if describe_delivery(settings.load()):
            click.echo(describe_delivery(settings.load()))
        for line in operator.retry(store, retry_ids, retry_failed):
            click.echo(line)
        if deliver or watch:
            operator.deliver(store, settings.load, watch, click.echo)
        for line in operator.listing(store, show_all, operator.mail_files(settings.load())):
            click.echo(line)
