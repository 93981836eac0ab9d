"""Commands that show health: ``feeds``, ``runs``, ``status``, ``connectors``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from connectors import registry
from scheduler.cli.base import (
    EXIT_FAILED,
    EXIT_OK,
    _console,
    _State,
    cli,
)
from scheduler.display import plural, when

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from catalog.store.queries import RunInfo


@cli.command()
@click.pass_obj
def feeds(state: _State) -> None:
    """List feeds with their health: last run, last success, failures, review, lease."""
    from rich.table import Table

    from catalog.store import queries
    from scheduler.catalog_setup import open_catalog

    config = state.config()
    engine = open_catalog(config)
    tz = config.service.timezone
    enabled = {f.id: f.enabled for f in config.feeds}
    table = Table(box=None, header_style="bold")
    columns = (
        "feed",
        "institution",
        "connector",
        "last run",
        "status",
        "courses",
        "last success",
        "failures",
        "review",
        "lease held by",
        "next run",
        "back-off",
    )
    for column in columns:
        table.add_column(column, justify="right" if column in ("courses", "failures") else "left")
    notes = []
    for f in queries.feed_statuses(engine):
        status = f.last_run_status or "never run"
        if f.id not in enabled:
            status += " (not in config)"
        elif not enabled[f.id]:
            status += " (disabled)"
        table.add_row(
            f.id,
            f.institution,
            f.connector,
            when(f.last_run_started, tz),
            status,
            str(f.courses),
            when(f.last_success, tz),
            str(f.consecutive_failures),
            "NEEDS REVIEW" if f.needs_review else "-",
            f.lease or "-",
            when(f.next_run, tz),
            f"until {when(f.backoff_until, tz)}" if f.backoff_until else "-",
        )
        if f.needs_review:
            notes.append(f"{f.id}: {f.review_reason}")
    out = _console()
    out.print(table)
    for note in notes:
        out.print(note, style="yellow", markup=False)


@cli.command()
@click.argument("args", nargs=-1, metavar="[FEED | show RUN_ID]")
@click.option("--limit", "-n", default=20, show_default=True, help="How many runs to list.")
@click.pass_obj
def runs(state: _State, args: tuple[str, ...], limit: int) -> None:
    """Recent harvest runs (of FEED), or one run in detail: moocx runs show RUN_ID."""
    from catalog.store import queries
    from scheduler.catalog_setup import open_catalog

    config = state.config()
    engine = open_catalog(config)
    out = _console()
    if args and args[0] == "show":
        if len(args) != 2 or not args[1].isdigit():
            raise click.UsageError("usage: moocx runs show RUN_ID")
        _show_run(out, engine, int(args[1]), config.service.timezone)
        return
    if len(args) > 1:
        raise click.UsageError("give at most one feed id")
    feed_id = args[0] if args else None
    if feed_id is not None:
        config.feed(feed_id)
    table, errors = _runs_table(
        queries.recent_runs(engine, feed_id, limit), config.service.timezone
    )
    out.print(table)
    for line in errors:
        out.print(line, style="red", markup=False)


def _runs_table(rows: Sequence[RunInfo], tz: str) -> tuple[Table, list[str]]:
    """The runs as a table, one row each, and each failed run's error as a line of its own."""
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for column in (
        "run",
        "feed",
        "started",
        "status",
        "new",
        "upd",
        "same",
        "rej",
        "withdrawn",
        "held",
        "pages",
        "secs",
    ):
        table.add_column(
            column, justify="left" if column in ("feed", "started", "status") else "right"
        )
    errors = []
    for r in rows:
        table.add_row(
            str(r.id),
            r.feed_id,
            when(r.started_at, tz),
            r.status,
            str(r.new),
            str(r.updated),
            str(r.unchanged),
            str(r.rejected),
            str(r.withdrawn),
            str(r.held_withdrawals),
            str(r.pages),
            f"{r.duration:.1f}" if r.duration is not None else "-",
        )
        if r.error:
            errors.append(f"run {r.id}: {r.error}")
    return table, errors


def _show_run(out: Console, engine: object, run_id: int, tz: str) -> None:
    from catalog.store import queries

    detail = queries.run_detail(engine, run_id)  # type: ignore[arg-type]
    if detail is None:
        raise click.ClickException(f"no harvest run {run_id}")
    run, rejected, held = detail
    out.print(f"run {run.id} of feed {run.feed_id} ({run.trigger})", style="bold", markup=False)
    resumed = f", resumes run {run.resumed_from}" if run.resumed_from else ""
    out.print(
        f"  status:    {run.status}{' (complete)' if run.complete else ''}"
        f"{' (degraded)' if run.degraded else ''}; {run.mode} harvest{resumed}",
        markup=False,
    )
    out.print(f"  started:   {when(run.started_at, tz)}", markup=False)
    out.print(f"  finished:  {when(run.finished_at, tz)}", markup=False)
    carried = f" ({run.not_modified_pages} not modified)" if run.not_modified_pages else ""
    out.print(
        f"  pages {run.pages}{carried} · received {run.received} · new {run.new} · updated "
        f"{run.updated} · unchanged {run.unchanged} · withdrawn {run.withdrawn} · rejected "
        f"{run.rejected}",
        markup=False,
    )
    if run.deleted_unknown:
        out.print(
            f"  deleted at source: {run.deleted_unknown} (courses this catalog never stored; "
            "nothing to withdraw)",
            markup=False,
        )
    if run.declared_total is not None:
        out.print(
            f"  the source declared {run.declared_total} items; {run.source_count} received",
            markup=False,
        )
    if run.error:
        out.print(f"  error: {run.error}", style="red", markup=False)
    if held:
        out.print(f"held withdrawals ({len(held)}): {run.guard}", style="bold yellow", markup=False)
        for h in held:
            out.print(f"  - {h.key} ({h.reason})", markup=False)
        out.print(
            f"  apply them after review: moocx sync --accept-withdrawals {run.feed_id}",
            markup=False,
        )
    if rejected:
        out.print(f"rejected records ({len(rejected)}):", style="bold", markup=False)
        for r in rejected:
            out.print(f"  - {r.key or '(no key)'}: {r.reason}", markup=False)
            if r.page_url:
                out.print(f"    page: {r.page_url}", markup=False)
            if r.excerpt:
                out.print(f"    {r.excerpt[:300]}", style="dim", markup=False)


@cli.command()
@click.option(
    "--max-age",
    type=float,
    default=None,
    metavar="SECONDS",
    help="Heartbeat age that counts as stale (default: 3 heartbeat intervals).",
)
@click.option(
    "--status-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Read this status file (default: [service] status_file of the config).",
)
@click.pass_obj
def status(state: _State, max_age: float | None, status_file: Path | None) -> None:
    """Judge the sync service from its status file: exit 1 when it is stopped, not running,
    stale or a feed keeps failing. A broken config is warned about, not fatal."""
    from scheduler.config import ConfigError, config_path, status_path
    from scheduler.status import check_status, fallback_path

    try:
        config = state.config()
    except ConfigError as exc:
        # The service may be running fine on the config it read before the edit: still report.
        path = status_file or fallback_path(config_path(state.config_arg))
        first = f" (the first: {exc.errors[0]})" if exc.errors else ""
        click.secho(  # one line, never wrapped: monitoring mails quote it
            f"warning: {exc.path or 'the config'} has {plural(len(exc.errors), 'error')}{first};"
            f" reporting from the status file {path} alone",
            fg="yellow",
            err=True,
        )
        lines, healthy = check_status(path, max_age=max_age)
    else:
        lines, healthy = check_status(
            status_file or status_path(config),
            timezone=config.service.timezone,
            max_failures=config.service.max_consecutive_failures,
            max_age=max_age,
        )
    for line in lines:  # never wrapped: a monitoring check quotes them
        click.secho(line, fg="red" if line.startswith("UNHEALTHY") else None)
    sys.exit(EXIT_OK if healthy else EXIT_FAILED)


@cli.command(name="connectors")
def connectors_cmd() -> None:
    """List the installed connectors (built-in and third-party)."""
    for name in registry.available():
        try:
            cls = registry.load(name)
            click.echo(f"{name:12} {cls.description}")
        except LookupError as exc:
            click.echo(f"{name:12} BROKEN: {exc}")
