"""The Atom feed on both catalog backends (SQLite and PostgreSQL): the audience's live offers,
newest first, read cleanly by feedparser."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
from sqlalchemy import Engine, update

from catalog.present.publish.atom import atom_feed
from catalog.store.models import Course
from tests.catalog.present.publish.test_moochub_backends import NOW, SETTINGS, published

__all__ = ["published"]  # the fixture, shared with the MOOChub backends test


def test_the_feed_is_the_same_on_both_backends(published: Engine) -> None:
    with published.begin() as conn:  # the most recently changed course leads the feed
        changed = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
        conn.execute(update(Course).where(Course.key == "UETx+C013").values(updated_at=changed))
    with published.connect() as conn:
        body = atom_feed(conn, SETTINGS, "tsinghua", now=NOW, site_url="https://thu.example/site")
    result = feedparser.parse(body)
    assert result.bozo == 0 and result.feed.language == "zh"
    titles = [entry.title for entry in result.entries]
    # an entry per offer (a run, or the whole course): every live course, none withdrawn
    assert set(titles) == {f"Khóa học {n}" for n in range(25) if n % 5}
    assert titles[0] == "Khóa học 13" and result.entries[0].updated == "2027-01-04T08:00:00Z"
    assert len({entry.id for entry in result.entries}) == len(titles)
    assert all(e.summary.startswith("开课学校：") for e in result.entries)
    stamps = [entry.updated_parsed for entry in result.entries]
    assert stamps == sorted(stamps, reverse=True)
