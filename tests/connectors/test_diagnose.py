"""The ``diagnose`` hook: a safe default, and what each built-in adds from its first page alone."""

from __future__ import annotations

from typing import Any

import pytest
import responses

from connectors import registry
from connectors.base import Connector, Fact, FeedContext, count_fact
from connectors.discovery import DiscoveryConnector, DiscoveryOptions
from connectors.errors import BadResponseError
from connectors.http import HttpSettings
from connectors.openedx import OpenEdxConnector, OpenEdxOptions
from connectors.records import Page
from connectors.xuetangx import XuetangXConnector, XuetangXOptions


def page(total: int | None, per_page: int, *, last: bool = False) -> Page:
    return Page(
        items=(), cursor=None, url="u", number=1, last=last, declared_total=total,
        source_count=per_page,
    )  # fmt: skip


def feed(base_url: str = "https://platform.example.org") -> FeedContext:
    return FeedContext(feed_id="f", base_url=base_url, http=HttpSettings(max_retries=0))


class Minimal(Connector[Any]):
    kind = "minimal"

    def harvest(self, cursor: Any) -> Any:
        yield from ()


def test_a_connector_that_overrides_nothing_has_nothing_to_add() -> None:
    assert Minimal(feed(), None).diagnose(page(10, 5), None) == []


def test_count_fact_says_how_many_pages_the_source_size_makes() -> None:
    assert count_fact(page(98, 30), "course runs") == [
        Fact("API count", "98 course runs on 4 pages")
    ]
    assert count_fact(page(3, 3, last=True), "courses", "note") == [
        Fact("API count", "3 courses on 1 page; note")
    ]
    assert count_fact(page(None, 3), "courses") == []
    assert count_fact(None, "courses") == []


def test_open_edx_counts_runs() -> None:
    connector = OpenEdxConnector(feed(), OpenEdxOptions())
    assert connector.diagnose(page(98, 30), None) == [
        Fact(
            "API count", "98 course runs on 4 pages; grouped into courses (ORG+NUM) as they arrive"
        )
    ]


@pytest.mark.parametrize(
    ("options", "how"),
    [
        ({}, "later runs ask only for changes (?timestamp=)"),
        ({"incremental": False}, "every run reads it in full (options.incremental = false)"),
        ({"catalog_id": 7}, "catalog 7: every run reads it in full (no filters)"),
    ],
)
def test_discovery_counts_courses_and_says_whether_runs_can_be_incremental(
    options: dict[str, Any], how: str
) -> None:
    connector = DiscoveryConnector(feed(), DiscoveryOptions(**options))
    assert connector.diagnose(page(250, 100), None) == [
        Fact("API count", f"250 courses with their runs on 3 pages; {how}")
    ]


def test_xuetangx_says_what_a_full_harvest_costs_at_its_polite_rate() -> None:
    slow = XuetangXConnector(feed("https://www.xuetangx.com"), XuetangXOptions())
    assert slow.diagnose(page(46, 10), None) == [
        Fact(
            "API count",
            "46 courses on 5 pages; a full harvest is about 51 requests, 51 s at 1 a second",
        )
    ]
    lists_only = XuetangXConnector(
        feed("https://www.xuetangx.com"), XuetangXOptions(enrich_terms=False, requests_per_second=2)
    )
    assert "about 5 requests, 2 s at 2 a second" in lists_only.diagnose(page(46, 10), None)[0].value


@responses.activate
@pytest.mark.parametrize("name", [n for n in registry.available() if n != "oaipmh"])
def test_built_ins_other_than_oai_pmh_diagnose_without_a_request(name: str) -> None:
    cls = registry.load(name)
    connector = cls(feed(), cls.Options())
    error = BadResponseError("feed f: not a course list")
    assert connector.diagnose(None, error) == []
    assert len(responses.calls) == 0
