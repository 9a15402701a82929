"""The `tracker` command line: a Flask CLI group bound to the app."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import FlaskGroup

from tracker import ROOT, accounts, api_tokens, demo, limits, text, unit_of_work
from tracker.errors import ConfigurationError, DomainError, Invalid
from tracker.extensions import db
from tracker.models import NAME_MAX, Board, User, utcnow
from tracker.operations import text_field
from tracker.vocabulary import AccountRole

# Ids as every other entry point bounds them: a larger one is a usage error (exit 2), never
# an OverflowError from the database driver.
ID = click.IntRange(1, limits.MAX_ID)


def init_app(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(create_token_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(export_weekly_command)
    app.cli.add_command(comment_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(send_weekly_command)
    app.cli.add_command(send_due_command)


def _create_app() -> Flask:
    from tracker import create_app

    try:
        return create_app()
    except ConfigurationError as error:
        # What to fix, not a traceback: exit 1 before any command runs.
        click.secho(f"Error: {error}", err=True, fg="red")
        sys.exit(1)


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """Initiative Tracker: run the server, upgrade the database, manage accounts, export."""


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--debug",
    is_flag=True,
    help="Werkzeug's development server, with the reloader and debugger (never in production).",
)
def run_command(host: str, port: int, debug: bool) -> None:
    """Serve the app as production does: gunicorn with one gevent worker, configured by
    deploy/gunicorn.conf.py (the worker monkey-patches before it loads the app)."""
    app = _create_app()  # a configuration error is reported here, not by a failing worker
    if debug:
        from tracker.extensions import socketio

        # Flask's CLI marks the process so that app.run() does nothing (`flask run` serves
        # instead); this command is the one serving.
        os.environ.pop("FLASK_RUN_FROM_CLI", None)
        os.environ["FLASK_DEBUG"] = "1"  # app.run() reads it, over its own argument
        socketio.run(app, host=host, port=port, debug=True, allow_unsafe_werkzeug=True)
        return
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(ROOT / "deploy" / "gunicorn.conf.py"),
        "--bind",
        f"{host}:{port}",
        "--chdir",
        str(ROOT),
        "wsgi:app",
    ]
    sys.stdout.flush()
    # The gunicorn master replaces this process: signals (Ctrl-C, SIGTERM) reach it directly.
    os.execv(sys.executable, command)


@click.command("create-user")
@click.argument("email")
@click.option("--org", "organisation", required=True, help="Organisation name.")
@click.option("--role", type=click.Choice([r.value for r in AccountRole]), required=True)
@click.option("--name", default=None, help="Display name (default: the e-mail's local part).")
@click.option("--password", default=None, help="Prompted for (hidden) when not given.")
@click.option(
    "--new-org",
    is_flag=True,
    help="Create the organisation too (needed unless it is the database's first account).",
)
def create_user_command(
    email: str,
    organisation: str,
    role: str,
    name: str | None,
    password: str | None,
    new_org: bool,
) -> None:
    """Create an account in an existing organisation (any case); the first account of an
    empty database, or --new-org, creates its organisation."""
    try:
        # The text rule for names, before anyone is asked for a password.
        text.clean(email, "EMAIL")
        organisation = text_field(organisation, "--org", max_len=NAME_MAX, required=True, tidy=True)
        if name is not None:
            name = text_field(name, "--name", max_len=NAME_MAX, required=True, tidy=True)
    except Invalid as error:
        raise click.ClickException(error.message) from error
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(
            email,
            organisation_name=organisation,
            role=role,
            password=password,
            name=name,
            new_organisation=new_org,
        )
    except Invalid as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    unit_of_work.commit()
    click.echo(f"Created {role} {user.email} ({user.organisation.name}).")


@click.command("create-token")
@click.argument("email")
@click.option("--name", default="personal token", help="What the token is for.")
def create_token_command(email: str, name: str) -> None:
    """Print a new personal API token for EMAIL (shown once; only its hash is stored)."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No account with e-mail {email}.")
    try:
        name = text_field(name, "--name", max_len=NAME_MAX, required=True, tidy=True)
    except Invalid as error:
        raise click.ClickException(error.message) from error
    token = api_tokens.create_token(user, name)
    unit_of_work.commit()
    click.echo(token)


@click.command("seed-demo")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing (and succeed) when the database holds data."
)
def seed_demo_command(if_empty: bool) -> None:
    """Load the workshop's demo board and one demo account per account role."""
    try:
        board = demo.seed()
    except demo.AlreadySeeded as error:
        db.session.rollback()
        if if_empty:
            click.echo("Database already holds data; demo not loaded.")
            return
        raise click.ClickException(str(error)) from error
    unit_of_work.commit()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Board))
    click.echo(f"Loaded the demo board '{board.name}' ({count} board(s) in the database).")


@click.command("export-weekly")
@click.option("--board", "board_id", type=ID, required=True, help="Board id.")
@click.option("--week", required=True, help="ISO week, e.g. 2026-W48 (Monday–Sunday, London).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json", "html"]), required=True)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="File to write; '-' writes to standard output (not for xlsx).",
)
@click.option(
    "--filter",
    "query",
    default="",
    metavar="QUERY",
    help="Narrow the report by the board page's filters, as in its URL: "
    "'grand_challenge_id=2&rag=red'.",
)
def export_weekly_command(board_id: int, week: str, fmt: str, output: Path, query: str) -> None:
    """Write the weekly status report for a scheduled job (from the report cache when it holds
    it). Exit code 2, with a message, for anything wrong with what was asked: the week, the
    board, the filter, the output path."""
    from urllib.parse import parse_qs

    from tracker.board import filters, load_board
    from tracker.reports.service import produce

    if str(output) == "-" and fmt == "xlsx":
        raise click.UsageError("xlsx cannot be written to standard output; give a file.")
    if str(output) != "-" and not output.parent.is_dir():
        what = "is not a folder" if output.parent.exists() else "does not exist"
        raise click.UsageError(f"{output.parent} {what}.")
    try:
        rule = filters.parse(load_board(board_id), parse_qs(query)) if query else None
        with current_app.test_request_context():  # the HTML report is a page template
            produced = produce(board_id, week, fmt, builder=None, rule=rule)
    except DomainError as error:
        raise click.UsageError(error.message) from error
    except sa.exc.DBAPIError as error:
        # A wrong TRACKER_DATABASE_URL, a database not upgraded, a server that is down.
        raise click.UsageError(
            f"Cannot read the database: {error.orig}. Check TRACKER_DATABASE_URL and run "
            "`tracker db upgrade`."
        ) from error
    if str(output) == "-":
        click.echo(produced.body, nl=False)  # bytes: written as they are
        return
    try:
        output.write_bytes(produced.body)
    except OSError as error:
        raise click.UsageError(f"Cannot write {output}: {error.strerror}.") from error
    click.echo(f"Wrote the {fmt} report for {week} to {output}.", err=True)


@click.command("comment")
@click.argument("initiative_id", type=ID)
@click.argument("body")
@click.option("--as", "email", required=True, help="The account the note is written as.")
def comment_command(initiative_id: int, body: str, email: str) -> None:
    """Add a progress note from a script. It reaches open boards live, like any change."""
    from tracker import board

    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.UsageError(f"No account with e-mail {email}.")
    try:
        change = board.add_comment(user, initiative_id, body)
    except DomainError as error:
        db.session.rollback()
        raise click.UsageError(error.message) from error
    unit_of_work.commit(change.event)
    click.echo(f"Added note {change.value.id} to initiative {initiative_id}.")


def _libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Write a consistent copy of the database to PATH (SQLite's online backup, or pg_dump's
    custom format for PostgreSQL), safe while the app runs."""
    url = db.engine.url
    if not path.parent.is_dir():
        raise click.UsageError(f"The folder {path.parent} does not exist.")
    if url.get_backend_name() == "sqlite":
        import sqlite3

        source = sqlite3.connect(url.database or "")
        target = sqlite3.connect(path)
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                f"--file={path}",
                _libpq_url(url.render_as_string(hide_password=False)),
            ]
        )
    click.echo(f"Backed up the database to {path}.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path: Path, yes: bool) -> None:
    """Replace the database's contents with the backup at PATH. Stop the app first."""
    if not yes:
        click.confirm("This replaces everything in the database. Continue?", abort=True)
    url = db.engine.url
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        import sqlite3

        source = sqlite3.connect(path)
        target = sqlite3.connect(url.database or "")
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={_libpq_url(url.render_as_string(hide_password=False))}",
                str(path),
            ]
        )
    click.echo(f"Restored the database from {path}.")


def _run(command: list[str]) -> None:
    import subprocess

    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise click.ClickException(f"{command[0]} failed: {done.stderr.strip()}")


@click.command("send-weekly")
@click.option("--board", "board_id", type=ID, required=True, help="Board id.")
@click.option("--week", help="ISO week, e.g. 2026-W48 (default: last week, London).")
@click.option(
    "--to",
    "to",
    multiple=True,
    metavar="ADDRESS",
    help="Send to this address instead of the board's list (repeatable).",
)
def send_weekly_command(board_id: int, week: str | None, to: tuple[str, ...]) -> None:
    """Queue a board's weekly report (HTML in the body, XLSX attached) for its recipients, or
    for --to, then send what is due. A report already queued for an address for that week is
    not queued again. Exit code 2 for a bad board, week or address; 1 when a message failed
    to send (it stays in the outbox and is tried again)."""
    from tracker.mail import addresses, sender, transport
    from tracker.mail import weekly as weekly_mail
    from tracker.reports.views import current_week
    from tracker.reports.week import Week

    try:
        chosen = current_week().shifted(-1) if week is None else Week.parse(week)
        if chosen.start > utcnow():
            raise Invalid({"week": f"{chosen} has not begun yet"})
        listed = [addresses.checked(a, "--to") for a in to] if to else None
        queued, before = weekly_mail.queue_report(board_id, chosen, listed)
        db.session.commit()
    except DomainError as error:
        raise click.UsageError(error.message) from error
    if queued == 0 and before == 0:
        click.echo(f"Board {board_id} has no weekly report recipients; nothing was queued.")
        return
    click.echo(f"Queued the report for {chosen} to {queued} address(es)", nl=False)
    click.echo(f"; {before} had it already." if before else ".")
    if not transport.configured(current_app.config):
        click.echo("No mail server is configured (TRACKER_MAIL_SERVER): it waits in the outbox.")
        return
    done = sender.send_due()
    click.echo(f"Sent {done.sent}; {done.failed} failed and will be tried again.")
    if done.failed:
        raise SystemExit(1)


@click.command("send-due")
def send_due_command() -> None:
    """Queue what the schedule says is due (Monday's weekly reports, the digests) and send the
    outbox: for
    cron or a systemd timer where servers do not send (TRACKER_MAIL_SEND_EVERY_SECONDS=0).
    Safe beside running servers: each message is sent once. Exit code 1 when a message
    failed to send."""
    from tracker.mail import digest, sender, transport
    from tracker.mail import weekly as weekly_mail

    queued = weekly_mail.due() + digest.due()
    if not transport.configured(current_app.config):
        click.echo(f"Queued {queued}; no mail server is configured, so nothing was sent.")
        return
    done = sender.send_due()
    click.echo(f"Queued {queued}; sent {done.sent}; {done.failed} failed.")
    if done.failed:
        raise SystemExit(1)  # a timer's failure shows; the messages wait for the next run
