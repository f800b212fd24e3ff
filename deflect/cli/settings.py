"""`deflect settings`: the settings in force (secrets masked), or the README's table of them."""

from __future__ import annotations

import click

from deflect import settings as settings_table


@click.command()
@click.option(
    "--markdown", is_flag=True, help="Print the table of every setting, its default and meaning (the README's)."
)
def settings(markdown: bool) -> None:
    """Show the settings in force, from the environment and a .env file; secrets are never shown."""
    if markdown:
        click.echo(settings_table.markdown_table(), nl=False)
        return
    values = settings_table.shown(settings_table.load())
    width = max(map(len, values))
    for name, value in values.items():
        click.echo(f"{name.ljust(width)}  {value}")
