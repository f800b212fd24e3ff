"""The `deflect` command line: one module per group of commands; nothing else in deflect imports it.

`site` (build, check), `search` (index, search), `serve`, `outbox`, `report`, `settings`, `purge` and
`admin`; `options` holds what several commands share.

May import: everything.
"""

from __future__ import annotations

import os

import click

from deflect.cli import admin, outbox, purge, report, search, serve, settings, site


class _Commands(click.Group):
    """The commands; a store that stays locked, full, read-only or down, or a wrong setting (say
    DEFLECT_DATABASE_URL), ends one with a message, not a traceback."""

    def invoke(self, ctx: click.Context):
        from deflect.settings import InvalidSetting
        from deflect.store.model import StoreUnavailable

        try:
            return super().invoke(ctx)
        except StoreUnavailable as error:
            raise click.ClickException(f"{error}; nothing was changed. Try again once it is fixed.") from None
        except InvalidSetting as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=_Commands)
@click.version_option(package_name="deflect")
def main() -> None:
    """deflect: a support knowledge base that answers customers before they file a ticket."""
    from deflect import settings as configured

    # mkdocs.yml reads the site's public URL from the environment (`!ENV`): a .env file's value too.
    site_url = configured.load()["DEFLECT_SITE_URL"]
    if site_url:
        os.environ.setdefault("DEFLECT_SITE_URL", site_url)


COMMANDS = (site.build, site.check, search.index, search.search, serve.serve, outbox.outbox, report.report,
            settings.settings, purge.purge, admin.admin)  # fmt: skip
for command in COMMANDS:
    main.add_command(command)
