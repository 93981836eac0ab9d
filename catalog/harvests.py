"""Bookkeeping around harvests: registering institutions and feeds, opening and closing runs.

The config is the source of truth for institutions and feeds; :func:`register` mirrors it into
the catalog (ids never change meaning: a feed that leaves the config keeps its courses and runs,
it is simply no longer harvested).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from catalog.errors import UnknownFeedError
from catalog.models import Feed, HarvestRun, Institution, utcnow


@dataclass(frozen=True, slots=True)
class InstitutionInfo:
    id: str
    names: dict[str, str]
    country: str | None
    timezone: str


@dataclass(frozen=True, slots=True)
class FeedInfo:
    id: str
    institution: str
    connector: str
    base_url: str


def register(
    engine: Engine, institutions: Iterable[InstitutionInfo], feeds: Iterable[FeedInfo]
) -> None:
    """Insert or update institutions and feeds as the config describes them."""
    inst_t, feed_t = Institution.__table__, Feed.__table__
    with engine.begin() as conn:
        known_inst = {row.id: row for row in conn.execute(select(inst_t))}
        for inst in institutions:
            values: dict[str, Any] = {
                "names": inst.names,
                "country": inst.country,
                "timezone": inst.timezone,
            }
            old = known_inst.get(inst.id)
            if old is None:
                conn.execute(insert(inst_t).values(id=inst.id, **values))
            elif (old.names, old.country, old.timezone) != tuple(values.values()):
                conn.execute(update(inst_t).where(inst_t.c.id == inst.id).values(**values))
        known_feeds = {row.id: row for row in conn.execute(select(feed_t))}
        for feed in feeds:
            old = known_feeds.get(feed.id)
            if old is None:
                conn.execute(
                    insert(feed_t).values(
                        id=feed.id,
                        institution_id=feed.institution,
                        connector=feed.connector,
                        base_url=feed.base_url,
                        created_at=utcnow(),
                    )
                )
            elif (old.institution_id, old.connector, old.base_url) != (
                feed.institution,
                feed.connector,
                feed.base_url,
            ):
                changes: dict[str, Any] = {
                    "institution_id": feed.institution,
                    "connector": feed.connector,
                    "base_url": feed.base_url,
                }
                if (old.connector, old.base_url) != (feed.connector, feed.base_url):
                    # A cursor belongs to one endpoint and format; it means nothing for another.
                    changes.update(cursor=None, cursor_updated_at=None)
                conn.execute(update(feed_t).where(feed_t.c.id == feed.id).values(**changes))


def start_run(engine: Engine, feed_id: str, *, trigger: str = "cli") -> int:
    """Open a harvest run for ``feed_id`` and return its id."""
    with engine.begin() as conn:
        if conn.execute(select(Feed.id).where(Feed.id == feed_id)).first() is None:
            raise UnknownFeedError(f"feed {feed_id!r} is not in the catalog")
        result = conn.execute(
            insert(HarvestRun.__table__)
            .values(feed_id=feed_id, status="running", started_at=utcnow(), trigger=trigger)
            .returning(HarvestRun.__table__.c.id)
        )
        return int(result.scalar_one())


def finish_run(
    engine: Engine,
    run_id: int,
    *,
    status: str,
    complete: bool = False,
    error: str | None = None,
    finished_at: datetime | None = None,
) -> None:
    """Close a harvest run with its final status."""
    with engine.begin() as conn:
        conn.execute(
            update(HarvestRun.__table__)
            .where(HarvestRun.__table__.c.id == run_id)
            .values(
                status=status,
                complete=complete,
                error=error[:4000] if error else None,
                finished_at=finished_at or utcnow(),
            )
        )
