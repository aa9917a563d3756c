"""Command line: seed data and user accounts (operators script these; keep them stable)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from .domain import DomainError
from .domain import users as user_rules
from .extensions import db
from .notify.scheduler import scheduler_cli

users_cli = AppGroup("users", help="User accounts.")


@click.command("seed")
@with_appcontext
@click.option("--demo", is_flag=True, help="Also create the demo users, seats and meetings.")
def seed_command(demo: bool) -> None:
    """Load the 64 bodies, 4 committees and 13 policy items (idempotent)."""
    from .seed import seed_reference_data

    changed = seed_reference_data()
    if demo:
        from .seed.demo import seed_demo

        seed_demo()
    db.session.commit()
    click.echo(f"seed: reference data loaded ({changed} changes){' with demo data' if demo else ''}.")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Full name (氏名).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", "is_admin", is_flag=True, help="System administrator.")
@click.option("--secretariat", "is_secretariat", is_flag=True, help="Secretariat (事務局).")
def create_user_command(email: str, name: str, password: str, is_admin: bool, is_secretariat: bool) -> None:
    """Create a user account."""
    try:
        user = user_rules.create_user(
            actor=None, email=email, name=name, password=password, is_admin=is_admin, is_secretariat=is_secretariat
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"created {user.email}")


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(scheduler_cli)
