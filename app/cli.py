"""`flask --app run tessera ...` commands."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from app.auth.passwords import policy_problems
from app.security import security_manager

tessera = AppGroup("tessera", help="Tessera administration commands.")


@tessera.command("demo")
@click.option(
    "--tickets", type=click.IntRange(min=0), default=None,
    help="Tickets to open into a desk that has none (default: TESSERA_DEMO_TICKETS).",
)
@with_appcontext
def demo_command(tickets: int | None) -> None:
    """Load the demo departments, users, definitions and tickets (idempotent)."""
    from app.demo import DEMO_LOGINS, load_demo
    from app.demo.tickets import SPREAD, load_demo_tickets

    summary = load_demo()
    click.echo(f"Demo data ready: {summary}")
    wanted = current_app.config["TESSERA_DEMO_TICKETS"] if tickets is None else tickets
    if wanted:
        started = time.monotonic()
        opened = load_demo_tickets(wanted)
        if opened:
            took = f"{time.monotonic() - started:.1f} s"
            click.echo(f"Demo tickets: {opened} opened over the last {SPREAD.days} days ({took}).")
        else:
            click.echo("Demo tickets: none added, the desk has tickets already.")
    click.echo("Demo logins (username / password):")
    for username, role in DEMO_LOGINS:
        click.echo(f"  {username:<8} / {username:<8}  {role}")


@tessera.command("create-admin")
@click.option("--username", required=True)
@click.option("--email", required=True)
@click.option("--firstname", default="Admin", show_default=True)
@click.option("--lastname", default="User", show_default=True)
@click.password_option()
@with_appcontext
def create_admin_command(
    username: str, email: str, firstname: str, lastname: str, password: str
) -> None:
    """Create a user with the Admin role (production's first login)."""
    problems = policy_problems(password)
    if problems:
        raise click.ClickException(" ".join(problems))
    sm = security_manager()
    if sm.find_user(username=username) is not None:
        raise click.ClickException(f"User '{username}' already exists.")
    role = sm.find_role(current_app.config["AUTH_ROLE_ADMIN"])
    if role is None:
        raise click.ClickException("Role Admin is missing: run `flask --app run db upgrade`.")
    if not sm.add_user(username, firstname, lastname, email, role, password):
        raise click.ClickException(f"Could not create '{username}' (is the e-mail taken?).")
    click.echo(f"Admin '{username}' created.")


@tessera.command("worker")
@click.option("--queues", "-q", multiple=True, help="Queues to listen on (default: all).")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--name", default=None, help="Worker name (default: RQ's).")
@click.option(
    "--fork", is_flag=True,
    help="Run each job in a forked work horse (isolated, ~0.5 s more per job) instead of in "
    "the worker process itself.",
)
def worker_command(queues: tuple[str, ...], burst: bool, name: str | None, fork: bool) -> None:
    """Run an RQ worker with the scheduler; each job gets an app context.

    Jobs run in the worker process by default: a forked work horse starts cold (database
    connection, compiled statements and templates) and costs about half a second per job.
    """
    from rq import Queue

    from app.jobs import worker_app
    from app.jobs.workers import TesseraSimpleWorker, TesseraWorker
    from app.queue import redis_connection

    app: Flask = worker_app()
    _warm(app)
    connection = redis_connection(app)
    names = list(queues) or app.config["RQ_QUEUES"]
    worker = (TesseraWorker if fork else TesseraSimpleWorker)(
        [Queue(q, connection=connection) for q in names], connection=connection, name=name
    )
    if "low" in names:
        from app.tickets.indexing import schedule

        schedule(app)  # a field index a template wants may be missing: build it
    worker.work(with_scheduler=True, burst=burst)


def _warm(app: Flask) -> None:
    """Import and compile in the worker before it forks a work horse per job, so that no job
    pays for it: the topic modules and what they import, and the published workflows."""
    from app.api import represent  # noqa: F401  (imported by the ticket.events jobs)
    from app.jobs.topics import load
    from app.tickets.workflow import preload

    load()
    with app.app_context():
        preload()


@tessera.command("cron")
@click.option("--interval", type=float, default=None, help="Seconds between sweeps.")
@click.option("--once", is_flag=True, help="Sweep once and exit.")
def cron_command(interval: float | None, once: bool) -> None:
    """The one periodic process: enqueue outbox messages the commits could not (run one)."""
    import logging

    from app.jobs import worker_app
    from app.jobs.cron import Beat

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app: Flask = worker_app()
    beat = Beat(app, interval or app.config["TESSERA_CRON_INTERVAL"])
    if once:
        click.echo(f"enqueued {beat.tick()} outbox message(s)")
        return
    beat.run()


@tessera.command("purge-outbox")
@click.option(
    "--days", type=float, default=None,
    help="Delete messages done more than this many days ago "
    "(default: TESSERA_OUTBOX_RETENTION_DAYS).",
)
@with_appcontext
def purge_outbox_command(days: float | None) -> None:
    """Delete done outbox messages past their retention (pending and failed ones stay)."""
    from app.extensions import db
    from app.outbox.retention import purge

    kept = days if days is not None else current_app.config["TESSERA_OUTBOX_RETENTION_DAYS"]
    click.echo(f"deleted {purge(db.session, kept)} done outbox message(s)")


@tessera.command("indexes")
@click.option("--drop-unused", is_flag=True, help="Drop field indexes no template wants.")
@with_appcontext
def indexes_command(drop_unused: bool) -> None:
    """Build the per-field indexes the published templates want (PostgreSQL; idempotent)."""
    from app.tickets.indexing import reconcile

    result = reconcile(drop_unused=drop_unused)
    for label, names in result.as_dict().items():
        if label == "unused" and drop_unused:
            label = "dropped"
        click.echo(f"{label}: {', '.join(names) or '-'}")


@tessera.command("mailsink")
@click.option("--host", default=None, help="Address to listen on (default: MAIL_SINK_HOST).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: MAIL_PORT).")
@click.option(
    "--directory", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Where the .eml files go (default: instance/mail).",
)
@with_appcontext
def mailsink_command(host: str | None, port: int | None, directory: Path | None) -> None:
    """Receive the app's outgoing mail locally, one .eml file per message (Ctrl-C stops)."""
    import logging

    from app.notifications.sink import logger, run_sink

    config = current_app.config
    host, port = host or config["MAIL_SINK_HOST"], port or int(config["MAIL_PORT"])
    directory = directory or Path(current_app.instance_path) / "mail"
    if not logger.handlers:
        logger.addHandler(logging.StreamHandler())
        logger.setLevel(logging.INFO)
    click.echo(f"Mail sink on {host}:{port}, writing to {directory} (Ctrl-C stops).")
    run_sink(host, port, directory)


defs = AppGroup("defs", help="Definitions as code: import and export JSON files.")
tessera.add_command(defs)


@defs.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--drafts", is_flag=True, help="Also write open drafts as <key>.draft.json.")
@with_appcontext
def defs_export_command(directory: Path, drafts: bool) -> None:
    """Write DIRECTORY/<kind>/<key>.json for every published definition."""
    from app.definitions.io import export_dir

    written = export_dir(directory, include_drafts=drafts)
    click.echo(f"Exported {len(written)} definition(s) to {directory}.")


@defs.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--publish", is_flag=True, help="Publish what is imported.")
@with_appcontext
def defs_import_command(path: Path, publish: bool) -> None:
    """Import a file or a folder: every file is checked first; any error writes nothing."""
    from app.definitions.io import ImportFailed, import_texts, read_path

    try:
        report = import_texts(read_path(path), publish=publish, actor_id=None)
    except ImportFailed as failed:
        for name, errors in failed.by_file.items():
            for pointer, messages in errors.items():
                for message in messages:
                    click.echo(f"{name}#{pointer or '/'}: {message}", err=True)
        raise click.ClickException(
            f"{len(failed.by_file)} file(s) have errors; nothing was imported."
        ) from failed
    click.echo(
        f"Imported {len(report.created)} definition(s), {len(report.unchanged)} unchanged."
    )
    for line in report.created:
        click.echo(f"  {line}")
    for name, warnings in report.warnings.items():
        for pointer, messages in warnings.items():
            for message in messages:
                click.echo(f"{name}#{pointer or '/'}: warning: {message}", err=True)


def register_cli(app: Flask) -> None:
    """Attach the `tessera` command group to the app."""
    app.cli.add_command(tessera)
