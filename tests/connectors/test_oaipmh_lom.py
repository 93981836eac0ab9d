"""IEEE LOM over OAI-PMH as OER aggregators harvest it (``metadataPrefix=oai_lom``, namespace
``http://ltsc.ieee.org/xsd/LOM``): a served multi-record page and its resumption page, and what
each record becomes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import responses

from connectors.base import FeedContext
from connectors.http import HttpSettings
from connectors.oaipmh import OaiPmhConnector, OaiPmhOptions
from connectors.records import CourseRecord, Page, Rejected, Withdrawn

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "oaipmh"
BASE = "https://oer.vnu.edu.vn/oai"
FIRST = f"{BASE}?verb=ListRecords&metadataPrefix=oai_lom&set=mooc"
NEXT = f"{BASE}?verb=ListRecords&resumptionToken=mooc%2Foai_lom%2F3"
KEY = "oai:oer.vnu.edu.vn:mooc/"


def _harvest(language: str | None = None) -> list[Page]:
    for url, name in ((FIRST, "ListRecords_lom_page1.xml"), (NEXT, "ListRecords_lom_page2.xml")):
        body = (FIXTURES / name).read_bytes()
        responses.get(url, body=body, content_type="text/xml; charset=utf-8")
    feed = FeedContext(feed_id="vnu-oer", base_url=BASE, http=HttpSettings(max_retries=0))
    options = OaiPmhOptions(metadata_prefix="oai_lom", set="mooc", language=language)
    return list(OaiPmhConnector(feed, options).harvest(None))


def _courses(pages: list[Page]) -> dict[str, CourseRecord]:
    return {i.key: i for p in pages for i in p.items if isinstance(i, CourseRecord)}


@responses.activate
def test_a_lom_listing_with_resumption_is_harvested_whole() -> None:
    pages = _harvest()
    assert [call.request.url for call in responses.calls] == [FIRST, NEXT]
    assert [(p.number, p.last, p.declared_total, len(p.items)) for p in pages] == [
        (1, False, 5, 3),
        (2, True, 5, 2),
    ]
    assert pages[0].cursor == {
        "token": "mooc/oai_lom/3",
        "from": None,
        "next_from": "2025-03-02T10:30:00Z",
        "incremental": False,
        "page": 2,
    }
    assert pages[-1].cursor == {"from": "2025-03-02T10:30:00Z"}
    assert pages[0].items[2] == Rejected("general/title: missing", key=f"{KEY}EMPTY")
    assert pages[1].items[1] == Withdrawn(f"{KEY}HIS2002")


@responses.activate
def test_each_lom_element_lands_in_its_field() -> None:
    ai = _courses(_harvest())[f"{KEY}INT3401"]
    assert ai == CourseRecord(
        key=f"{KEY}INT3401",
        title="Trí tuệ nhân tạo nâng cao",  # the first string: no language preferred
        description="<p>Tác tử thông minh, suy diễn xác suất và <b>học tăng cường</b>.</p>",
        short_description="Tác tử thông minh, suy diễn xác suất và học tăng cường.",
        language="vi",
        organization="Trường Đại học Công nghệ, ĐHQGHN",  # the publisher's ORG, not the author's
        # One language per keyword LangString, then the discipline's most specific taxon (the
        # educational-level classification is not a subject).
        subjects=("trí tuệ nhân tạo", "học tăng cường", "Phát triển phần mềm và ứng dụng"),
        effort="20 hours 30 minutes",
        is_free=True,  # rights/cost "no"
        url="https://oer.vnu.edu.vn/courses/INT3401/about",  # technical/location first
        modified=datetime(2025, 2, 14, 8, 30, 12, tzinfo=UTC),  # the header's datestamp
    )
    assert "CC BY-SA 4.0" in ai.raw and "Trần Thị Bình" in ai.raw  # kept only in the raw record


@responses.activate
def test_prefixed_lom_with_free_text_learning_time_and_grouped_keywords() -> None:
    philosophy = _courses(_harvest())[f"{KEY}PHI1006"]
    assert (philosophy.title, philosophy.language) == ("Triết học Mác – Lênin", "vi")
    assert philosophy.subjects == ("triết học", "chủ nghĩa duy vật", "Triết học")
    assert philosophy.organization == "Trường Đại học Khoa học Xã hội và Nhân văn"
    assert philosophy.effort == "3 giờ mỗi tuần"  # not ISO 8601: kept as written
    assert (philosophy.is_free, philosophy.url) == (False, "http://oer.vnu.edu.vn/courses/PHI1006")


@pytest.mark.parametrize(
    ("language", "title", "subjects"),
    [
        (None, "数据结构（上）", ("数据结构",)),
        ("en", "Data Structures (1)", ("data structures",)),
        ("en-GB", "Data Structures (1)", ("data structures",)),
        ("vi", "数据结构（上）", ("数据结构",)),  # no Vietnamese: each LangString's first
    ],
)
@responses.activate
def test_titles_and_keywords_follow_the_configured_language(
    language: str | None, title: str, subjects: tuple[str, ...]
) -> None:
    courses = _courses(_harvest(language))
    thu = courses[f"{KEY}THU00001"]
    assert (thu.title, thu.subjects, thu.language) == (title, subjects, "zh-CN")
    assert (thu.organization, thu.effort, thu.is_free) == ("清华大学", "2 weeks", None)
    assert thu.url == "https://www.xuetangx.com/course/THU00001"  # general/identifier/entry
    if language == "en":
        ai = courses[f"{KEY}INT3401"]
        assert ai.title == "Advanced Artificial Intelligence"
        assert ai.description == (
            "<p>Intelligent agents, probabilistic inference and <b>reinforcement learning</b>.</p>"
        )
        assert ai.subjects == (
            "artificial intelligence",
            "reinforcement learning",
            "Software and applications development and analysis",
        )
