"""The XuetangX connector: pure mapping functions, then paging and term enrichment over HTTP."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import brotli
import pytest
import responses
from pydantic import TypeAdapter, ValidationError
from responses import matchers

import connectors.http
from connectors.base import FeedContext
from connectors.errors import (
    BadResponseError,
    HttpStatusError,
    PaginationError,
    RecordError,
    RetriesExhausted,
)
from connectors.http import HttpSettings
from connectors.records import CourseRecord, CourseRun, Rejected
from connectors.xuetangx import (
    XuetangXConnector,
    XuetangXOptions,
    map_classroom,
    map_product,
    map_products,
    parse_envelope,
    strip_highlight,
    subjects,
)
from tests.conftest import FIXTURES, fixture_json

BASE = "https://www.xuetangx.com"
LIST = f"{BASE}/api/v1/lms/get_product_list/"
CLASSROOM = f"{BASE}/api/v1/lms/product/classroom/"
SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGE1_SIGNS = [
    "THU08091000247",
    "THU08091000252",
    "THU08091000253",
    "THU08091000327",
    "THU08091000321",
    "THU08091001118",
    "THU08091000393",
    "THU08091000435",
    "THU08091000249",
    "THU08091002035",
]
PAGE2_SIGNS = ["THU08091000416", "THUlive2024001"]


def _products(name: str) -> list[dict]:
    return fixture_json("xuetangx", name)["data"]["product_list"]


def _product(sign: str) -> dict:
    pages = _products("get_product_list_page1.json") + _products("get_product_list_page2.json")
    return next(p for p in pages if p["sign"] == sign)


def _map(raw: dict, **kwargs: object) -> CourseRecord:
    return map_product(raw, base_url=BASE, tz=kwargs.pop("tz", SHANGHAI), **kwargs)


def _courses(items) -> dict[str, CourseRecord]:
    return {i.key: i for i in items if isinstance(i, CourseRecord)}


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- mapping: pure functions ----------------------------------------------------------------------


def test_product_maps_to_a_course_with_china_time_stored_as_utc() -> None:
    course = _map(_product("THU08091000247"))
    assert course.key == "THU08091000247"
    assert course.title == "C++语言程序设计基础"
    # The trailing ideographic space (U+3000) is gone; the line break is kept.
    assert course.short_description == (
        "“C++语言程序设计”是清华大学计算机系本科生的重要基础课。\n"
        "本课程介绍 C++ 语言基础、面向过程的程序设计方法。"
    )
    assert course.language == "zh"
    assert course.organization == "清华大学"
    assert course.subjects == ("计算机", "国家精品")
    assert course.url == f"{BASE}/course/THU08091000247"
    assert course.image_url == "https://qn-next.xuetangx.com/15904893924040.jpg"
    # "2025-01-10 09:12:05" in Beijing is 01:12:05 UTC.
    assert course.modified == _utc(2025, 1, 10, 1, 12, 5)
    assert course.raw["sign"] == "THU08091000247"


def test_nbsp_in_an_intro_becomes_a_plain_space() -> None:
    course = _map(_product("THU08091000321"))
    assert course.short_description == "以 RISC-V 为平台，讲授进程、内存管理与文件系统。"


@pytest.mark.parametrize(
    ("timezone", "expected"),
    [
        pytest.param(SHANGHAI, _utc(2025, 1, 10, 1, 12, 5), id="china-time-by-default"),
        pytest.param(UTC, _utc(2025, 1, 10, 9, 12, 5), id="another-configured-zone"),
    ],
)
def test_timestamps_without_an_offset_are_read_in_the_configured_zone(timezone, expected) -> None:
    assert _map(_product("THU08091000247"), tz=timezone).modified == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("<em>人工智能</em>前沿直播讲座", "人工智能前沿直播讲座", id="highlight"),
        pytest.param("数据<EM>结构</EM>（上）", "数据结构（上）", id="upper-case-tags"),
        pytest.param("C++ <Nâng cao>", "C++ <Nâng cao>", id="other-angle-brackets-kept"),
        pytest.param(None, None, id="none"),
    ],
)
def test_search_highlight_tags_are_stripped(value: str | None, expected: str | None) -> None:
    assert strip_highlight(value) == expected


def test_live_course_with_highlighted_name_empty_org_and_live_status_object() -> None:
    live = _map(_product("THUlive2024001"))
    assert live.title == "人工智能前沿直播讲座"
    assert live.organization is None  # org is {}
    assert live.short_description is None
    assert live.subjects == ()
    # No classroom_id: the live_status object names the classroom, and the live URL is built.
    assert live.runs == (
        CourseRun(
            key="20012345",
            start=_utc(2025, 12, 20, 11, 0),
            url=f"{BASE}/live/THUlive2024001/THU2024live01/20012345/41234567",
        ),
    )


@pytest.mark.parametrize(
    "teacher",
    [
        pytest.param([{"name": "郑莉", "job_title": "教授"}], id="list-as-in-product-list"),
        pytest.param({"name": "吴建平", "job_title": "教授"}, id="object-as-in-course-detail"),
        pytest.param({}, id="empty-object"),
        pytest.param([], id="empty-list"),
        pytest.param(None, id="null"),
    ],
)
def test_teacher_as_list_or_object_does_not_change_the_record(teacher: object) -> None:
    raw = dict(_product("THU08091000416"), teacher=teacher)
    course = _map(raw)
    assert course.title == "计算机网络原理"
    assert course == _map(dict(raw, teacher=[]))


def test_subjects_are_classify_names_then_tag_titles_deduplicated_in_order() -> None:
    ai = _map(_product("THU08091001118"))
    assert ai.subjects == ("计算机", "人工智能")  # tag "人工智能" repeats a category
    raw = {"classify_name": ["理学", "计算机", "理学"], "tag_titles": ["国家精品", " 计算机 "]}
    assert subjects(raw) == ("理学", "计算机", "国家精品")


def test_tags_objects_stand_in_when_tag_titles_are_missing() -> None:
    raw = {"classify_name": None, "tags": [{"title": "国家精品"}, {"id": 4}, "x"]}
    assert subjects(raw) == ("国家精品",)


@pytest.mark.parametrize(
    ("org", "expected"),
    [
        pytest.param({"name": "清华大学"}, "清华大学", id="object"),
        pytest.param({}, None, id="empty-object"),
        pytest.param({"name": None}, None, id="null-name"),
        pytest.param([], None, id="empty-list"),
        pytest.param("清华大学\u3000", "清华大学", id="plain-string"),
    ],
)
def test_organization_from_the_org_object(org: object, expected: str | None) -> None:
    assert _map(dict(_product("THU08091000247"), org=org)).organization == expected


def test_language_from_the_data_wins_over_the_feed_default() -> None:
    assert _map(dict(_product("THU08091000247"), language="en")).language == "en"
    assert _map(dict(_product("THU08091000247"), language=" ")).language == "zh"
    assert _map(_product("THU08091000247"), default_language="zh-Hans").language == "zh-Hans"


def test_relative_and_non_http_covers() -> None:
    raw = _product("THU08091000247")
    assert _map(dict(raw, cover="//qn-next.xuetangx.com/1.jpg")).image_url == (
        "https://qn-next.xuetangx.com/1.jpg"
    )
    assert _map(dict(raw, cover="/static/1.jpg")).image_url == f"{BASE}/static/1.jpg"
    assert _map(dict(raw, cover="data:image/png;base64,AAAA")).image_url is None
    assert _map(dict(raw, cover="")).image_url is None


def test_runs_from_the_list_pair_sku_class_time_with_the_newest_classroom() -> None:
    course = _map(_product("THU08091000247"))
    assert [r.key for r in course.runs] == ["3017919", "21007919", "26107919"]
    older = course.runs[0]
    assert (older.start, older.end, older.pacing) == (None, None, None)
    newest = course.runs[-1]
    assert newest.start == _utc(2025, 9, 14, 16, 0)
    assert newest.end == _utc(2026, 1, 18, 15, 59)
    assert newest.pacing == "instructor"
    assert newest.url == f"{BASE}/course/THU08091000247/26107919"


def test_malformed_items_are_rejected_with_reasons_and_the_good_one_kept() -> None:
    items = map_products(
        _products("get_product_list_page1_malformed.json"), base_url=BASE, tz=SHANGHAI
    )
    rejected = [(i.key, i.reason) for i in items if isinstance(i, Rejected)]
    assert rejected == [
        (None, "sign: missing course key"),
        ("THU08091000253", "name: missing course title"),
        ("THU08091000327", "name: missing course title"),  # "<em></em>" is no title
        ("THU08091000321", "modified: unparseable date '2025年3月1日'"),
        ("THU08091000247", "sign: THU08091000247 appears twice on this page; the first is kept"),
        (None, "expected a product object, got str"),
    ]
    assert all(i.raw is not None for i in items if isinstance(i, Rejected))
    assert list(_courses(items)) == ["THU08091000247"]
    assert _courses(items)["THU08091000247"].title == "C++语言程序设计基础"


def test_classroom_terms_become_runs_with_epoch_millis_in_utc() -> None:
    runs = map_classroom(
        fixture_json("xuetangx", "classroom_THU08091000247.json"), base_url=BASE, sign="X1"
    )
    assert runs == (
        CourseRun(
            key="26107919",
            title="2025秋",
            start=_utc(2025, 9, 14, 16, 0),
            end=_utc(2026, 1, 18, 15, 59),
            pacing="instructor",
            url=f"{BASE}/course/X1/26107919",
            availability="current",
        ),
        CourseRun(
            key="3017919",
            title="自主模式",
            start=_utc(2020, 3, 8, 16, 0),
            end=None,
            pacing="self",  # class_end null: self-paced
            url=f"{BASE}/course/X1/3017919",
            availability="current",
        ),
        CourseRun(
            key="21007919",
            title="2024秋",
            start=_utc(2024, 9, 8, 16, 0),
            end=_utc(2025, 1, 12, 15, 59),
            pacing="instructor",
            url=f"{BASE}/course/X1/21007919",
            availability="archived",
        ),
    )


def test_a_term_listed_as_current_and_history_is_one_run() -> None:
    term = {"classroom_id": 1, "classroom_name": "2025春", "class_start": 0, "class_end": 1000}
    body = {"success": True, "data": {"current": [term], "history": [term]}}
    assert [r.availability for r in map_classroom(body, base_url=BASE, sign="S")] == ["current"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(
            fixture_json("xuetangx", "classroom_error.json"),
            "classroom answered success=false: 课程不存在",
            id="success-false",
        ),
        pytest.param([1, 2], "classroom answer is list, not an object", id="list"),
        pytest.param({"data": ["x"]}, "classroom: 'data' is not an object", id="data-list"),
        pytest.param({"data": {"current": {}}}, "classroom: 'current' is not a list", id="dict"),
        pytest.param(
            {"data": {"history": [{"classroom_name": "2024秋"}]}},
            "classroom history: a term without classroom_id",
            id="no-classroom-id",
        ),
        pytest.param(
            fixture_json("xuetangx", "classroom_bad_term.json"),
            "classroom 26107919: class_start: not an epoch-milliseconds timestamp: '2025年9月15日'",
            id="bad-epoch",
        ),
    ],
)
def test_classroom_answers_that_cannot_be_read_raise_record_error(body, reason: str) -> None:
    with pytest.raises(RecordError) as info:
        map_classroom(body, base_url=BASE, sign="THU08091000247")
    assert info.value.reason == reason
    assert info.value.key == "THU08091000247"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param({"success": True, "data": {}}, (None, []), id="data-empty-object"),
        pytest.param({"success": True, "data": None}, (None, []), id="data-null"),
        pytest.param({"success": True}, (None, []), id="data-missing"),
        pytest.param({"success": True, "data": {"count": 3}}, (3, []), id="no-product-list"),
        pytest.param({"data": {"count": "x", "product_list": [{}]}}, (None, [{}]), id="odd-count"),
    ],
)
def test_envelope_variants_that_mean_done_or_unknown_count(body, expected) -> None:
    assert parse_envelope(body, url=LIST, feed_id="t") == expected


# -- the connector over mocked HTTP ---------------------------------------------------------------


def _connector(**options: object) -> XuetangXConnector:
    feed = FeedContext(feed_id="tsinghua", base_url=BASE, http=HttpSettings(max_retries=0))
    return XuetangXConnector(feed, XuetangXOptions(**options))


def _body(name: str) -> bytes:
    return (FIXTURES / "xuetangx" / name).read_bytes()


def _list(page: int, name: str, **kwargs: object) -> None:
    responses.post(
        f"{LIST}?page={page}", body=_body(name), content_type="application/json", **kwargs
    )


def _single_page() -> bytes:
    """Page 2's two courses served as the only page (count 2), for tests about one page."""
    page = fixture_json("xuetangx", "get_product_list_page2.json")
    page["data"]["count"] = 2
    return json.dumps(page, ensure_ascii=False).encode("utf-8")


def _classrooms(signs: list[str], **kwargs: object) -> None:
    for sign in signs:
        url = f"{CLASSROOM}?sign={sign}"
        responses.get(url, body=_body(f"classroom_{sign}.json"), **kwargs)


@responses.activate
def test_harvest_posts_the_filters_pages_by_query_and_enriches_every_course() -> None:
    expected = {
        "query": "",
        "chief_org": ["1"],
        "classify": ["1", "2"],
        "selling_type": [],
        "status": ["2"],
        "appid": 10000,
    }
    _list(1, "get_product_list_page1.json", match=[matchers.json_params_matcher(expected)])
    _list(2, "get_product_list_page2.json", match=[matchers.json_params_matcher(expected)])
    _classrooms(PAGE1_SIGNS + PAGE2_SIGNS)
    pages = list(_connector(chief_org=("1",), classify=("1", "2"), status=("2",)).harvest(None))

    assert [p.number for p in pages] == [1, 2]
    assert [p.url for p in pages] == [f"{LIST}?page=1", f"{LIST}?page=2"]
    assert [p.last for p in pages] == [False, True]
    assert [p.cursor for p in pages] == [{"page": 2}, None]
    assert [p.declared_total for p in pages] == [12, 12]
    assert [i.key for i in pages[0].items] == PAGE1_SIGNS
    assert [i.key for i in pages[1].items] == PAGE2_SIGNS

    first = responses.calls[0].request
    assert first.method == "POST"
    assert first.headers["xtbz"] == "xt"
    assert first.headers["django-language"] == "zh"
    assert first.headers["x-client"] == "web"
    assert first.headers["Content-Type"] == "application/json"
    assert first.headers["User-Agent"].startswith("mooc-exchange")
    # One list request, then the ten courses' terms, in order, then page 2.
    urls = [c.request.url for c in responses.calls]
    assert urls[1:11] == [f"{CLASSROOM}?sign={s}" for s in PAGE1_SIGNS]
    assert all(c.request.headers["xtbz"] == "xt" for c in responses.calls)
    assert len(responses.calls) == 14

    cpp = pages[0].items[0]
    assert [(r.key, r.title, r.pacing) for r in cpp.runs] == [
        ("26107919", "2025秋", "instructor"),
        ("3017919", "自主模式", "self"),
        ("21007919", "2024秋", "instructor"),
    ]
    assert cpp.pacing is None  # the runs disagree
    assert _courses(pages[0].items)["THU08091000393"].pacing == "self"  # only a self-paced term
    # The classroom endpoint has no terms for a live course: the list's live classroom stays.
    assert [r.key for r in pages[1].items[1].runs] == ["20012345"]


@responses.activate
def test_brotli_compressed_pages_and_terms_are_decoded() -> None:
    page = _single_page()
    responses.post(
        f"{LIST}?page=1",
        body=brotli.compress(page),
        headers={"Content-Encoding": "br"},
        content_type="application/json",
    )
    for sign in PAGE2_SIGNS:
        compressed = brotli.compress(_body(f"classroom_{sign}.json"))
        responses.get(
            f"{CLASSROOM}?sign={sign}", body=compressed, headers={"Content-Encoding": "br"}
        )
    (only,) = list(_connector().harvest(None))
    assert brotli.compress(page) != page  # the mock really sent compressed bytes
    assert "br" in responses.calls[0].request.headers["Accept-Encoding"]
    network = _courses(only.items)["THU08091000416"]
    assert network.title == "计算机网络原理"
    assert [r.title for r in network.runs] == ["2025秋", "2025春"]


@responses.activate
def test_without_enrichment_runs_come_from_the_list_and_no_term_is_fetched() -> None:
    _list(1, "get_product_list_page1.json")
    _list(2, "get_product_list_page2.json")
    pages = list(_connector(enrich_terms=False).harvest(None))
    assert len(responses.calls) == 2
    cpp = pages[0].items[0]
    assert [r.key for r in cpp.runs] == ["3017919", "21007919", "26107919"]
    assert cpp.runs[-1].start == _utc(2025, 9, 14, 16, 0)
    assert all(r.title is None for r in cpp.runs)


@responses.activate
def test_without_enrichment_the_same_list_bytes_carry_the_page_over_unread() -> None:
    _list(1, "get_product_list_page1.json")
    _list(2, "get_product_list_page2.json")
    first = list(_connector(enrich_terms=False).harvest(None))
    known = {p.url: {**(p.validators or {}), "next": p.cursor} for p in first}
    again = list(_connector(enrich_terms=False).harvest(None, known_pages=known))
    assert [(p.number, p.not_modified, p.last) for p in again] == [
        (1, True, False),
        (2, True, True),
    ]
    # With terms from the classroom endpoint a list page vouches for nothing: always read.
    responses.get(re.compile(r".*/classroom/.*"), status=404)
    enriched = list(_connector().harvest(None, known_pages=known))
    assert [(p.not_modified, p.validators) for p in enriched] == [(False, None), (False, None)]


@responses.activate
def test_count_says_when_to_stop_and_the_page_after_is_never_asked() -> None:
    _list(1, "get_product_list_page1.json")
    _list(2, "get_product_list_page2.json")
    _list(3, "get_product_list_page2.json")  # a server that would keep answering
    pages = list(_connector(enrich_terms=False).harvest(None))
    assert [p.number for p in pages] == [1, 2]
    assert [c.request.url for c in responses.calls] == [f"{LIST}?page=1", f"{LIST}?page=2"]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("get_product_list_page2_past_end.json", id="empty-product-list"),
        pytest.param("get_product_list_page2_data_empty.json", id="data-empty-object"),
    ],
)
@responses.activate
def test_an_empty_page_ends_the_harvest_cleanly(name: str) -> None:
    page1 = fixture_json("xuetangx", "get_product_list_page1.json")
    page1["data"]["count"] = 25  # the count promised three pages; page 2 is empty
    responses.post(f"{LIST}?page=1", json=page1)
    _list(2, name)
    _list(3, "get_product_list_page2.json")
    pages = list(_connector(enrich_terms=False).harvest(None))
    assert [(p.number, len(p.items), p.last, p.cursor) for p in pages] == [
        (1, 10, False, {"page": 2}),
        (2, 0, True, None),
    ]
    assert len(responses.calls) == 2


@responses.activate
def test_a_feed_with_no_courses_yields_one_empty_last_page() -> None:
    responses.post(
        f"{LIST}?page=1", json={"success": True, "data": {"count": 0, "product_list": []}}
    )
    (page,) = list(_connector().harvest(None))
    assert (page.items, page.last, page.cursor, page.declared_total) == ((), True, None, 0)


@responses.activate
def test_a_cursor_resumes_at_its_page() -> None:
    _list(2, "get_product_list_page2.json")
    _classrooms(PAGE2_SIGNS)
    pages = list(_connector().harvest({"page": 2}))
    assert [p.number for p in pages] == [2]
    assert responses.calls[0].request.url == f"{LIST}?page=2"


@responses.activate
def test_malformed_items_are_rejected_and_the_rest_land() -> None:
    _list(1, "get_product_list_page1_malformed.json")
    _classrooms(["THU08091000247"])
    (page,) = list(_connector().harvest(None))
    assert [type(i).__name__ for i in page.items].count("Rejected") == 6
    assert list(_courses(page.items)) == ["THU08091000247"]
    # Rejected items are not enriched: only the good course's terms were fetched.
    assert [c.request.url for c in responses.calls[1:]] == [f"{CLASSROOM}?sign=THU08091000247"]


@responses.activate
def test_success_false_fails_the_feed_with_the_platforms_message_and_the_url() -> None:
    _list(1, "get_product_list_error.json")
    with pytest.raises(BadResponseError, match="success=false: 参数错误") as info:
        list(_connector().harvest(None))
    assert f"{LIST}?page=1" in str(info.value)
    assert "feed tsinghua" in str(info.value)


@responses.activate
def test_a_refused_request_fails_with_the_status_message_and_url() -> None:
    _list(1, "get_product_list_missing_xtbz_400.json", status=400)
    with pytest.raises(HttpStatusError, match="HTTP 400") as info:
        list(_connector().harvest(None))
    assert "非法请求" in str(info.value)
    assert f"{LIST}?page=1" in str(info.value)


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        pytest.param(b'{"success": true, "data": {', "application/json", "invalid JSON", id="cut"),
        pytest.param(b"<!DOCTYPE html><html>", "text/html", "HTML page", id="html"),
        pytest.param(
            json.dumps(
                {"success": True, "data": {"count": 1, "product_list": [{}]}}, ensure_ascii=False
            )
            .replace("[{}]", '[{"sign": "THU1", "name": "数据结构"}]')
            .encode("gbk"),
            "application/json",
            "is not valid UTF-8 at byte",
            id="gbk-bytes",
        ),
        pytest.param(b"[]", "application/json", "not a XuetangX product list", id="list"),
        pytest.param(
            b'{"success": true, "data": {"product_list": {}}}',
            "application/json",
            "no 'data.product_list' list",
            id="product-list-object",
        ),
        pytest.param(
            b'{"success": true, "data": ["x"]}', "application/json", "no 'data.p", id="data-list"
        ),
    ],
)
@responses.activate
def test_a_page_that_is_not_a_product_list_fails_the_run_naming_the_url(
    body: bytes, content_type: str, message: str
) -> None:
    responses.post(f"{LIST}?page=1", body=body, content_type=content_type)
    with pytest.raises(BadResponseError, match=message) as info:
        list(_connector().harvest(None))
    assert f"{LIST}?page=1" in str(info.value)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        pytest.param(
            {"status": 404, "body": _body("classroom_error.json")},
            "HTTP 404 from https://www.xuetangx.com/api/v1/lms/product/classroom/?sign=",
            id="http-404",
        ),
        pytest.param(
            {"body": _body("classroom_error.json")},
            "classroom answered success=false: 课程不存在",
            id="success-false",
        ),
        pytest.param(
            {"body": b"<html><title>Busy</title></html>", "content_type": "text/html"},
            "answered an HTML page",
            id="html-body",
        ),
        pytest.param(
            {"body": _body("classroom_bad_term.json")},
            "classroom 26107919: class_start: not an epoch-milliseconds timestamp",
            id="bad-term",
        ),
    ],
)
@responses.activate
def test_a_course_whose_terms_cannot_be_read_is_rejected_and_the_rest_land(
    reply: dict, reason: str
) -> None:
    responses.post(f"{LIST}?page=1", body=_single_page(), content_type="application/json")
    responses.get(f"{CLASSROOM}?sign=THU08091000416", **reply)
    _classrooms(["THUlive2024001"])
    (page,) = list(_connector().harvest(None))
    rejected, live = page.items
    assert isinstance(rejected, Rejected)
    assert rejected.key == "THU08091000416"
    assert rejected.reason.startswith(
        "terms (/api/v1/lms/product/classroom/?sign=THU08091000416): "
    )
    assert reason in rejected.reason
    if "status" in reply:
        assert rejected.reason.endswith(": 课程不存在")  # the platform's message comes along
    assert rejected.raw["name"] == "计算机网络原理"
    assert isinstance(live, CourseRecord) and live.key == "THUlive2024001"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        pytest.param(503, RetriesExhausted, id="transient-503-fails-the-run"),
        pytest.param(501, HttpStatusError, id="server-error-501-is-not-one-courses-fault"),
    ],
)
@responses.activate
def test_a_server_failure_of_the_terms_fails_the_run_instead_of_rejecting(
    status: int, error: type[Exception]
) -> None:
    responses.post(f"{LIST}?page=1", body=_single_page(), content_type="application/json")
    responses.get(f"{CLASSROOM}?sign=THU08091000416", status=status)
    with pytest.raises(error, match=f"HTTP {status}"):
        list(_connector().harvest(None))


@responses.activate
def test_max_pages_guards_against_endless_pagination() -> None:
    _list(1, "get_product_list_page1.json")
    _list(2, "get_product_list_page2.json")
    with pytest.raises(PaginationError, match="more than 1 pages") as info:
        list(_connector(enrich_terms=False, max_pages=1).harvest(None))
    assert f"{LIST}?page=2" in str(info.value)
    assert len(responses.calls) == 1


@responses.activate
def test_a_server_that_ignores_the_page_number_is_caught() -> None:
    page1 = fixture_json("xuetangx", "get_product_list_page1.json")
    page1["data"]["count"] = 100
    responses.post(f"{LIST}?page=1", json=page1)
    responses.post(f"{LIST}?page=2", json=page1)
    with pytest.raises(PaginationError, match="ignores \\?page"):
        list(_connector(enrich_terms=False).harvest(None))
    assert len(responses.calls) == 2


# -- options and politeness -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "feed_interval", "expected"),
    [
        pytest.param(None, 0.0, 1.0, id="one-request-a-second-by-default"),
        pytest.param(4.0, 0.0, 0.25, id="configured-rate"),
        pytest.param(4.0, 2.0, 2.0, id="a-slower-feed-setting-wins"),
    ],
)
def test_requests_per_second_sets_the_least_interval(rate, feed_interval, expected) -> None:
    feed = FeedContext(feed_id="t", base_url=BASE, http=HttpSettings(min_interval=feed_interval))
    options = XuetangXOptions() if rate is None else XuetangXOptions(requests_per_second=rate)
    assert XuetangXConnector(feed, options).http.settings.min_interval == expected


@responses.activate
def test_the_polite_interval_is_kept_between_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(connectors.http, "sleep_for", waits.append)
    responses.post(f"{LIST}?page=1", body=_single_page(), content_type="application/json")
    _classrooms(PAGE2_SIGNS)
    list(_connector(requests_per_second=2.0).harvest(None))
    assert len(responses.calls) == 3
    assert len(waits) == 2 and all(0.4 < w <= 0.5 for w in waits)


def test_options_from_config_are_validated() -> None:
    adapter = TypeAdapter(XuetangXOptions)
    options = adapter.validate_python({"classify": ["1"], "status": ["2", "3"]})
    assert options == XuetangXOptions(classify=("1",), status=("2", "3"))
    assert (options.language, options.timezone, options.enrich_terms) == (
        "zh",
        "Asia/Shanghai",
        True,
    )
    for bad in (
        {"requests_per_second": 0},
        {"timezone": "Asia/Beijing"},
        {"status": ["4"]},
        {"max_pages": 0},
    ):
        with pytest.raises(ValidationError):
            adapter.validate_python(bad)
