"""`deflect admin`: the support team's accounts for the dashboard at /support/admin/."""

from __future__ import annotations

import sys

import click

from deflect.cli.options import data_dir


@click.group()
def admin() -> None:
    """Accounts for the dashboard at /support/admin/."""


def _store():
    from deflect.store.sqlite import Store

    return Store.in_data_dir(data_dir())


def _read_password(from_stdin: bool) -> str:
    """The password from standard input (one line), or asked twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


@admin.command("add")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line), for scripts.")
def add(email: str, password_stdin: bool) -> None:
    """Create the account EMAIL (or give it a new password, which ends its sessions)."""
    from deflect.accounts import hash_password, password_problem

    email = email.strip().lower()
    if "@" not in email or len(email) > 254 or any(ch.isspace() for ch in email):
        raise click.UsageError(f"EMAIL: {email[:60]!r} is not an email address: give the person's work address")
    password = _read_password(password_stdin)
    problem = password_problem(password)
    if problem:
        raise click.UsageError(problem)
    created = _store().save_admin(email, hash_password(password))
    click.echo(f"{'Created' if created else 'Changed the password of'} {email}: log in at /support/admin/")


@admin.command("list")
def list_accounts() -> None:
    """List the accounts."""
    for account in _store().list_admins() or [{"email": "(no accounts: deflect admin add EMAIL)", "created_at": ""}]:
        click.echo(f"{account['email']}  {account['created_at'][:10]}".rstrip())


@admin.command("remove")
@click.argument("email")
def remove(email: str) -> None:
    """Delete the account EMAIL and log it out everywhere."""
    if not _store().remove_admin(email):
        raise click.ClickException(f"there is no account {email.strip().lower()}")
    click.echo(f"Removed {email.strip().lower()}")
