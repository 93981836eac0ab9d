"""Commands that harvest: ``init``, ``sync``, ``check``, ``serve``, ``demo``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from catalog import schema
from catalog.db import make_engine
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
    if any(r.new or r.updated or r.withdrawn for r in results):
        from scheduler.exchange_setup import rebuild_exchange

        rebuild_exchange(config, engine)
    out = _output()
    for r in results:
        out.print(r.summary(), style=_STATUS_STYLE.get(r.status, "red"), markup=False)
        if r.error:
            out.print(
                f"  {r.error}", style="red" if r.status != "skipped" else "yellow", markup=False
            )
        if r.held:
            out.print(
                f"  {r.held} withdrawals held back: {r.guard}. Review them with "
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
@click.pass_obj
def check(state: _State, feeds: tuple[str, ...]) -> None:
    """Fetch the first page of feeds and show what would be harvested; writes nothing."""
    from scheduler.check import check_feed, describe

    config = state.config()
    for feed_id in feeds:
        config.feed(feed_id)
    chosen = list(feeds) or [f.id for f in config.feeds if f.enabled]
    out = _output()
    results = []
    for feed_id in chosen:
        result = check_feed(config, feed_id)
        results.append(result)
        for i, line in enumerate(describe(result)):
            style = "bold" if i == 0 else ("red" if "FAILED" in line or "error:" in line else None)
            out.print(line, style=style, markup=False)
    sys.exit(EXIT_OK if all(r.ok for r in results) else EXIT_FAILED)


@cli.command()
@click.pass_obj
def serve(state: _State) -> None:
    """Run the sync service: every enabled feed on its schedule, until SIGTERM or SIGINT."""
    from scheduler.service import Service

    config = state.config()
    assert config.path is not None
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
