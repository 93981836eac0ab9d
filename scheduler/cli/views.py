"""Commands over the catalog's views: ``export``, ``search``, ``subjects``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from scheduler.catalog_setup import open_catalog
from scheduler.cli.base import (
    EXIT_FAILED,
    EXIT_OK,
    _console,
    _output,
    _State,
    cli,
)

if TYPE_CHECKING:
    from catalog.store.textsearch import SearchHit
    from scheduler.config import Config


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "site"]),
    default="json",
    show_default=True,
    help="json: the whole catalog (or one audience's view); csv and site: one audience's view.",
)
@click.option(
    "--out",
    "-o",
    "out_path",
    metavar="PATH",
    help="File (json, csv; - for stdout) or directory (site) to write.",
)
@click.option(
    "--audience",
    metavar="INSTITUTION",
    help="Whose students it is for (an [[institutions]] id): required for csv and site; "
    "for json, only the courses offered to them, with only their offers.",
)
@click.option(
    "--all",
    "build_all",
    is_flag=True,
    help="Build every [[exports]] entry of the config now (instead of --format/--out).",
)
@click.pass_context
def export(
    ctx: click.Context, fmt: str, out_path: str | None, audience: str | None, build_all: bool
) -> None:
    """Export the catalog: JSON (schema mooc-exchange/1), CSV or the static catalog site."""
    state: _State = ctx.obj
    if build_all:
        given = [
            option
            for option, name in (
                ("--format", "fmt"),
                ("--out", "out_path"),
                ("--audience", "audience"),
            )
            if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE
        ]
        if given:
            raise click.UsageError(
                f"--all builds the config's [[exports]]; it takes no {', '.join(given)}"
            )
        _export_all(state)
        return
    if out_path is None:
        raise click.UsageError("give --out PATH (or --all for the config's [[exports]])")
    _export_one(state, fmt, out_path, audience)


def _export_one(state: _State, fmt: str, out_path: str, audience: str | None) -> None:
    """``moocx export --format … --out …``: one export, checked first as a command line."""
    from scheduler.exports import export as write
    from scheduler.progress import export_progress

    config = state.config()
    if audience is not None:
        _known_institution(config, audience, "audience")
    if fmt in ("csv", "site") and audience is None:
        raise click.UsageError(f"the {fmt} export is for one audience: add --audience")
    if fmt == "site" and out_path == "-":
        raise click.UsageError("the site is a directory: give --out DIR")
    engine = open_catalog(config)
    with export_progress(_output(stderr=True), fmt) as progress:
        if out_path == "-":
            stream = sys.stdout
            write(config, engine, fmt, None, audience=audience, stream=stream, progress=progress)
            return
        count = write(config, engine, fmt, Path(out_path), audience=audience, progress=progress)
    click.echo(f"wrote {_written(fmt, count, audience)} to {out_path}", err=True)


def _written(fmt: str, count: int, audience: str | None) -> str:
    """What an export wrote, as its result line says it."""
    if fmt == "csv":
        return f"{count} rows (one per offer to {audience})"
    if fmt == "json" and audience is not None:
        return f"{count} courses (those offered to {audience}, with {audience}'s offers only)"
    return f"{count} courses"


def _export_all(state: _State) -> None:
    """``moocx export --all``: every configured export now, one line each; exit 1 if any
    failed (the others are still written)."""
    from scheduler.config import ConfigError
    from scheduler.exports import build
    from scheduler.progress import export_progress

    config = state.config()
    if not config.exports:
        raise ConfigError(
            [
                "no [[exports]] in the config: add one (see config.example.toml), "
                "or give --format and --out"
            ],
            config.path,
        )
    engine = open_catalog(config)
    out = _output()
    failed = 0
    for item in config.exports:
        what = item.format if item.audience is None else f"{item.format} for {item.audience}"
        with export_progress(_output(stderr=True), item.format) as progress:
            built = build(config, engine, item, progress=progress)
        if built.ok:
            assert built.count is not None
            line = (
                f"{what}: wrote {_written(item.format, built.count, item.audience)} to {item.path}"
            )
            out.print(line, style="green", markup=False)
        else:
            failed += 1
            line = f"{what}: could not write {item.path}: {built.error}"
            out.print(line, style="red", markup=False)
    if failed:
        out.print(f"{failed} of {len(config.exports)} exports failed", style="red", markup=False)
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


def _known_institution(config: Config, value: str, what: str) -> None:
    """Refuse an ``--audience`` / ``--institution`` the config does not know, as a command-line
    mistake (exit 2) that lists the institutions it does know."""
    known = sorted(i.id for i in config.institutions)
    if value not in known:
        raise click.UsageError(
            f"unknown {what} {value!r}: known institutions: {', '.join(known) or 'none configured'}"
        )


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
    from catalog.store import textsearch
    from catalog.store.db import read_only

    config = state.config()
    for inst, what in ((institution, "institution"), (audience, "audience")):
        if inst is not None:
            _known_institution(config, inst, what)
    from scheduler.exchange_setup import current_subject_codes

    engine = open_catalog(config)
    current_subject_codes(engine, config)  # the index names subjects as the config maps them
    with read_only(engine) as conn:
        hits = textsearch.search(
            conn,
            " ".join(query),
            institution=institution,
            language=language,
            audience=audience,
            limit=limit,
        )
    if as_json:
        _print_hits_json(hits)
    else:
        _print_hits(hits)


def _print_hits_json(hits: Sequence[SearchHit]) -> None:
    """One JSON object per line, for scripts."""
    import json

    for hit in hits:
        line = {
            "id": hit.id,
            "title": hit.title,
            "institution": hit.institution,
            "language": hit.language,
            "organization": hit.organization,
            "url": hit.url,
            "match": hit.match,
        }
        click.echo(json.dumps(line, ensure_ascii=False))


def _print_hits(hits: Sequence[SearchHit]) -> None:
    """A table of the hits, for a person."""
    from rich.table import Table

    out = _console()
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

    from catalog.derive.subjects import load_subjects
    from catalog.store.db import read_only
    from catalog.store.tables import courses

    config = state.config()
    engine = open_catalog(config)
    catalog = load_subjects()
    extra = dict(config.subjects)
    counts: Counter[str] = Counter()
    missing: Counter[str] = Counter()
    with read_only(engine) as conn:
        active = select(courses.c.subjects).where(courses.c.status == "active")
        for (categories,) in conn.execute(active):
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
