"""The ``moocx`` command line.

Exit codes (cron-friendly): 0 every feed succeeded; 1 a feed failed; 2 the config or the command
line is wrong (nothing was harvested); 3 every requested feed was skipped because another sync
holds it.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from catalog import queries, schema
from catalog.db import make_engine
from catalog.errors import CatalogError
from connectors import registry
from connectors.version import __version__
from scheduler import logs
from scheduler.config import Config, ConfigError, config_path, load_config
from scheduler.progress import make_progress
from scheduler.sync import open_catalog, sync_feeds

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_SKIPPED = 0, 1, 2, 3
log = logging.getLogger(__name__)


class _State:
    def __init__(self, config: str | None) -> None:
        self.config_arg = config
        self._config: Config | None = None

    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(config_path(self.config_arg))
            logs.redactor().add(self._config.secrets())
        return self._config


def _console(stderr: bool = False) -> Console:
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:
        # Pipes, cron mail and CI logs: wide enough that tables never wrap their cells.
        console = Console(stderr=stderr, highlight=False, width=200)
    return console


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "-c",
    metavar="PATH",
    help="Config file (default: $MOOCX_CONFIG, else ./config.toml).",
)
@click.option("--verbose", "-v", count=True, help="More log output (-v info, -vv debug).")
@click.option(
    "--log-format",
    type=click.Choice(["plain", "json"]),
    default="plain",
    show_default=True,
    help="Log lines as plain text or one JSON object per line.",
)
@click.version_option(__version__, prog_name="moocx")
@click.pass_context
def cli(ctx: click.Context, config: str | None, verbose: int, log_format: str) -> None:
    """mooc-exchange: harvest partner universities' MOOC feeds into one shared catalog."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logs.setup(level, log_format)
    ctx.obj = _State(config)


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
    with make_progress(_console(stderr=True), quiet=quiet) as progress:
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
    out = _console()
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
@click.pass_obj
def feeds(state: _State) -> None:
    """List feeds with their health: last run, last success, failures, review, lease."""
    config = state.config()
    engine = open_catalog(config)
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
            _when(f.last_run_started),
            status,
            str(f.courses),
            _when(f.last_success),
            str(f.consecutive_failures),
            "NEEDS REVIEW" if f.needs_review else "-",
            f.lease or "-",
            _when(f.next_run),
            f"until {_when(f.backoff_until)}" if f.backoff_until else "-",
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
    config = state.config()
    engine = open_catalog(config)
    out = _console()
    if args and args[0] == "show":
        if len(args) != 2 or not args[1].isdigit():
            raise click.UsageError("usage: moocx runs show RUN_ID")
        _show_run(out, engine, int(args[1]))
        return
    if len(args) > 1:
        raise click.UsageError("give at most one feed id")
    feed_id = args[0] if args else None
    if feed_id is not None:
        config.feed(feed_id)
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
        "pages",
        "secs",
    ):
        table.add_column(
            column, justify="left" if column in ("feed", "started", "status") else "right"
        )
    rows = queries.recent_runs(engine, feed_id, limit)
    errors = []
    for r in rows:
        table.add_row(
            str(r.id),
            r.feed_id,
            _when(r.started_at),
            r.status,
            str(r.new),
            str(r.updated),
            str(r.unchanged),
            str(r.rejected),
            str(r.pages),
            f"{r.duration:.1f}" if r.duration is not None else "-",
        )
        if r.error:
            errors.append(f"run {r.id}: {r.error}")
    out.print(table)
    for line in errors:
        out.print(line, style="red", markup=False)


def _show_run(out: Console, engine: object, run_id: int) -> None:
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
    out.print(f"  started:   {_when(run.started_at)}", markup=False)
    out.print(f"  finished:  {_when(run.finished_at)}", markup=False)
    out.print(
        f"  pages {run.pages} · received {run.received} · new {run.new} · updated {run.updated}"
        f" · unchanged {run.unchanged} · withdrawn {run.withdrawn} · rejected {run.rejected}",
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
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "site"]),
    default="json",
    show_default=True,
    help="json: the whole catalog; csv and site: one audience's view.",
)
@click.option(
    "--out",
    "-o",
    "out_path",
    required=True,
    metavar="PATH",
    help="File (json, csv; - for stdout) or directory (site) to write.",
)
@click.option(
    "--audience",
    metavar="INSTITUTION",
    help="Whose students the csv or site is for (an [[institutions]] id).",
)
@click.pass_obj
def export(state: _State, fmt: str, out_path: str, audience: str | None) -> None:
    """Export the catalog: JSON (schema mooc-exchange/1), CSV or the static catalog site."""
    from scheduler.exports import export as write

    config = state.config()
    if audience is not None:
        config.institution(audience)
    if fmt in ("csv", "site") and audience is None:
        raise click.UsageError(f"the {fmt} export is for one audience: add --audience")
    if fmt == "site" and out_path == "-":
        raise click.UsageError("the site is a directory: give --out DIR")
    engine = open_catalog(config)
    if out_path == "-":
        write(config, engine, fmt, None, audience=audience, stream=sys.stdout)
        return
    count = write(config, engine, fmt, Path(out_path), audience=audience)
    click.echo(f"wrote {count} courses to {out_path}", err=True)


@cli.command()
@click.pass_obj
def exchange(state: _State) -> None:
    """Rebuild the exchange from the rules and show it per direction."""
    from scheduler.exchange_setup import rebuild_exchange

    config = state.config()
    engine = open_catalog(config)
    summaries = rebuild_exchange(config, engine)
    table = Table(box=None, header_style="bold")
    for column in ("from", "to", "courses", "runs", "open now", "seats"):
        table.add_column(column, justify="left" if column in ("from", "to") else "right")
    for s in summaries:
        table.add_row(
            s.offering, s.audience, str(s.courses), str(s.runs), str(s.open_now), str(s.seats)
        )
    out = _console()
    out.print(table)
    if not summaries:
        out.print("no exchange rules match: add [[exchange]] rules to the config", markup=False)


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
    out = _console()
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
    "--max-age",
    type=float,
    default=None,
    metavar="SECONDS",
    help="Heartbeat age that counts as stale (default: 3 heartbeat intervals).",
)
@click.pass_obj
def status(state: _State, max_age: float | None) -> None:
    """Show the sync service's status file; exit 1 when it is stale or a feed keeps failing."""
    from scheduler.status import check_status

    config = state.config()
    lines, healthy = check_status(config, max_age=max_age)
    out = _console()
    for line in lines:
        out.print(line, markup=False, style="red" if line.startswith("UNHEALTHY") else None)
    sys.exit(EXIT_OK if healthy else EXIT_FAILED)


@cli.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--institution", metavar="INST", help="Only courses offered by this institution.")
@click.option("--language", metavar="LANG", help="Only courses taught in this language (vi, zh…).")
@click.option(
    "--audience", metavar="INST", help="Only courses open to this institution's students."
)
@click.option("--limit", "-n", default=20, show_default=True, help="How many results.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def search(  # noqa: PLR0917 -- click passes options positionally
    state: _State,
    query: tuple[str, ...],
    institution: str | None,
    language: str | None,
    audience: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Search the catalog: Vietnamese with or without diacritics, Chinese substrings, English."""
    import json

    from catalog import textsearch
    from catalog.db import read_only

    config = state.config()
    for inst in (institution, audience):
        if inst is not None:
            config.institution(inst)
    engine = open_catalog(config)
    with read_only(engine) as conn:
        hits = textsearch.search(
            conn,
            " ".join(query),
            institution=institution,
            language=language,
            audience=audience,
            limit=limit,
        )
    out = _console()
    if as_json:
        for hit in hits:
            click.echo(
                json.dumps(
                    {
                        "id": hit.id,
                        "title": hit.title,
                        "institution": hit.institution,
                        "language": hit.language,
                        "organization": hit.organization,
                        "url": hit.url,
                        "match": hit.match,
                    },
                    ensure_ascii=False,
                )
            )
        return
    if not hits:
        out.print("no course matches", markup=False)
        return
    table = Table(box=None, header_style="bold")
    for column in ("course", "title", "institution", "language", "match"):
        table.add_column(column)
    for hit in hits:
        table.add_row(hit.id, hit.title, hit.institution, hit.language or "-", hit.match)
    out.print(table)


@cli.command()
@click.option("--unmapped", is_flag=True, help="Only the source categories no subject matches.")
@click.pass_obj
def subjects(state: _State, unmapped: bool) -> None:
    """The ISCED-F subjects courses map to; --unmapped lists the categories that map to none."""
    from collections import Counter

    from sqlalchemy import select

    from catalog.db import read_only
    from catalog.models import Course
    from catalog.subjects import load_subjects

    config = state.config()
    engine = open_catalog(config)
    catalog = load_subjects()
    extra = dict(config.subjects)
    counts: Counter[str] = Counter()
    missing: Counter[str] = Counter()
    with read_only(engine) as conn:
        for (categories,) in conn.execute(select(Course.subjects).where(Course.status == "active")):
            for code in catalog.map(categories or [], extra):
                counts[code] += 1
            for category in catalog.unmapped(categories or [], extra):
                missing[category] += 1
    out = _console()
    if unmapped:
        for category, n in missing.most_common():
            out.print(f"{n:6}  {category}", markup=False)
        if missing:
            out.print('map them in the config: [subjects] "category" = "ISCED code"', markup=False)
        else:
            out.print("every category maps to a subject", markup=False)
        return
    for code in sorted(counts):
        labels = catalog.labels(code)
        out.print(
            f"{code}  {counts[code]:6}  {labels.get('en', '')} / {labels.get('vi', '')} / "
            f"{labels.get('zh', '')}",
            markup=False,
        )
    if missing:
        out.print(
            f"{sum(missing.values())} course categories map to no subject: "
            "moocx subjects --unmapped",
            markup=False,
        )


@cli.command(name="connectors")
def connectors_cmd() -> None:
    """List the installed connectors (built-in and third-party)."""
    for name in registry.available():
        try:
            cls = registry.load(name)
            click.echo(f"{name:12} {cls.description}")
        except LookupError as exc:
            click.echo(f"{name:12} BROKEN: {exc}")


@cli.command()
@click.option(
    "--dir",
    "directory",
    default="moocx-demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where the demo writes its config, catalog and export.",
)
def demo(directory: str) -> None:
    """Run the whole pipeline on bundled sample feeds served locally (no network needed)."""
    from scheduler.demo.run import run_demo

    sys.exit(run_demo(Path(directory), _console()))


def _when(value: object) -> str:
    if value is None:
        return "-"
    return value.astimezone().strftime("%Y-%m-%d %H:%M")  # type: ignore[attr-defined]


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; config and catalog errors become exit code 2."""
    try:
        cli.main(args=argv, prog_name="moocx", standalone_mode=False)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except ConfigError as exc:
        _console(stderr=True).print(str(exc), style="red", markup=False)
        return EXIT_CONFIG
    except CatalogError as exc:
        _console(stderr=True).print(f"catalog: {exc}", style="red", markup=False)
        return EXIT_CONFIG
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("aborted", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return EXIT_CONFIG if isinstance(exc, click.UsageError) else EXIT_FAILED
    return EXIT_OK


def main() -> None:
    """Console entry point."""
    sys.exit(run())


if __name__ == "__main__":
    main()
