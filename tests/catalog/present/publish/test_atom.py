"""Atom feeds of an audience's new and changed offers, as feed readers take them.

feedparser reads every feed without a bozo flag; entries come newest first, at most 100, each
with a stable id, the course title, a link to the course page of the audience's site and a
summary naming the offering university, the term and the application window; the feed speaks
the audience's language; hostile titles still give a well-formed feed; the site export writes
the same feed as ``feeds/{audience}.atom`` and every link in it opens a page of that site.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import lxml.etree
import lxml.html
import pytest
from sqlalchemy import Engine, create_engine

from catalog.present.publish.atom import MAX_ENTRIES, atom_feed
from catalog.present.publish.settings import PublishSettings
from catalog.present.site import write_site
from tests.catalog.present.test_site import GENERATED, INSTITUTIONS, make_course
from tests.support.documents import documents

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
BASE = "https://mooc.vnu.edu.vn/exchange"
ATOM = "{http://www.w3.org/2005/Atom}"
SETTINGS = PublishSettings(
    node_id="mooc.vnu.edu.vn",
    base_url=BASE,
    repository_name="VNU course exchange",
    admin_emails=("exchange@vnu.edu.vn",),
    institutions=("vnu", "tsinghua"),
)
#: Where a reader fetched the demo's VNU site feed from (feedparser resolves links against it).
SITE = "https://students.vnu.edu.vn/site-vnu"


@pytest.fixture
def demo(demo_dir: Path) -> Path:
    """The demo: its catalog and the students' sites it exported (built once a session)."""
    return demo_dir


@pytest.fixture
def catalog(demo: Path, tmp_path: Path) -> Iterator[tuple[Engine, Path]]:
    """A copy of the demo catalog this test may change."""
    path = tmp_path / "catalog.db"
    shutil.copyfile(demo / "catalog.db", path)
    engine = create_engine(f"sqlite:///{path}")
    yield engine, path
    engine.dispose()


def feed(engine: Engine, audience: str = "vnu", **kwargs: Any) -> bytes:
    kwargs.setdefault("settings", SETTINGS)
    kwargs.setdefault("site_url", None)
    with engine.connect() as conn:
        return atom_feed(conn, kwargs.pop("settings"), audience, now=NOW, **kwargs)


def parsed(body: bytes, location: str | None = None) -> Any:
    headers = {"content-location": location, "content-type": "application/atom+xml"}
    headers = headers if location else None
    result = feedparser.parse(body, response_headers=headers)
    assert result.bozo == 0, result.get("bozo_exception")
    return result


def sql(path: Path, statement: str, *params: Any) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(statement, params)


def test_the_feed_reads_cleanly_newest_first_in_the_audiences_language(catalog) -> None:
    engine, path = catalog
    # two courses changed since the harvest: they lead the feed, the latest first
    sql(path, "UPDATE courses SET updated_at = '2027-01-01 10:00:00' WHERE key = 'THU04011002101'")
    sql(path, "UPDATE courses SET updated_at = '2027-01-01 11:00:00' WHERE key = 'THU01011001801'")
    body = feed(engine)
    result = parsed(body)
    entries = result.entries
    assert len(entries) == 23  # the demo's offers to VNU students, one entry each
    assert result.feed.language == "vi"
    assert result.feed.title == "Khóa học mới và cập nhật cho sinh viên Đại học Quốc gia Hà Nội"
    assert result.feed.id == "tag:mooc.vnu.edu.vn,2026:feeds/vnu"
    assert result.feed.author == "VNU course exchange"
    assert [link.href for link in result.feed.links] == [f"{BASE}/feeds/vnu.atom"]
    assert [e.title for e in entries[:2]] == ["逻辑学概论", "教育心理学"]
    assert result.feed.updated == "2027-01-01T11:00:00Z" == entries[0].updated
    stamps = [e.updated_parsed for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    ids = [e.id for e in entries]
    assert len(set(ids)) == len(ids) and all(
        i.startswith("tag:mooc.vnu.edu.vn,2026:offer:") for i in ids
    )
    assert ids == [e.id for e in parsed(feed(engine)).entries]  # stable
    tsinghua = parsed(feed(engine, "tsinghua"))
    assert (
        tsinghua.feed.language == "zh"
        and tsinghua.feed.title == "面向清华大学学生的新课程与更新课程"
    )
    assert len(tsinghua.entries) == 70


def test_an_entry_names_the_university_the_term_and_the_window(catalog) -> None:
    engine, _ = catalog
    entry = parsed(feed(engine)).entries[0]
    lines = entry.summary.splitlines()
    assert lines[0] == "Trường cung cấp: Đại học Thanh Hoa"
    assert lines[1].startswith("Học kỳ: ")
    # in the offering institution's zone (Beijing), as the site's offer cards show it
    assert lines[2].startswith("Thời gian nộp đơn: ") and "UTC+08:00 – " in lines[2]
    assert lines[3] == "Tín chỉ quy đổi tại trường bạn: 2 tín chỉ"
    assert entry.tags and all(t.scheme == "http://uis.unesco.org/isced-f-2013" for t in entry.tags)
    assert entry.link.endswith(".html") and entry.link.startswith("courses/")


def test_links_are_absolute_under_the_site_url_when_given(catalog) -> None:
    engine, _ = catalog
    body = feed(engine, site_url="https://students.vnu.edu.vn/site/")
    entry = parsed(body).entries[0]
    assert entry.link.startswith("https://students.vnu.edu.vn/site/courses/")
    assert b"xml:base" not in body


def test_a_hostile_title_gives_a_well_formed_feed(catalog) -> None:
    engine, path = catalog
    hostile = "<script>alert(1)</script> ]]> &amp; \x01\x0b\ufffe end"
    sql(
        path,
        "UPDATE courses SET title = ?, updated_at = '2027-01-01' WHERE key = 'THU01011001801'",
        hostile,
    )
    body = feed(engine)
    root = lxml.etree.fromstring(body)
    title = root.find(f"{ATOM}entry/{ATOM}title")
    assert title is not None and title.text == "<script>alert(1)</script> ]]> &amp;  end"
    result = parsed(body)
    assert "alert" not in (result.entries[0].get("summary") or "")
    assert b"<script>" not in body


def test_only_consented_institutions_and_audiences_are_published(catalog) -> None:
    engine, _ = catalog
    vnu_only = PublishSettings("mooc.vnu.edu.vn", BASE, "VNU", ("a@vnu.edu.vn",), ("vnu",))
    # VNU students are offered Tsinghua's courses: a node that publishes only VNU has none
    assert parsed(feed(engine, settings=vnu_only)).entries == []
    offered_by_vnu = parsed(feed(engine, "tsinghua", settings=vnu_only)).entries
    assert offered_by_vnu and all(
        "Đại học Quốc gia Hà Nội" not in e.summary for e in offered_by_vnu
    )
    assert all(e.summary.startswith("开课学校：越南河内国家大学") for e in offered_by_vnu)
    no_vnu_audience = PublishSettings(
        "mooc.vnu.edu.vn",
        BASE,
        "VNU",
        ("a@vnu.edu.vn",),
        ("vnu", "tsinghua"),
        audiences=("tsinghua",),
    )
    assert parsed(feed(engine, settings=no_vnu_audience)).entries == []


def test_without_settings_the_feed_names_itself_by_audience(catalog) -> None:
    engine, _ = catalog
    body = feed(engine, settings=None)
    result = parsed(body)
    assert result.feed.id == "urn:mooc-exchange:feed:vnu"
    assert result.feed.author == "mooc-exchange"
    assert result.entries[0].id.startswith("urn:mooc-exchange:offer:tsinghua-xuetangx%3A")
    assert b'xml:base="../"' in body


def test_the_site_export_writes_the_feed_and_every_link_opens_a_page(demo, catalog) -> None:
    site = demo / "site-vnu"
    path = site / "feeds" / "vnu.atom"
    body = path.read_bytes()
    result = parsed(body, location=f"{SITE}/feeds/vnu.atom")
    assert result.feed.language == "vi" and len(result.entries) == 23
    engine, _ = catalog
    assert [e.id for e in result.entries] == [
        e.id for e in parsed(feed(engine, settings=None)).entries
    ]
    for entry in result.entries:
        assert entry.link.startswith(f"{SITE}/courses/")
        page = site / urlsplit(entry.link).path.removeprefix("/site-vnu/")
        assert page.is_file(), entry.link
        heading = lxml.html.parse(str(page)).getroot().findtext(".//h1")
        assert heading == entry.title
    for page in (site / "index.html", next((site / "courses").glob("*.html"))):
        head = lxml.html.parse(str(page)).getroot().find("head")
        (alternate,) = head.findall("link[@rel='alternate']")
        assert alternate.get("type") == "application/atom+xml"
        assert (page.parent / alternate.get("href")).resolve() == path.resolve()


def test_a_site_feed_holds_the_newest_hundred_offers(tmp_path: Path) -> None:
    courses = [
        make_course(
            f"X+C{n:03}", f"Course {n}", updated_at=(GENERATED - timedelta(hours=n)).isoformat()
        )
        for n in range(150)
    ]
    write_site(
        tmp_path / "site", institutions=INSTITUTIONS, courses=documents(courses), audience="vnu",
        generated_at=GENERATED,
    )  # fmt: skip
    result = parsed((tmp_path / "site" / "feeds" / "vnu.atom").read_bytes())
    assert len(result.entries) == MAX_ENTRIES
    assert [e.title for e in result.entries] == [f"Course {n}" for n in range(MAX_ENTRIES)]
