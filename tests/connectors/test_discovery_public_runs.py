"""course-discovery: HTML-free short descriptions, and course fields only from public runs.

The fixture (courses_run_urls_page1.json) is a discovery page in the API's own shape: a course
with no ``marketing_url`` of its own whose runs are archived, current, unpublished and hidden,
and a course whose only run is unpublished.
"""

from __future__ import annotations

import responses

from connectors.base import FeedContext
from connectors.discovery import DiscoveryConnector, DiscoveryOptions, map_course
from connectors.http import HttpSettings
from connectors.records import CourseRecord
from tests.conftest import fixture_json

BASE = "https://discovery.vnu.edu.vn"
FIRST = f"{BASE}/api/v1/courses/?page=1&page_size=100&exclude_utm=1"


@responses.activate
def _harvested() -> dict[str, CourseRecord]:
    responses.get(FIRST, json=fixture_json("discovery", "courses_run_urls_page1.json"))
    feed = FeedContext(feed_id="vnu-discovery", base_url=BASE, http=HttpSettings(max_retries=0))
    pages = list(DiscoveryConnector(feed, DiscoveryOptions()).harvest(None))
    return {i.key: i for p in pages for i in p.items if isinstance(i, CourseRecord)}


def test_short_description_reaches_the_record_without_html() -> None:
    net = _harvested()["UETx+INT3310"]
    assert net.short_description == "Socket, TCP/IP & HTTP: lập trình mạng từ cơ bản."


def test_a_course_without_its_own_url_takes_its_newest_public_runs() -> None:
    net = _harvested()["UETx+INT3310"]
    # Not the unpublished 2026_T1 nor the hidden 2026_T2, though both start later.
    assert net.url == "https://mooc.vnu.edu.vn/khoa-hoc/lap-trinh-mang"
    # The same public run supplies pacing and effort (no run is advertised).
    assert (net.pacing, net.effort) == ("instructor", "4–6 hours per week")
    assert len(net.runs) == 4  # the runs themselves are all kept, as the source lists them


def test_a_course_whose_runs_are_all_unpublished_gets_no_url_from_them() -> None:
    cloud = _harvested()["UETx+INT3320"]
    assert (cloud.url, cloud.pacing, cloud.effort) == (None, None, None)


def test_an_advertised_run_that_is_hidden_does_not_supply_course_fields() -> None:
    course = fixture_json("discovery", "courses_run_urls_page1.json")["results"][0]
    course["advertised_course_run_uuid"] = course["course_runs"][3]["uuid"]  # the hidden one
    net = map_course(course, base_url=BASE)
    assert (net.pacing, net.effort) == ("instructor", "4–6 hours per week")
