"""Courses that reappear under new keys: a source that changed its id scheme (RELIABILITY C15).

When a source renames every key — a prefix added, another identifier scheme — a harvest sees
every course as new and every old one as absent. The withdrawal guard holds the old ones back
(far more than ``max_withdraw_fraction`` at once), so until an admin decides the catalog holds
each course twice. A held course is *renamed* when a course of the same feed that the harvest
did see has the same URL, or the same title and organisation:

* the harvest's last step records such a held withdrawal with the reason ``renamed``
  (:mod:`catalog.store.withdrawals`);
* exports and the exchange leave those courses out (:func:`superseded`): each course is listed
  once, under its new key, while the old row stays in the catalog — nothing is lost — until
  ``moocx sync --accept-withdrawals FEED`` withdraws it, or a complete harvest that lists the
  old key again (the source went back) lifts the hold;
* ``moocx review`` says how many of the held courses reappear, and under which keys.

Only held withdrawals are looked at: a withdrawal that passes the guards is applied anyway.
Matching runs in Python over two streams — the held courses, indexed by URL and by (title,
organisation), and the courses present, read in batches — so memory follows the held courses,
not the size of the catalog.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Select, func, select

from catalog.store import tables
from catalog.store.bulk import AnyRow, Bulk

#: ``held_withdrawals.reason`` of a held course whose twin the harvest saw.
REASON = "renamed"
#: How a twin is recognised, for messages.
HOW = "a course the harvest saw has the same URL, or the same title and organisation"

held_t, courses_t = tables.held_withdrawals, tables.courses


def held_courses(conn: Connection, course_ids: Sequence[int]) -> list[AnyRow]:
    """(id, url, title, organization) of the held courses."""
    return Bulk(conn).select_in(
        "SELECT id, url, title, organization FROM courses WHERE id IN ({in})", course_ids
    )


def twins(held: Iterable[AnyRow], present: Iterable[AnyRow]) -> dict[int, str]:
    """Held course id → the key of the first present course that looks like it.

    ``held`` rows have ``id, url, title, organization``; ``present`` rows ``key, url, title,
    organization`` (never one of the held courses).
    """
    by_url: dict[str, list[int]] = {}
    by_name: dict[tuple[str, str], list[int]] = {}
    for row in held:
        if row.url:
            by_url.setdefault(row.url, []).append(row.id)
        by_name.setdefault((row.title, row.organization or ""), []).append(row.id)
    found: dict[int, str] = {}
    for row in present:
        for course_id in (
            *by_url.get(row.url or "", ()),
            *by_name.get((row.title, row.organization or ""), ()),
        ):
            found.setdefault(course_id, row.key)
    return found


def present_besides(conn: Connection, feed_id: str, run_id: int) -> Iterable[AnyRow]:
    """The feed's active courses that ``run_id`` did not hold back, in batches."""
    c = courses_t.c
    held_by_run = select(held_t.c.course_id).where(held_t.c.run_id == run_id)
    return conn.execute(
        select(c.key, c.url, c.title, c.organization).where(
            c.feed_id == feed_id, c.status == "active", c.id.not_in(held_by_run)
        ),
        execution_options={"yield_per": 1000},
    )


def superseded() -> Select[Any]:
    """Ids of the courses each feed's latest holding run held back as renamed: left out of
    exports and the exchange (``courses.id NOT IN (…)``) until the admin decides."""
    latest = held_t.alias("latest")
    newest_run = (
        select(func.max(latest.c.run_id))
        .where(latest.c.feed_id == held_t.c.feed_id)
        .scalar_subquery()
    )
    return select(held_t.c.course_id).where(
        held_t.c.reason == REASON, held_t.c.run_id == newest_run
    )
