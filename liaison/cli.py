"""Command line: seed data and user accounts (operators script these; keep them stable)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from .domain import DomainError
from .domain import users as user_rules
from .extensions import db
from .notify.scheduler import scheduler_cli

users_cli = AppGroup("users", help="User accounts.")
audit_cli = AppGroup("audit", help="The audit trail.")


@click.command("seed")
@with_appcontext
@click.option("--demo", is_flag=True, help="Also create the demo users, seats and meetings.")
@click.option("--scale", is_flag=True,
              help="Instead of the demo: five fiscal years of data for benchmarks (needs an empty database).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, writable=True),
              help="With --scale: write the row counts and sample ids here.")
def seed_command(demo: bool, scale: bool, json_path: str | None) -> None:
    """Load the 64 bodies, 4 committees and 13 policy items (idempotent)."""
    from .seed import seed_reference_data

    if scale:
        _seed_scale(demo, json_path)
        return
    changed = seed_reference_data()
    if demo:
        from .seed.demo import seed_demo

        seed_demo()
    db.session.commit()
    click.echo(f"seed: reference data loaded ({changed} changes){' with demo data' if demo else ''}.")


def _seed_scale(demo: bool, json_path: str | None) -> None:
    import json

    try:  # the generator is benchmark code (bench/scale.py): present in a checkout, not in an installed package
        from bench.scale import ScaleError, generate
    except ImportError as error:
        raise click.ClickException(
            "seed --scale runs from a checkout of liaison (bench/scale.py): " + str(error)) from error

    if demo:
        raise click.UsageError("--scale and --demo cannot be combined: the scale data set has its own users.")
    try:
        result = generate()
    except ScaleError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    for table, count in result.counts.items():
        click.echo(f"  {table:<22} {count:>8,}")
    click.echo(f"seed: scale data set written in {result.seconds:.1f} s.")
    if json_path:
        with open(json_path, "w", encoding="utf-8") as handle:
            json.dump({"counts": result.counts, "seconds": result.seconds, "samples": result.samples}, handle,
                      ensure_ascii=False, indent=2)


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


@users_cli.command("feed-url")
@click.argument("email")
def feed_url_command(email: str) -> None:
    """Print the user's personal calendar feed URL (keep it secret: it is the key)."""
    from .calendar.tokens import feed_url

    user = user_rules.find_by_email(email)
    if user is None:
        raise click.ClickException(_("このメールアドレスの利用者は登録されていません。"))
    click.echo(feed_url(user))


@users_cli.command("token")
@click.argument("email")
@click.option("--name", required=True, help="The token's name (e.g. the script that uses it).")
@click.option("--write", is_flag=True, help="Read and write (default: read only).")
@click.option("--days", type=int, default=None, help="Days until it expires (default 90, at most 366).")
def token_command(email: str, name: str, write: bool, days: int | None) -> None:
    """Create a personal access token for the JSON API (/api/v1) and print it (shown once)."""
    from .domain import api_tokens

    user = user_rules.find_by_email(email)
    if user is None:
        raise click.ClickException(_("このメールアドレスの利用者は登録されていません。"))
    try:
        token, secret = api_tokens.create(user, actor=None, name=name, write=write,
                                          days=api_tokens.DEFAULT_DAYS if days is None else days)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(secret)
    click.echo(f"# {token.name}: {token.scope.value}, expires {token.expires_at:%Y-%m-%d %H:%M} UTC", err=True)


@audit_cli.command("verify")
def audit_verify_command() -> None:
    """Walk the audit trail's hash chain; exit 1 at the first row altered, deleted or inserted."""
    from .domain import audit_chain

    verdict = audit_chain.verify(db.session)
    db.session.rollback()
    if not verdict.ok:
        click.echo(f"audit verify: FAILED after {verdict.rows:,} good rows: {verdict.problem}", err=True)
        click.echo(f"audit verify: first bad row id {verdict.row_id}", err=True)
        raise SystemExit(1)
    click.echo(f"audit verify: OK, {verdict.rows:,} rows chained; head #{verdict.head_seq} {verdict.head_hash}")


@click.command("archive")
@click.argument("fiscal_year", type=int)
@click.argument("slug")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="where to write the ZIP (default: SLUG-FY-archive.zip in the current directory)")
@with_appcontext
def archive_command(fiscal_year: int, slug: str, output: str | None) -> None:
    """Write one fiscal year of a committee as a ZIP (年度アーカイブ) and print its path."""
    import os

    from . import archive
    from .models import Committee

    committee = db.session.scalar(select(Committee).where(Committee.slug == slug))
    if committee is None:
        raise click.ClickException(f"no committee with slug {slug!r}")
    path = os.path.abspath(output or archive.archive_name(committee, fiscal_year))
    with open(path, "wb") as out:
        entries = archive.write_archive(committee, fiscal_year, out)
    click.echo(path)
    click.echo(f"{len(entries)} files + manifest.csv + index.html", err=True)


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(archive_command)
    app.cli.add_command(scheduler_cli)
