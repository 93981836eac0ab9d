"""``moocx exchange``: rebuild the offers and say what each rule did, or explain one course."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from scheduler.catalog_setup import open_catalog
from scheduler.cli.base import _console, _output, _State, cli

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy import Engine

    from catalog.store.offers import ExchangeReport
    from scheduler.config import Config


@cli.command()
@click.option(
    "--explain",
    "explain_ref",
    metavar="ID",
    help="Why one course (feed:key, or an unambiguous key) is or is not offered, rule by rule.",
)
@click.option("--json", "as_json", is_flag=True, help="With --explain: one JSON document.")
@click.pass_obj
def exchange(state: _State, explain_ref: str | None, as_json: bool) -> None:
    """Rebuild the exchange from the rules and show it per direction and per rule."""
    config = state.config()
    engine = open_catalog(config)
    if explain_ref is not None:
        _explain(config, engine, explain_ref, as_json)
        return
    if as_json:
        raise click.UsageError("--json goes with --explain ID")
    from scheduler.exchange_setup import rebuild_exchange

    _print_exchange(_console(), rebuild_exchange(config, engine))


def _print_exchange(out: Console, report: ExchangeReport) -> None:
    from rich.table import Table

    from catalog.store.offers import MISSED
    from scheduler.display import plural

    table = Table(box=None, header_style="bold")
    for column in ("from", "to", "courses", "runs", "whole courses", "open now", "seats"):
        table.add_column(column, justify="left" if column in ("from", "to") else "right")
    for s in report.directions:
        table.add_row(
            s.offering,
            s.audience,
            str(s.courses),
            str(s.runs),
            str(s.whole),
            str(s.open_now),
            str(s.seats),
        )
    out.print(table)
    if not report.rules:
        out.print("no exchange rules: add [[exchange]] rules to the config", markup=False)
        return
    for rule in report.rules:
        head = f"rule {rule.rule} ({rule.offering} → {rule.audience}): "
        if rule.skipped:
            out.print(head + f"not applied: {rule.skipped}", style="yellow", markup=False)
            continue
        matched = plural(rule.matched, "course matches", "courses match")
        text = f"{matched}, {rule.offered} offered"
        if rule.earlier:
            text += f", {rule.earlier} already offered under an earlier rule"
        missed = sum(rule.missed.values())
        if missed:
            reasons = "; ".join(f"{n}: {MISSED[code]}" for code, n in rule.missed.most_common())
            text += f"; {missed} get no offer ({reasons})"
        out.print(head + text, style="yellow" if missed else None, markup=False)
    out.print("moocx exchange --explain ID says why one course is or is not offered", markup=False)


def _explain(config: Config, engine: Engine, ref: str, as_json: bool) -> None:
    import json

    from catalog.present.explain import explain, explained_rows
    from catalog.store.db import read_only
    from scheduler.exchange_setup import current_subject_codes, settings

    current_subject_codes(engine, config)
    with read_only(engine) as conn:
        found = explain(conn, ref, settings(config))
    if as_json:
        document = {
            "course": found.course,
            "title": found.title,
            "institution": found.institution,
            "status": found.status,
            "rules": explained_rows(found),
        }
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    out = _output()
    out.print(f"{found.course} — {found.title} ({found.institution}, {found.status})")
    if not found.verdicts:
        out.print("no exchange rules: add [[exchange]] rules to the config")
    for verdict in found.verdicts:
        outcome = "OFFERED" if verdict.offered else "not offered"
        out.print(f"rule {verdict.rule} → {verdict.audience}: {outcome}")
        for line in verdict.lines:
            out.print(f"  {line}")
