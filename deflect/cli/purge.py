"""`deflect purge`: visits, page feedback and customers' emails older than their retention ages."""

from __future__ import annotations

import click

from deflect import settings
from deflect.cli.options import data_dir


@click.command()
def purge() -> None:
    """Purge visits and page feedback older than DEFLECT_VISIT_RETENTION_DAYS (their counts are kept per
    day) and erase customers' emails older than DEFLECT_EMAIL_RETENTION_DAYS. The app does it once a day."""
    from deflect.report.retention import describe, ledger_settings
    from deflect.report.retention import purge as run_purge
    from deflect.store.model import utcnow
    from deflect.store.sqlite import Store

    try:
        config = ledger_settings(settings.load())
    except settings.InvalidSetting as error:
        raise click.UsageError(str(error)) from None
    click.echo(describe(run_purge(Store.in_data_dir(data_dir()), config, utcnow()), config))
