"""The MOOChub connector harvesting another node's ``/moochub/courses``: items keep the chain
the node publishes in ``meta.provenance``, with this harvest's own hop in front; items that
originated at this node are not imported again; a plain bridge's items map as before."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
import responses

from connectors.base import FeedContext
from connectors.http import HttpSettings
from connectors.moochub import MoochubConnector, MoochubOptions
from connectors.provenance import MOOCHUB_V3
from connectors.records import CourseRecord, Origin, Page, Rejected

HOME = ("https://node-a.example", "oai:node-a.example:")
NODE_B = "https://node-b.example"
LIST = f"{NODE_B}/moochub/courses"
DATE = "Sun, 09 Mar 2025 10:00:00 GMT"
TSINGHUA = {
    "baseURL": "https://www.xuetangx.com/api",
    "identifier": "THU-1001",
    "datestamp": "2025-01-10T00:00:00Z",
    "harvestDate": "2025-01-11T00:00:00Z",
    "metadataNamespace": "urn:mooc-exchange:source:xuetangx",
}
VIA_A = {
    "baseURL": "https://node-a.example/oai",
    "identifier": "oai:node-a.example:vnu:VNU+INT1001",
    "datestamp": "2025-02-01T00:00:00Z",
    "harvestDate": "2025-02-02T00:00:00Z",
    "metadataNamespace": "http://www.openarchives.org/OAI/2.0/oai_dc/",
}
VNU = {"baseURL": "https://courses.vnu.edu.vn", "identifier": "VNU+INT1001"}


def _item(key: str, *chain: dict[str, Any] | None, name: str = "Khoá học") -> dict[str, Any]:
    """A v3 resource object as a node publishes it: ``meta.provenance`` beside ``attributes``."""
    item: dict[str, Any] = {
        "id": key,
        "type": "Course",
        "attributes": {
            "name": name,
            "url": f"{NODE_B}/courses/{key}",
            "inLanguage": ["zh"],
            "dateModified": "2025-03-01T08:00:00Z",
            "learningResourceType": {
                "identifier": "https://w3id.org/kim/hcrt/course",
                "type": "Concept",
                "inScheme": "https://w3id.org/kim/hcrt/scheme",
            },
            "publisher": {"name": "Tsinghua University", "type": "Organization"},
            "license": [{"identifier": "proprietary", "url": f"{NODE_B}/terms"}],
            "creator": [{"name": "Tsinghua University", "type": "Organization"}],
        },
    }
    if chain != (None,):
        item["meta"] = {"provenance": list(chain)}
    return item


def _serve(*pages: list[dict[str, Any]], date: str | None = DATE) -> None:
    headers = {"Date": date} if date else {}
    for n, data in enumerate(pages, start=1):
        url = LIST if n == 1 else f"{LIST}?page={n}"
        following = f"{LIST}?page={n + 1}" if n < len(pages) else None
        body = {
            "links": {"self": url, "first": LIST, "last": LIST, "next": following},
            "data": data,
        }
        match = [] if n > 1 else [responses.matchers.query_param_matcher({})]
        responses.get(
            url, json=body, content_type="application/vnd.api+json", headers=headers, match=match
        )


def _harvest(home: tuple[str, ...] = HOME, base: str = NODE_B) -> list[Page]:
    feed = FeedContext(feed_id="node-b", base_url=base, http=HttpSettings(max_retries=0), home=home)
    connector = MoochubConnector(feed, MoochubOptions(path="/moochub/courses"))
    try:
        return list(connector.harvest(None))
    finally:
        connector.close()


def _items(pages: list[Page]) -> list[Any]:
    return [item for page in pages for item in page.items]


@responses.activate
def test_an_item_from_another_node_keeps_its_chain_behind_this_harvests_own_hop() -> None:
    _serve([_item("oai:node-b.example:thu:THU-1001", TSINGHUA)])
    [course] = _items(_harvest())
    assert isinstance(course, CourseRecord)
    assert course.provenance == (
        Origin(
            base_url=NODE_B,  # the feed
            identifier="oai:node-b.example:thu:THU-1001",
            datestamp=datetime(2025, 3, 1, 8, tzinfo=UTC),  # dateModified
            harvested=datetime(2025, 3, 9, 10, tzinfo=UTC),  # the response's Date
            metadata_namespace=MOOCHUB_V3,
        ),
        Origin(
            base_url="https://www.xuetangx.com/api",
            identifier="THU-1001",
            datestamp=datetime(2025, 1, 10, tzinfo=UTC),
            harvested=datetime(2025, 1, 11, tzinfo=UTC),
            metadata_namespace="urn:mooc-exchange:source:xuetangx",
        ),
    )


@responses.activate
def test_without_a_date_header_the_hop_is_stamped_now() -> None:
    _serve([_item("oai:node-b.example:thu:1", TSINGHUA)], date=None)
    before = datetime.now(UTC)
    [course] = _items(_harvest())
    harvested = course.provenance[0].harvested
    assert harvested is not None and before <= harvested <= datetime.now(UTC)


@responses.activate
def test_items_that_originated_here_are_dropped_counted_and_said_once_per_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    _serve(
        [
            _item("oai:node-b.example:thu:1", TSINGHUA),
            _item("oai:node-b.example:vnu:1", VIA_A, VNU),
            _item("oai:node-b.example:vnu:2", {**VIA_A, "baseURL": "HTTPS://NODE-A.example"}),
        ],
        [_item("oai:node-a.example:vnu:3", None)],  # this node's own id, no chain at all
    )
    with caplog.at_level(logging.INFO, logger="connectors.moochub"):
        pages = _harvest()
    assert [[i.key for i in p.items] for p in pages] == [["oai:node-b.example:thu:1"], []]
    assert [p.source_count for p in pages] == [3, 1]  # the dropped ones were received
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.INFO] == [
        "feed node-b: 2 records originated at this node and were not imported again",
        "feed node-b: 1 records originated at this node and were not imported again",
    ]


@responses.activate
def test_a_plain_bridges_item_maps_exactly_as_before() -> None:
    _serve([_item("c1", None)])
    [page] = _harvest()
    [course] = page.items
    _serve([_item("c1", None)])
    [without] = _items(_harvest(home=()))
    assert course.provenance == () and course == without
    assert page.source_count is None


@responses.activate
def test_hostile_chains_are_rejected_or_left_out_with_one_warning_per_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    long_chain = [
        {"baseURL": f"https://n{n}.example", "identifier": f"oai:n{n}:1"} for n in range(99)
    ]
    _serve(
        [
            _item("oai:node-b.example:thu:1", *long_chain),
            _item("oai:node-b.example:thu:2", {**TSINGHUA, "harvestDate": "soon"}, "junk"),
            _item("oai:node-b.example:thu:3", {**TSINGHUA, "harvestDate": "later"}),
        ]
    )
    with caplog.at_level(logging.WARNING, logger="connectors.moochub"):
        rejected, second, third = _items(_harvest())
    assert isinstance(rejected, Rejected) and rejected.key == "oai:node-b.example:thu:1"
    assert rejected.reason.startswith("meta.provenance: 99 hops, more than 15")
    assert [h.identifier for h in second.provenance] == ["oai:node-b.example:thu:2", "THU-1001"]
    assert second.provenance[1].harvested is None and third.provenance[1].harvested is None
    [line] = [r.getMessage() for r in caplog.records]
    assert line == (
        "feed node-b: 3 provenance hop fields were unreadable and left out (meta.provenance[0]"
        "@harvestDate: unreadable 'soon'; meta.provenance[1]: a str, not an object; "
        "meta.provenance[0]@harvestDate: unreadable 'later')"
    )
