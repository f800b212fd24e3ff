"""`deflect report`: the dashboard's figures for a period, as text, JSON or CSV."""

from __future__ import annotations

import contextlib
import json

import click

from deflect import settings
from deflect.cli.options import existing_store
from deflect.report.tables import TABLES


@click.command()
@click.option("--since", metavar="DATE", help="First day (YYYY-MM-DD, UTC). Default: 29 days before --until.")
@click.option("--until", metavar="DATE", help="Last day, included (YYYY-MM-DD, UTC). Default: today.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: filed, deflections, rate, the breakdowns.")
@click.option("--csv", "as_csv", is_flag=True, help="One table as CSV (choose it with --table).")
@click.option(
    "--table", type=click.Choice(sorted(TABLES)), default="summary", show_default=True, help="The table --csv prints."
)
@click.option("--by", type=click.Choice(["day", "week"]), help="Buckets of the time series. Default: days up to 31.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000), help="Rows per table (text).")
def report(
    since: str | None, until: str | None, as_json: bool, as_csv: bool, table: str, by: str | None, limit: int
) -> None:
    """The support lead's figures for a period (default: the last 30 days, today included): deflection
    rate with its counts, by form and tag, filed requests and response targets, articles, content gaps,
    delivery health. The same numbers as the dashboard at /support/admin/."""
    from deflect.report.figures import figures
    from deflect.report.period import InvalidPeriod, Period
    from deflect.report.retention import ledger_settings
    from deflect.report.tables import as_csv as csv_text
    from deflect.report.tables import as_text
    from deflect.store.model import utcnow

    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    now = utcnow()
    try:
        period = Period.parse(since, until, now.date())
        config = ledger_settings(settings.load())
    except (InvalidPeriod, settings.InvalidSetting) as error:
        raise click.UsageError(str(error)) from None
    # The folder or database read goes to stderr with --json and --csv, so stdout stays one document.
    said = (lambda line: click.echo(line, err=True)) if as_json or as_csv else click.echo
    with contextlib.closing(existing_store(said)) as store:
        found = figures(store, period, config.window, now, by)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=1))
    elif as_csv:
        click.echo(csv_text(found, table), nl=False)
    else:
        click.echo(as_text(found, limit), nl=False)
