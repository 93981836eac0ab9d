"""The OAI-PMH connector harvesting another node: records keep the chain the node publishes in
``<about><provenance>``, with this harvest's own hop in front; records that originated at this
node are not imported again; a plain repository's records map exactly as before."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from connectors.base import FeedContext
from connectors.http import HttpSettings
from connectors.oaipmh import OaiPmhConnector, OaiPmhOptions
from connectors.records import CourseRecord, Origin, Page, Rejected, Withdrawn
from tests.support.oai_provider import Hop, OaiProvider, OaiRecord, provenance

DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
#: This node (A) and the node it harvests (B).
HOME = ("https://node-a.example", "oai:node-a.example:")
NODE_B = "https://node-b.example/oai"
#: The original sources: Tsinghua's feed (harvested by B), VNU's (harvested by A itself).
TSINGHUA = Hop(
    "https://www.xuetangx.com/api",
    "THU-1001",
    datestamp="2025-01-10T00:00:00Z",
    harvest_date="2025-01-11T00:00:00Z",
    namespace="urn:mooc-exchange:source:xuetangx",
)
VNU = Hop(
    "https://courses.vnu.edu.vn",
    "VNU+INT1001",
    namespace="urn:mooc-exchange:source:openedx",
)


def _from_b(n: int, *chain: Hop, **fields: object) -> OaiRecord:
    return OaiRecord(
        f"oai:node-b.example:thu:{n}",
        f"Khóa học {n}",
        datestamp="2025-03-01T08:00:00Z",
        about=provenance(*chain),
        **fields,  # type: ignore[arg-type]
    )


def _harvest(oai: OaiProvider, *, home: tuple[str, ...] = HOME, base: str = "") -> list[Page]:
    feed = FeedContext(
        feed_id="node-b",
        base_url=base or oai.url,
        http=HttpSettings(max_retries=0),
        home=home,
    )
    connector = OaiPmhConnector(feed, OaiPmhOptions())
    try:
        return list(connector.harvest(None))
    finally:
        connector.close()


def _items(pages: list[Page]) -> list:
    return [item for page in pages for item in page.items]


def test_a_record_from_another_node_keeps_its_chain_behind_this_harvests_own_hop() -> None:
    record = _from_b(1, TSINGHUA)
    with OaiProvider([record], response_date="2025-03-09T10:00:00Z") as oai:
        url = oai.url
        [course] = _items(_harvest(oai, base=f"{url}?source=vnu"))
    assert isinstance(course, CourseRecord)
    assert course.provenance == (
        Origin(
            base_url=url,  # the feed's base URL, its query left out
            identifier="oai:node-b.example:thu:1",
            datestamp=datetime(2025, 3, 1, 8, tzinfo=UTC),
            harvested=datetime(2025, 3, 9, 10, tzinfo=UTC),  # the responseDate
            metadata_namespace=DC_NS,
            altered=True,
        ),
        Origin(
            base_url="https://www.xuetangx.com/api",
            identifier="THU-1001",
            datestamp=datetime(2025, 1, 10, tzinfo=UTC),
            harvested=datetime(2025, 1, 11, tzinfo=UTC),
            metadata_namespace="urn:mooc-exchange:source:xuetangx",
        ),
    )


def test_records_that_originated_here_are_dropped_counted_and_said_once_per_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """B re-publishes A's VNU courses (their chains name A); A drops them, and deletions of
    them, and a record under A's own identifier prefix — but counts them as received."""
    via_a = Hop(f"{HOME[0]}/oai", "oai:node-a.example:vnu:VNU+INT1001")
    records = [
        _from_b(1, TSINGHUA),
        _from_b(2, via_a, VNU),
        _from_b(3, via_a, VNU),
        _from_b(4, Hop(NODE_B, "oai:node-b.example:x"), via_a, VNU),  # A deeper in the chain
        _from_b(5, via_a, VNU, deleted=True),
        OaiRecord("oai:node-a.example:vnu:VNU+MAT1001", "Giải tích"),  # A's own identifier
    ]
    with (
        OaiProvider(records, page_size=3) as oai,
        caplog.at_level(logging.INFO, logger="connectors.oaipmh"),
    ):
        pages = _harvest(oai)
    assert [[i.key for i in page.items] for page in pages] == [["oai:node-b.example:thu:1"], []]
    assert [(p.source_count, p.declared_total) for p in pages] == [(3, 6), (3, 6)]
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert lines == [
        "feed node-b: 2 records originated at this node and were not imported again",
        "feed node-b: 3 records originated at this node and were not imported again",
    ]
    assert not any(isinstance(i, Rejected | Withdrawn) for i in _items(pages))


def test_without_home_nothing_is_dropped_and_chains_are_still_kept() -> None:
    via_a = Hop(f"{HOME[0]}/oai", "oai:node-a.example:vnu:1")
    with OaiProvider([_from_b(1, via_a, VNU)]) as oai:
        [course] = _items(_harvest(oai, home=()))
    assert [hop.identifier for hop in course.provenance] == [
        "oai:node-b.example:thu:1",
        "oai:node-a.example:vnu:1",
        "VNU+INT1001",
    ]


def test_a_plain_repositorys_record_maps_exactly_as_before() -> None:
    """No ``<about>``: no chain, the same record with or without this node's identities."""
    plain = OaiRecord("oai:hou.edu.vn:course/1", "Kinh tế học", subjects=("Kinh tế",))
    with OaiProvider([plain]) as oai:
        [page] = _harvest(oai)
        [without] = _items(_harvest(oai, home=()))
    [with_home] = page.items
    assert page.source_count is None  # nothing dropped: the page counts its items, as before
    assert isinstance(with_home, CourseRecord)
    assert with_home.provenance == ()
    assert with_home == without
    assert with_home == CourseRecord(
        key="oai:hou.edu.vn:course/1",
        title="Kinh tế học",
        language="vi",
        organization="Trường Đại học Mở Hà Nội",
        subjects=("Kinh tế",),
        modified=datetime(2025, 3, 1, 8, tzinfo=UTC),
    )


def test_a_chain_longer_than_the_bound_is_a_rejected_record_naming_the_field() -> None:
    loop = [Hop(f"https://node{n}.example/oai", f"oai:node{n}.example:1") for n in range(40)]
    records = [_from_b(1, *loop), _from_b(2, TSINGHUA)]
    with OaiProvider(records) as oai:
        rejected, course = _items(_harvest(oai))
    assert isinstance(rejected, Rejected)
    assert rejected.key == "oai:node-b.example:thu:1"
    assert rejected.reason.startswith("about/provenance: more than 15 nested originDescription")
    assert isinstance(course, CourseRecord) and len(course.provenance) == 2


def test_junk_in_chains_is_left_out_and_said_once_per_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    junk = replace(TSINGHUA, datestamp="2025-02-30")
    records = [_from_b(n, junk, Hop("", "oai:gone:1")) for n in range(4)]
    with (
        OaiProvider(records, page_size=4) as oai,
        caplog.at_level(logging.WARNING, logger="connectors.oaipmh"),
    ):
        courses = _items(_harvest(oai))
    assert [len(c.provenance) for c in courses] == [2, 2, 2, 2]  # own hop + Tsinghua's
    assert all(c.provenance[1].datestamp is None for c in courses)
    [line] = [r.getMessage() for r in caplog.records]
    assert line.startswith("feed node-b: 8 provenance hop fields were unreadable and left out")
    assert "originDescription/datestamp: unreadable '2025-02-30'" in line
    assert "originDescription/baseURL: missing, hop skipped" in line
