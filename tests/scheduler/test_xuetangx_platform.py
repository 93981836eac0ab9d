"""The demo's XuetangX stand-in, harvested by the real connector over a loopback server."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import brotli
import pytest
import requests

from connectors.base import FeedContext
from connectors.records import CourseRecord
from connectors.xuetangx import XuetangXConnector, XuetangXOptions
from scheduler.demo.server import DemoRequest, DemoServer, Reply, load_sample
from scheduler.demo.xuetangx_platform import XuetangXPlatform

DATA = load_sample("tsinghua_xuetangx_courses.json")
LIST_PATH = "/api/v1/lms/get_product_list/"


class Recording:
    """Wraps a platform and keeps every request and reply it served."""

    def __init__(self, platform: XuetangXPlatform) -> None:
        self.platform = platform
        self.exchanges: list[tuple[DemoRequest, Reply]] = []

    def __call__(self, request: DemoRequest) -> Reply:
        reply = self.platform(request)
        self.exchanges.append((request, reply))
        return reply


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Recording]]:
    recording = Recording(XuetangXPlatform(DATA))
    with DemoServer({"tsinghua": recording}) as demo:
        yield demo.url("tsinghua"), recording


@pytest.fixture
def served(server: tuple[str, Recording]) -> tuple[str, Recording]:
    """The module's server, its recording emptied for this test."""
    server[1].exchanges.clear()
    return server


def _harvest(base_url: str, **options: Any) -> list:
    feed = FeedContext(feed_id="tsinghua-xuetangx", base_url=base_url)
    connector = XuetangXConnector(feed, XuetangXOptions(**options))
    try:
        return list(connector.harvest(None))
    finally:
        connector.close()


def test_the_bundled_catalog_looks_like_tsinghua_on_xuetangx() -> None:
    products, classrooms = DATA["products"], DATA["classrooms"]
    assert len(products) >= 44
    assert len({p["sign"] for p in products}) == len(products)
    assert set(classrooms) == {p["sign"] for p in products}
    assert all(2 <= len(c["current"]) + len(c["history"]) <= 4 for c in classrooms.values())
    assert sum(p["org"] == {} for p in products) == 2
    names = {p["name"] for p in products}
    assert {"人工智能导论", "数据结构（上）", "中国近现代史纲要", "线性代数", "越南语入门"} <= names
    assert any("人工智能" in n and n != "人工智能导论" and len(n) > 4 for n in names)
    assert any("\u3000" in p["short_intro"] for p in products)
    assert any("\xa0" in p["short_intro"] for p in products)
    assert all(p["cover"] == f"{{BASE}}/images/{p['sign']}.jpg" for p in products)


def test_the_connector_harvests_every_course_and_term_over_brotli(served) -> None:
    url, recording = served
    pages = _harvest(url)
    products = DATA["products"]

    assert [p.number for p in pages] == list(range(1, math.ceil(len(products) / 10) + 1))
    assert [p.last for p in pages] == [False] * (len(pages) - 1) + [True]
    assert {p.declared_total for p in pages} == {len(products)}
    items = [i for p in pages for i in p.items]
    assert all(isinstance(i, CourseRecord) for i in items), [i for i in items if not i.title]
    assert [c.key for c in items] == [p["sign"] for p in products]

    for course in items:
        terms = DATA["classrooms"][course.key]
        expected = {str(t["classroom_id"]): t for t in terms["current"] + terms["history"]}
        assert {r.key for r in course.runs} == set(expected)
        for run in course.runs:
            term = expected[run.key]
            assert run.title == term["classroom_name"]
            assert run.start.timestamp() * 1000 == term["class_start"]
            assert (run.end is None) == (term["class_end"] is None)
            assert run.pacing == ("self" if term["class_end"] is None else "instructor")
        assert course.image_url == f"{url}/images/{course.key}.jpg"
        assert course.url == f"{url}/course/{course.key}"
        assert course.modified is not None and course.modified.utcoffset().total_seconds() == 0

    by_title = {c.title: c for c in items}
    assert by_title["中国近现代史纲要"].short_description.startswith("讲授1840年")  # \u3000 gone
    assert by_title["C++语言程序设计基础"].subjects == ("计算机", "国家精品")
    assert sum(c.organization is None for c in items) == 2
    assert {c.organization for c in items} == {"清华大学", None}

    # Every request carried the platform's header, and every answer came brotli-compressed.
    lists = [r for r, _ in recording.exchanges if r.path == LIST_PATH]
    assert len(lists) == len(pages)
    assert len(recording.exchanges) == len(pages) + len(products)
    assert all(r.headers["xtbz"] == "xt" for r, _ in recording.exchanges)
    assert all(reply[1].get("Content-Encoding") == "br" for _, reply in recording.exchanges)


def test_filters_are_applied_by_the_platform(served) -> None:
    url, recording = served
    pages = _harvest(url, classify=("7",), enrich_terms=False)
    titles = {c.title for p in pages for c in p.items}
    assert titles == {"越南语入门", "大学英语综合", "日语入门", "泰语入门"}
    assert json.loads(recording.exchanges[0][0].body)["classify"] == ["7"]


def test_without_the_xtbz_header_the_platform_refuses(served) -> None:
    url, _ = served
    answer = requests.post(f"{url}{LIST_PATH}?page=1", json={"appid": 10000}, timeout=5)
    assert answer.status_code == 400
    assert answer.json() == {"success": False, "message": "非法请求：缺少 xtbz"}


def test_past_the_last_page_the_list_is_empty(served) -> None:
    url, _ = served
    answer = requests.post(
        f"{url}{LIST_PATH}?page=99", json={"appid": 10000}, headers={"xtbz": "xt"}, timeout=5
    )
    assert answer.json() == {
        "success": True,
        "data": {"count": len(DATA["products"]), "product_list": []},
    }


def _request(path: str, accept_encoding: str, query: dict | None = None) -> DemoRequest:
    return DemoRequest(
        method="GET",
        path=path,
        query=query or {},
        headers={"xtbz": "xt", "accept-encoding": accept_encoding},
        body=b"",
        base="http://127.0.0.1:9",
    )


@pytest.mark.parametrize(
    ("accept_encoding", "compressed"),
    [
        pytest.param("gzip, deflate, br", True, id="br-accepted"),
        pytest.param("gzip, deflate", False, id="no-br"),
        pytest.param("br;q=0, gzip", False, id="br-refused-with-q0"),
    ],
)
def test_bodies_are_brotli_compressed_only_for_clients_that_accept_it(
    accept_encoding: str, compressed: bool
) -> None:
    platform = XuetangXPlatform(DATA)
    sign = DATA["products"][0]["sign"]
    request = _request("/api/v1/lms/product/classroom/", accept_encoding, {"sign": [sign]})
    status, headers, body = platform(request)
    assert status == 200
    assert (headers.get("Content-Encoding") == "br") is compressed
    text = brotli.decompress(body) if compressed else body
    assert json.loads(text) == {"success": True, "data": DATA["classrooms"][sign]}


def test_an_unknown_course_has_no_classroom() -> None:
    platform = XuetangXPlatform(DATA)
    request = _request("/api/v1/lms/product/classroom/", "", {"sign": ["THU00000000000"]})
    status, _, body = platform(request)
    assert status == 404
    assert json.loads(body)["success"] is False
