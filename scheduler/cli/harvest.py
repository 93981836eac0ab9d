"""Commands that harvest: ``init``, ``sync``, ``check``, ``serve``, ``demo``."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from catalog.store import schema
from catalog.store.db import make_engine
from scheduler.cli.base import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_SKIPPED,
    _console,
    _output,
    _safe_url,
    _State,
    cli,
)
from scheduler.config import ConfigError
from scheduler.display import plural
from scheduler.progress import make_progress
from scheduler.sync import open_catalog, sync_feeds


@cli.command()
@click.pass_obj
def init(state: _State) -> None:
    """Create the catalog database, or upgrade its schema (keeping all data)."""
    config = state.config()
    engine = make_engine(config.catalog_url)
    before, after = schema.upgrade(engine)
    open_catalog(config)  # mirror institutions and feeds
    if before is None:
        click.echo(f"created the catalog at schema {after}: {_safe_url(config.catalog_url)}")
    elif before != after:
        click.echo(f"upgraded the catalog from schema {before} to {after}")
    else:
        click.echo(f"the catalog is current (schema {after})")


@cli.command()
@click.argument("feeds", nargs=-1, metavar="[FEED]...")
@click.option("--quiet", "-q", is_flag=True, help="Only the summary lines, no progress.")
@click.option(
    "--full", is_flag=True, help="A full harvest now, even where incremental is possible."
)
@click.option(
    "--accept-withdrawals",
    is_flag=True,
    help="Apply the withdrawals a guard held back for the named feeds (after review), then sync.",
)
@click.pass_obj
def sync(
    state: _State, feeds: tuple[str, ...], quiet: bool, full: bool, accept_withdrawals: bool
) -> None:
    """Harvest feeds now (every enabled feed when none is named)."""
    config = state.config()
    for feed_id in feeds:
        config.feed(feed_id)  # unknown ids are config errors, before anything runs
    if accept_withdrawals and not feeds:
        raise click.UsageError(
            "--accept-withdrawals needs the feeds named: moocx sync --accept-withdrawals FEED"
        )
    chosen = list(feeds) or [f.id for f in config.feeds if f.enabled]
    if not chosen:
        raise ConfigError(["no enabled feeds to sync; add [[feeds]] to the config"], config.path)
    config.require_secrets(chosen)  # only these feeds' ${VAR}s; nothing has run yet
    engine = open_catalog(config)
    with make_progress(None if quiet else _output(stderr=True), quiet=quiet) as progress:
        results = sync_feeds(
            config,
            engine,
            chosen,
            progress=progress,
            full=full,
            accept_withdrawals=accept_withdrawals,
        )
    from scheduler.after_sync import after_sync  # the exchange: only for a sync that ran

    after_sync(config, engine, results, exports=False)  # the service keeps the exports
    out = _output()
    for r in results:
        out.print(r.summary(), style=_STATUS_STYLE.get(r.status, "red"), markup=False)
        if r.error:
            out.print(
                f"  {r.error}", style="red" if r.status != "skipped" else "yellow", markup=False
            )
        if r.held:
            out.print(
                f"  {plural(r.held, 'withdrawal')} held back: {r.guard}. Review them with "
                f"`moocx runs show {r.run_id}`, then `moocx sync --accept-withdrawals {r.feed_id}`",
                style="yellow",
                markup=False,
            )
        if r.rejected:
            out.print(f"  see the rejected records: moocx runs show {r.run_id}", markup=False)
    if results and all(r.status == "skipped" for r in results):
        sys.exit(EXIT_SKIPPED)
    sys.exit(EXIT_OK if all(r.ok for r in results) else EXIT_FAILED)


_STATUS_STYLE = {"succeeded": "green", "skipped": "yellow", "interrupted": "yellow"}


@cli.command()
@click.argument("feeds", nargs=-1, metavar="[FEED]...")
@click.option(
    "--quiet", "-q", is_flag=True, help="Only errors and the summary: no retry warnings, no detail."
)
@click.pass_obj
def check(state: _State, feeds: tuple[str, ...], quiet: bool) -> None:
    """Fetch the first page of feeds and show what would be harvested; writes nothing."""
    from scheduler.check import check_feed, describe, error_lines, summary

    config = state.config()
    for feed_id in feeds:
        config.feed(feed_id)
    chosen = list(feeds) or [f.id for f in config.feeds if f.enabled]
    config.require_secrets(chosen)
    out = _output()
    results = []
    with _connector_warnings(shown=not quiet):
        for feed_id in chosen:
            result = check_feed(config, feed_id)
            results.append(result)
            if quiet and result.ok:
                continue
            lines = describe(result) if not quiet else [describe(result)[0], *error_lines(result)]
            for line in lines:
                out.print(
                    line.text, style=_CHECK_STYLE.get(line.kind), markup=False, soft_wrap=True
                )
    line = summary(results)
    out.print(line.text, style=_CHECK_STYLE.get(line.kind), markup=False, soft_wrap=True)
    sys.exit(EXIT_OK if all(r.ok for r in results) else EXIT_FAILED)


_CHECK_STYLE = {"title": "bold", "error": "red", "warning": "yellow"}


@contextmanager
def _connector_warnings(*, shown: bool) -> Iterator[None]:
    """Connectors' warnings (a retry, a rejected record) on stderr unless ``shown`` is false."""
    logger = logging.getLogger("connectors")
    level = logger.level
    if not shown:
        logger.setLevel(max(logger.getEffectiveLevel(), logging.ERROR))
    try:
        yield
    finally:
        logger.setLevel(level)


@cli.command()
@click.pass_obj
def serve(state: _State) -> None:
    """Run the sync service: every enabled feed on its schedule, until SIGTERM or SIGINT.

    It logs one line at start (the feeds and their next runs), one per run, one per reload and
    one at stop (``--log-format json``: one object per line); -v adds each sync's own lines,
    -vv APScheduler's. Log times are in ``[service] timezone``, with their offset.
    """
    from scheduler import logs
    from scheduler.service import Service

    config = state.config()
    assert config.path is not None
    logs.use_timezone(config.service.timezone)
    sys.exit(Service(config.path, config).serve())


@cli.command()
@click.option(
    "--dir",
    "directory",
    default="moocx-demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where the demo writes its config, catalog and exports.",
)
@click.option(
    "--serve",
    is_flag=True,
    help="Keep the sample platforms running until Ctrl-C, for sync/check/serve on the demo's "
    "config (if DIR holds a demo already: only start them, on the same addresses).",
)
@click.option(
    "--force", is_flag=True, help="Replace the demo's config even if it was edited since."
)
def demo(directory: str, serve: bool, force: bool) -> None:
    """Run the whole pipeline on bundled sample feeds served locally (no network needed)."""
    from scheduler.demo.run import run_demo

    sys.exit(run_demo(Path(directory), _console(), force=force, serve=serve))
