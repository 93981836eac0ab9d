"""Commands that explain the catalog to its admin: ``course`` and ``review``.

Times are shown with their offset, in the ``[service] timezone`` (the admin's clock) — except
an offer's application window, shown in its offering institution's zone, the one the rule's
dates are written in. ``--json`` gives the same values as one JSON document.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from scheduler.cli.base import EXIT_CONFIG, EXIT_FAILED, _output, _State, cli

if TYPE_CHECKING:
    from rich.console import Console

    from catalog.present.inspect import Course, Offer
    from catalog.present.review import FeedReview
    from scheduler.cli.base import PlainOutput

    Out = Console | PlainOutput

RUNLESS = "no scheduled run (dates set by the platform)"


def _at(value: datetime | None, zone: ZoneInfo) -> str:
    """``2026-12-02 20:17+07:00``: minutes, with the offset."""
    return "-" if value is None else value.astimezone(zone).isoformat(" ", "minutes")


def _iso(value: Any, zone: ZoneInfo) -> Any:
    """Datetimes anywhere in a JSON-bound value → ISO 8601 text in ``zone``."""
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat()
    if isinstance(value, dict):
        return {k: _iso(v, zone) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_iso(v, zone) for v in value]
    return value


def _flag(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _show(value: object) -> str:
    return "-" if value is None or value == "" else str(value)


@cli.command()
@click.argument("ident", metavar="ID")
@click.option("--raw", is_flag=True, help="Also show the source's own record of the course.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document.")
@click.pass_obj
def course(state: _State, ident: str, raw: bool, as_json: bool) -> None:
    """One course as the catalog knows it: ID is FEED:KEY, or a KEY only one feed has."""
    from catalog.derive.subjects import load_subjects
    from catalog.errors import AmbiguousCourse, UnknownCourse
    from catalog.present import inspect
    from catalog.store.db import read_only
    from scheduler.catalog_setup import open_catalog
    from scheduler.exchange_setup import current_subject_codes

    config = state.config()
    zone = ZoneInfo(config.service.timezone)
    engine = open_catalog(config)
    current_subject_codes(engine, config)
    err = _output(stderr=True)
    try:
        with read_only(engine) as conn:
            found = inspect.course(conn, ident, labels=load_subjects().labels)
    except AmbiguousCourse as exc:
        err.print(f"course key {ident!r} is in several feeds; name one of:", markup=False)
        for candidate in exc.ids:
            err.print(f"  {candidate}", markup=False)
        sys.exit(EXIT_CONFIG)
    except UnknownCourse as exc:
        err.print(str(exc), markup=False)
        sys.exit(EXIT_FAILED)
    if as_json:
        click.echo(json.dumps(_course_doc(found, zone, raw=raw), ensure_ascii=False, indent=2))
        return
    out = _output()
    _print_course(out, found, zone)
    if raw:
        _print_raw(out, found)


def _course_doc(found: Course, zone: ZoneInfo, *, raw: bool) -> dict[str, Any]:
    doc = dataclasses.asdict(found)
    doc["offers"] = [
        {**_iso(dataclasses.asdict(o), ZoneInfo(o.offering_timezone)), "runless": o.run is None}
        for o in found.offers
    ]
    doc = _iso(doc, zone)
    if raw:
        doc["raw"] = found.raw_value()
    else:
        del doc["raw"]
    return doc


def _print_course(out: Out, c: Course, zone: ZoneInfo) -> None:
    p = out.print
    p(f"{c.id}  {c.title}  [{c.status}]", markup=False)
    p(
        f"  language {_show(c.language)} · organisation {_show(c.organization)} · level "
        f"{_show(c.level)} · effort {_show(c.effort)} · credits {_show(c.credits)} · pacing "
        f"{_show(c.pacing)} · free {_flag(c.is_free)} · certificate {_flag(c.certificate)}",
        markup=False,
    )
    codes = ", ".join(f"{s.code} {s.labels.get('en', '')}".strip() for s in c.subjects_isced)
    p(f"  subjects: {', '.join(c.subjects) or '-'} (ISCED-F: {codes or 'none'})", markup=False)
    p(f"  url: {_show(c.url)}", markup=False)
    pr = c.provenance
    p("provenance", markup=False)
    p(
        f"  feed {pr.feed} ({pr.connector}, {pr.base_url}) of institution {pr.institution}",
        markup=False,
    )
    p(f"  from page: {_show(pr.source_url)}", markup=False)
    for label, h in (("first harvest", pr.first_harvest), ("last harvest", pr.last_harvest)):
        what = "-" if h is None else f"run {h.id} ({h.mode}, {h.status}), {_at(h.started_at, zone)}"
        p(f"  {label}: {what}", markup=False)
    p(
        f"  first seen {_at(pr.first_seen, zone)} · last changed {_at(pr.last_seen, zone)} · "
        f"modified at the source {_at(pr.source_modified, zone)}",
        markup=False,
    )
    p("history", markup=False)
    for e in c.events:
        run = f"run {e.harvest_id}" if e.harvest_id is not None else "-"
        p(f"  {_at(e.at, zone)}  {e.event:<11}  {run}", markup=False)
    p(f"runs ({len(c.runs)})" if c.runs else "runs: none (the source lists no runs)", markup=False)
    for r in c.runs:
        p(
            f"  {r.key}: {_at(r.start, zone)} → {_at(r.end, zone)} · enrolment "
            f"{_at(r.enrollment_start, zone)} → {_at(r.enrollment_end, zone)} · pacing "
            f"{_show(r.pacing)}{f' · {r.availability}' if r.availability else ''}",
            markup=False,
        )
    _print_offers(out, c.offers)


def _print_offers(out: Out, offers: tuple[Offer, ...]) -> None:
    p = out.print
    if not offers:
        p("offers: none (no exchange rule offers it; `moocx exchange` rebuilds them)", markup=False)
        return
    p("offers", markup=False)
    audience = None
    for o in offers:
        if o.audience != audience:
            audience = o.audience
            p(f"  to {o.audience} (from {o.offering})", markup=False)
        zone = ZoneInfo(o.offering_timezone)
        window = f"{_at(o.application_start, zone)} → {_at(o.application_end, zone)}"
        p(
            f"    {o.run or RUNLESS} · rule {o.rule} · term {_show(o.term)} · apply {window}"
            f"{' (open now)' if o.open_now else ''} · seats {_show(o.seats)}",
            markup=False,
        )
        if o.host_credits is not None or o.home_credits is not None:
            p(
                f"      credits {_show(o.host_credits)} {_show(o.host_system)} → "
                f"{_show(o.home_credits)} {_show(o.home_system)} ({_show(o.credits_source)})",
                markup=False,
            )
        if o.equivalence_status:
            terms = ", ".join(o.equivalence_terms) or "any term"
            p(
                f"      equivalence {o.equivalence_status}: {_show(o.equivalence_home_course)}"
                f" ({terms})",
                markup=False,
            )
        if o.notes:
            p(f"      notes: {o.notes}", markup=False)


def _print_raw(out: Out, c: Course) -> None:
    if c.raw is None:
        out.print(
            "raw source record: none stored (the course has not changed since the catalog "
            "began keeping them)",
            markup=False,
        )
        return
    value = c.raw_value()
    out.print(f"raw source record (stored by run {c.raw_harvest_id}):", markup=False)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2)
    click.echo(text)


@cli.command()
@click.option(
    "--limit",
    "-n",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="Rejected records listed per feed (0: all).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document.")
@click.pass_obj
def review(state: _State, limit: int, as_json: bool) -> None:
    """What needs an admin: held withdrawals, and the records each feed's latest run rejected."""
    from catalog.present.review import feeds_to_review
    from catalog.store.db import read_only
    from scheduler.catalog_setup import open_catalog

    config = state.config()
    zone = ZoneInfo(config.service.timezone)
    engine = open_catalog(config)
    with read_only(engine) as conn:
        found = feeds_to_review(conn, limit=limit or None)
    configured = {f.id for f in config.feeds}
    if as_json:
        doc = {"feeds": [_review_doc(r, zone, r.feed in configured) for r in found]}
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    out = _output()
    if not found:
        out.print(
            "nothing to review: no feed holds withdrawals back, and no feed's latest run "
            "rejected records",
            markup=False,
        )
        return
    for i, r in enumerate(found):
        if i:
            out.print("", markup=False)
        _print_review(out, r, zone, r.feed in configured)


def release_command(feed: str) -> str:
    return f"moocx sync --accept-withdrawals {feed}"


def _print_renamed(out: Out, feed: str, renamed: int, held: int) -> None:
    """What held courses that reappear under new keys mean, and what to do about them."""
    from catalog.store.renames import HOW

    p = out.print
    p(
        f"  {renamed} of the {held} held courses reappear under new keys: the source probably "
        "changed its id scheme",
        style="yellow",
        markup=False,
    )
    for line in (
        f"    ({HOW})",
        "  until you decide, exports and the exchange list each once, under its new key; the "
        "old rows stay",
        f"  the same courses? withdraw the old keys: {release_command(feed)}",
        "  not the same? ask the source why they vanished: a harvest that lists them again "
        "lifts the hold",
    ):
        p(line, markup=False)


def _review_doc(r: FeedReview, zone: ZoneInfo, configured: bool) -> dict[str, Any]:
    doc = _iso(dataclasses.asdict(r), zone)
    doc["in_config"] = configured
    if r.held is not None:
        doc["held"]["release"] = release_command(r.feed)
    return doc


def _print_review(out: Out, r: FeedReview, zone: ZoneInfo, configured: bool) -> None:
    p = out.print
    p(f"feed {r.feed} (institution {r.institution})", style="bold", markup=False)
    held = r.held
    if held is not None:
        p(
            f"  NEEDS REVIEW: run {held.run_id} (finished {_at(held.run_finished, zone)}) held "
            f"{len(held.courses)} withdrawals back, because:",
            style="yellow",
            markup=False,
        )
        for reason in (held.guard or "(the run recorded no reason)").split("; "):
            p(f"    {reason}", markup=False)
        if held.renamed:
            _print_renamed(out, r.feed, held.renamed, len(held.courses))
        p("  held back (key, why, last seen, title):", markup=False)
        width = max(len(h.key) for h in held.courses)
        for h in held.courses:
            p(
                f"    {h.key:<{width}}  {h.reason:<7}  last seen {_at(h.last_seen, zone)}  "
                f"{_show(h.title)}{f'  → {h.renamed_to}' if h.renamed_to else ''}",
                markup=False,
            )
        p(f"  release them after review: {release_command(r.feed)}", markup=False)
        if not configured:
            p(f"  (feed {r.feed} is not in the config: add it back to release them)", markup=False)
    elif r.needs_review:
        p(f"  NEEDS REVIEW: {_show(r.review_reason)}", style="yellow", markup=False)
    rej = r.rejections
    if rej is None:
        return
    p(
        f"  the latest run, {rej.id} ({rej.status}, started {_at(rej.started_at, zone)}), "
        f"rejected {rej.rejected_total} record{'s' if rej.rejected_total != 1 else ''}:",
        markup=False,
    )
    for x in rej.rejected:
        p(f"    - {x.key or '(no key)'}: {x.reason}", markup=False)
        if x.excerpt_line:
            p(f"      {x.excerpt_line}", style="dim", markup=False)
    more = rej.rejected_total - len(rej.rejected)
    if more:
        p(f"    … and {more} more: moocx runs show {rej.id}", markup=False)
