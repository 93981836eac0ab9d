"""The course-discovery connector: mapping as pure functions, paging and incremental harvests
over mocked HTTP."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import responses

from connectors.auth import Secret
from connectors.base import AuthSettings, FeedContext
from connectors.discovery import (
    DiscoveryConnector,
    DiscoveryOptions,
    clean_url,
    high_water_mark,
    map_courses,
    seat_facts,
)
from connectors.errors import AuthError, BadResponseError, HttpStatusError, PaginationError
from connectors.http import HttpSettings
from connectors.normalize import language_tag
from connectors.records import CourseRecord, Rejected
from tests.conftest import fixture_json

BASE = "https://discovery.vnu.edu.vn"
LMS_TOKEN = "https://courses.vnu.edu.vn/oauth2/access_token"
LIST = f"{BASE}/api/v1/courses/"
FIRST = f"{LIST}?page=1&page_size=2&exclude_utm=1"
PAGE2 = f"{LIST}?exclude_utm=1&page=2&page_size=2"
#: The newest data_modified_timestamp in courses_page1.json and courses_page2.json.
NEWEST = "2025-03-05T02:30:00Z"


def _page(name: str) -> dict:
    return fixture_json("discovery", name)


def _courses(items: list) -> dict[str, CourseRecord]:
    return {i.key: i for i in items if isinstance(i, CourseRecord)}


def _all_courses() -> dict[str, CourseRecord]:
    results = _page("courses_page1.json")["results"] + _page("courses_page2.json")["results"]
    return _courses(map_courses(results, base_url=BASE))


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# -- mapping ------------------------------------------------------------------------------------


def test_course_with_runs_seats_and_course_level_facts() -> None:
    ai = _all_courses()["UETx+INT1001"]
    assert ai.title == "Nhập môn Trí tuệ nhân tạo"
    assert [r.key for r in ai.runs] == ["UETx/INT1001/2019_T1", "course-v1:UETx+INT1001+2025_T1"]
    old, current = ai.runs
    # The old Org/Num/Run key is a run key like any other; honor is free and earns nothing.
    assert (old.pacing, old.availability, old.is_free, old.certificate) == (
        "instructor",
        "archived",
        True,
        False,
    )
    assert (old.price, old.currency) == (None, None)
    assert old.start == datetime(2019, 2, 18, 1, 0, tzinfo=UTC)
    # audit 0.00 + professional 149.00 + verified 49.00: free, certificate, cheapest paid seat.
    assert (current.pacing, current.availability) == ("self", "current")
    assert (current.is_free, current.price, current.currency, current.certificate) == (
        True,
        "49.00",
        "USD",
        True,
    )
    assert current.enrollment_start == datetime(2025, 1, 6, 1, 0, tzinfo=UTC)
    assert current.enrollment_end == datetime(2025, 3, 31, 16, 59, tzinfo=UTC)
    assert current.url == "https://mooc.vnu.edu.vn/khoa-hoc/nhap-mon-tri-tue-nhan-tao"
    assert ai.language == "vi-VN"
    assert ai.organization == "Trường Đại học Công nghệ, ĐHQGHN"
    assert ai.subjects == ("Khoa học máy tính", "Trí tuệ nhân tạo")
    assert ai.level == "Introductory"
    # HTML is stripped, as by every connector (issue 18; this used to keep the <p>).
    assert ai.short_description == "Tìm kiếm, biểu diễn tri thức và học máy cơ bản."
    assert ai.description == (
        "<p>Môn học giới thiệu các bài toán <strong>tìm kiếm</strong>, suy diễn và học máy.</p>\n"
        "<ul><li>Tìm kiếm heuristic</li><li>Mạng Bayes</li></ul>"
    )
    # The advertised run supplies pacing and effort.
    assert (ai.pacing, ai.effort) == ("self", "4–6 giờ mỗi tuần")  # in the course's language
    assert (ai.is_free, ai.certificate) == (True, True)
    assert ai.url == "https://mooc.vnu.edu.vn/khoa-hoc/nhap-mon-tri-tue-nhan-tao"
    assert ai.image_url == (
        f"{BASE}/media/course/image/3e9a7b10-4c2d-4f5e-9a8b-7c6d5e4f3a21.small.jpg"
    )
    assert ai.raw["uuid"] == "3e9a7b10-4c2d-4f5e-9a8b-7c6d5e4f3a21"


def test_modified_is_data_modified_timestamp_not_the_later_resave_time() -> None:
    ai = _all_courses()["UETx+INT1001"]
    assert ai.raw["modified"] == "2025-03-09T22:00:05.512004Z"  # a no-op re-save
    assert ai.modified == datetime(2025, 1, 10, 3, 15, 42, 120511, tzinfo=UTC)


def test_course_without_data_modified_timestamp_falls_back_to_modified() -> None:
    phi = _all_courses()["UETx+PHI1004"]
    assert phi.modified == datetime(2018, 9, 3, 7, 12, 55, tzinfo=UTC)
    assert (phi.url, phi.runs[0].url, phi.pacing, phi.subjects) == (None, None, None, ())
    assert (phi.is_free, phi.certificate, phi.language) == (True, False, "vi")


def test_paid_only_course_null_image_src_and_no_language() -> None:
    cpp = _all_courses()["UETx+INT2215"]
    assert (cpp.is_free, cpp.certificate) == (False, True)
    assert (cpp.runs[0].price, cpp.runs[0].currency) == ("149.00", "USD")
    assert cpp.image_url is None  # image is {"src": null, ...}
    assert cpp.description is None  # full_description ""
    assert cpp.language is None  # content_language null
    assert (cpp.effort, cpp.pacing) == ("8 hours per week", "instructor")


def test_relative_urls_owner_without_name_chinese_language_and_odd_spaces() -> None:
    chi = _all_courses()["ULISx+CHI1001"]
    assert chi.url == f"{BASE}/course/tieng-trung-co-ban-1"
    assert chi.runs[0].url == f"{BASE}/course/tieng-trung-co-ban-1"
    assert chi.image_url == f"{BASE}/media/course/image/9f8e7d6c.small.jpg"
    assert chi.organization == "ULISx"  # the owner's name is ""
    assert chi.language == "zh-CN"
    assert chi.short_description == "Phát âm, chữ Hán và hội thoại hằng ngày."  # no <p> (#18)
    assert chi.title == "Tiếng Trung cơ bản 1 (基础汉语 1)"
    assert chi.runs[0].end is None


def test_language_comes_from_the_first_run_that_states_one() -> None:
    course = copy.deepcopy(_page("courses_page1.json")["results"][0])
    course["course_runs"][0]["content_language"] = None
    course["course_runs"][1]["content_language"] = "en-us"
    assert _courses(map_courses([course], base_url=BASE))["UETx+INT1001"].language == "en-US"


def test_the_advertised_run_supplies_course_pacing_and_effort_even_when_older() -> None:
    course = copy.deepcopy(_page("courses_page1.json")["results"][0])
    course["advertised_course_run_uuid"] = course["course_runs"][0]["uuid"]  # the 2019 run
    ai = _courses(map_courses([course], base_url=BASE))["UETx+INT1001"]
    assert (ai.pacing, ai.effort) == ("instructor", None)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("en-us", "en-US", id="region-upper"),
        pytest.param("zh-hans", "zh-Hans", id="script-title"),
        pytest.param("zh_hant_tw", "zh-Hant-TW", id="underscores"),
        pytest.param("es-419", "es-419", id="numeric-region"),
        pytest.param("VI", "vi", id="language-lower"),
        pytest.param("en-x-UETx", "en-x-uetx", id="private-use-lowered"),
        pytest.param("English", "en", id="a-language-name"),
        pytest.param("Klingon", None, id="an-unknown-name-not-a-code"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="null"),
    ],
)
def test_ietf_codes_become_bcp47_tags(code: object, expected: str | None) -> None:
    assert language_tag(code) == expected


def _seat(kind: str, price: object, currency: str = "USD") -> dict:
    return {"type": kind, "price": price, "currency": currency}


@pytest.mark.parametrize(
    ("seats", "expected"),
    [
        pytest.param([_seat("audit", "0.00")], (True, None, None, False), id="audit-only"),
        pytest.param([_seat("honor", "0.00")], (True, None, None, False), id="honor-free-no-cert"),
        pytest.param(
            [_seat("verified", "0.00")], (True, None, None, True), id="zero-price-is-free"
        ),
        pytest.param(
            [_seat("professional", "149.00"), _seat("credit", "99.50", "usd")],
            (False, "99.50", "USD", True),
            id="cheapest-paid-seat",
        ),
        pytest.param(
            [_seat("verified", "1200000.00", "VND")],
            (False, "1200000.00", "VND", True),
            id="other-currency",
        ),
        pytest.param([_seat("verified", None)], (False, None, None, True), id="price-unknown"),
        pytest.param([], (None, None, None, None), id="no-seats-no-facts"),
        pytest.param(None, (None, None, None, None), id="seats-null"),
    ],
)
def test_seats_give_free_price_currency_and_certificate(seats: object, expected: tuple) -> None:
    assert seat_facts(seats, "course_runs[r]") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            "https://www.edx.org/learn/x?utm_source=moocx&utm_medium=affiliate_partner",
            "https://www.edx.org/learn/x",
            id="utm-stripped",
        ),
        pytest.param(
            "https://mooc.vnu.edu.vn/k?lang=vi&utm_source=moocx",
            "https://mooc.vnu.edu.vn/k?lang=vi",
            id="other-params-kept",
        ),
        pytest.param("course/ai?utm_source=moocx", f"{BASE}/course/ai", id="relative"),
        pytest.param("javascript:alert(1)", None, id="not-http"),
        pytest.param("", None, id="empty"),
    ],
)
def test_marketing_urls_are_absolute_and_free_of_utm(value: str, expected: str | None) -> None:
    assert clean_url(BASE, value) == expected


def test_malformed_courses_are_rejected_with_reasons_and_the_good_one_lands() -> None:
    results = _page("courses_page1_malformed.json")["results"]
    items = map_courses(results, base_url=BASE)
    reasons = [(r.key, r.reason) for r in items if isinstance(r, Rejected)]
    assert reasons == [
        (None, "key: missing course key"),
        ("UEBx+ECO2001", "title: missing"),
        (
            "UETx+INT3401",
            "course_runs[course-v1:UETx+INT3401+2025_T3].start: unparseable date 'TBA'",
        ),
        (
            "UETx+INT3402",
            "course_runs[course-v1:UETx+INT3402+2025_T3].seats[0].price: not a decimal 'miễn phí'",
        ),
        (None, "expected a course object, got str"),
    ]
    assert all(r.raw is not None for r in items if isinstance(r, Rejected))
    # instructors and staff are both null on this one's run: neither is read.
    good = _courses(items)["USSHx+HIS1001"]
    assert good.organization == "Trường Đại học Khoa học Xã hội và Nhân văn"
    assert [r.key for r in good.runs] == ["course-v1:USSHx+HIS1001+2025_T1"]


def test_high_water_mark_prefers_data_modified_and_distrusts_the_future() -> None:
    results = _page("courses_page1.json")["results"] + _page("courses_page2.json")["results"]
    assert high_water_mark(results) == _utc(NEWEST)
    future = copy.deepcopy(results[0])
    future["data_modified_timestamp"] = "2099-01-01T00:00:00Z"
    broken = copy.deepcopy(results[1])
    broken["data_modified_timestamp"] = "hôm qua"
    server_now = datetime(2025, 3, 10, tzinfo=UTC)
    assert high_water_mark([*results, future, broken], not_after=server_now) == _utc(NEWEST)
    assert high_water_mark([]) is None


# -- harvesting ---------------------------------------------------------------------------------


def _connector(auth: AuthSettings | None = None, **options: object) -> DiscoveryConnector:
    feed = FeedContext(feed_id="vnu", base_url=BASE, auth=auth, http=HttpSettings(max_retries=0))
    return DiscoveryConnector(feed, DiscoveryOptions(page_size=2, **options))


def _since_query(overlap: str) -> str:
    return f"{FIRST}&timestamp={overlap.replace(':', '%3A')}"


def _register_full() -> None:
    responses.get(FIRST, json=_page("courses_page1.json"))
    responses.get(PAGE2, json=_page("courses_page2.json"))


@responses.activate
def test_full_harvest_ends_with_the_newest_server_timestamp_as_high_water_mark() -> None:
    _register_full()
    pages = list(_connector().harvest(None))
    assert responses.calls[0].request.url == FIRST
    assert responses.calls[1].request.url == PAGE2
    assert [p.number for p in pages] == [1, 2]
    assert [p.last for p in pages] == [False, True]
    assert [p.incremental for p in pages] == [False, False]
    assert {p.declared_total for p in pages} == {4}
    assert pages[0].cursor == {
        "next": PAGE2,
        "page": 2,
        "since": None,
        "high": "2025-02-20T10:41:07.003900Z",
        "incremental": False,
    }
    newest = max(
        _utc(c["data_modified_timestamp"] or c["modified"])
        for name in ("courses_page1.json", "courses_page2.json")
        for c in _page(name)["results"]
    )
    assert pages[-1].cursor == {"since": NEWEST}
    assert _utc(pages[-1].cursor["since"]) == newest
    assert "Authorization" not in responses.calls[0].request.headers


@pytest.mark.parametrize(
    ("overlap", "timestamp"),
    [
        pytest.param(None, "2025-03-05T01:30:00Z", id="default-60-minutes"),
        pytest.param(0, "2025-03-05T02:30:00Z", id="no-overlap"),
        pytest.param(1440, "2025-03-04T02:30:00Z", id="a-day"),
    ],
)
@responses.activate
def test_second_harvest_asks_only_for_changes_since_the_mark_minus_the_overlap(
    overlap: int | None, timestamp: str
) -> None:
    responses.get(_since_query(timestamp), json=_page("courses_timestamp_page1.json"))
    options = {} if overlap is None else {"overlap_minutes": overlap}
    pages = list(_connector(**options).harvest({"since": NEWEST}))
    query = parse_qs(urlsplit(responses.calls[0].request.url).query)
    assert query == {
        "page": ["1"],
        "page_size": ["2"],
        "exclude_utm": ["1"],
        "timestamp": [timestamp],
    }
    # An unchanged catalog: only the course inside the overlap comes back.
    assert len(pages) == 1 and pages[0].incremental and pages[0].last
    assert [i.key for i in pages[0].items] == ["ULISx+CHI1001"]
    assert pages[0].cursor == {"since": NEWEST}


@responses.activate
def test_timestamp_is_floored_to_whole_seconds_so_the_overlap_only_widens() -> None:
    url = _since_query("2025-01-10T02:15:42Z")
    responses.get(url, json={"count": 0, "next": None, "previous": None, "results": []})
    pages = list(_connector().harvest({"since": "2025-01-10T03:15:42.120511Z"}))
    assert responses.calls[0].request.url == url
    assert pages[0].items == () and pages[0].incremental
    assert pages[0].cursor == {"since": "2025-01-10T03:15:42.120511Z"}


@responses.activate
def test_high_water_mark_never_goes_backwards() -> None:
    older = _page("courses_timestamp_page1.json")
    older["results"][0]["data_modified_timestamp"] = "2025-03-05T02:00:00Z"  # inside the overlap
    responses.get(_since_query("2025-03-05T01:30:00Z"), json=older)
    pages = list(_connector().harvest({"since": NEWEST}))
    assert pages[-1].cursor == {"since": NEWEST}


@responses.activate
def test_incremental_harvest_resumes_mid_way_and_finishes_with_the_new_mark() -> None:
    first = _page("courses_page1.json")
    first["results"][1]["data_modified_timestamp"] = "2025-04-01T09:00:00.250000Z"  # changed
    first["next"] = f"{LIST}?exclude_utm=1&page=2&page_size=2&timestamp=2025-03-05T01%3A30%3A00Z"
    responses.get(_since_query("2025-03-05T01:30:00Z"), json=first)
    responses.get(first["next"], json=_page("courses_timestamp_page1.json"))
    pages = list(_connector().harvest({"since": NEWEST}))
    assert [p.incremental for p in pages] == [True, True]
    mid = pages[0].cursor
    assert mid == {
        "next": first["next"],
        "page": 2,
        "since": NEWEST,
        "high": "2025-04-01T09:00:00.250000Z",
        "incremental": True,
    }
    resumed = list(_connector().harvest(json.loads(json.dumps(mid))))
    assert [p.items for p in resumed] == [pages[1].items]
    assert resumed[0].incremental and resumed[0].number == 2
    assert resumed[-1].cursor == pages[-1].cursor == {"since": "2025-04-01T09:00:00.250000Z"}


@responses.activate
def test_incremental_off_sweeps_in_full_but_keeps_the_mark() -> None:
    _register_full()
    pages = list(_connector(incremental=False).harvest({"since": "2026-01-01T00:00:00Z"}))
    assert responses.calls[0].request.url == FIRST  # no timestamp
    assert not any(p.incremental for p in pages)
    assert pages[-1].cursor == {"since": "2026-01-01T00:00:00Z"}


@responses.activate
def test_unreadable_cursor_falls_back_to_a_full_sweep(caplog: pytest.LogCaptureFixture) -> None:
    _register_full()
    pages = list(_connector().harvest({"since": "hôm qua"}))
    assert responses.calls[0].request.url == FIRST
    assert pages[-1].cursor == {"since": NEWEST}
    assert "cursor.since: unparseable date" in caplog.text


@responses.activate
def test_catalog_harvest_uses_the_catalog_path_and_is_always_a_full_sweep() -> None:
    url = f"{BASE}/api/v1/catalogs/7/courses/?page=1&page_size=2&exclude_utm=1"
    responses.get(url, json=_page("catalogs_7_courses_page1.json"))
    pages = list(_connector(catalog_id=7).harvest({"since": NEWEST}))
    assert responses.calls[0].request.url == url  # the endpoint ignores ?timestamp=
    assert not pages[0].incremental
    course = _courses(list(pages[0].items))["UETx+INT1001"]
    # The catalog endpoint ignores exclude_utm=1: the UTM parameters are stripped here.
    assert course.url == "https://mooc.vnu.edu.vn/khoa-hoc/nhap-mon-tri-tue-nhan-tao"
    assert course.runs[0].url == "https://mooc.vnu.edu.vn/khoa-hoc/nhap-mon-tri-tue-nhan-tao"
    assert pages[0].cursor == {"since": NEWEST}  # max(old mark, 2025-01-10…)


@responses.activate
def test_limit_offset_next_links_are_followed_and_keep_exclude_utm() -> None:
    first = _page("courses_page1.json")
    first["next"] = f"{LIST}?limit=2&offset=2"
    responses.get(FIRST, json=first)
    responses.get(f"{LIST}?limit=2&offset=2&exclude_utm=1", json=_page("courses_page2.json"))
    pages = list(_connector().harvest(None))
    assert responses.calls[1].request.url == f"{LIST}?limit=2&offset=2&exclude_utm=1"
    assert dict(parse_qsl(urlsplit(pages[0].cursor["next"]).query)) == {
        "limit": "2",
        "offset": "2",
        "exclude_utm": "1",
    }
    assert len(_courses([i for p in pages for i in p.items])) == 4


@responses.activate
def test_next_link_built_behind_a_tls_proxy_keeps_the_configured_origin() -> None:
    first = _page("courses_page1.json")
    first["next"] = (
        "http://discovery.vnu.edu.vn:18381/api/v1/courses/?exclude_utm=1&page=2&page_size=2"
    )
    responses.get(FIRST, json=first)
    responses.get(PAGE2, json=_page("courses_page2.json"))
    pages = list(_connector().harvest(None))
    assert responses.calls[1].request.url == PAGE2
    assert pages[-1].last


@responses.activate
def test_next_link_to_another_host_is_refused() -> None:
    first = _page("courses_page1.json")
    first["next"] = "https://evil.example.com/api/v1/courses/?page=2"
    responses.get(FIRST, json=first)
    with pytest.raises(PaginationError, match="another host"):
        list(_connector().harvest(None))


@responses.activate
def test_next_link_that_repeats_is_refused_instead_of_looping() -> None:
    first = _page("courses_page1.json")
    first["next"] = FIRST
    responses.get(FIRST, json=first)
    with pytest.raises(PaginationError, match="repeats"):
        list(_connector().harvest(None))
    assert len(responses.calls) == 1


@responses.activate
def test_max_pages_stops_endless_pagination() -> None:
    _register_full()
    with pytest.raises(PaginationError, match="max_pages"):
        list(_connector(max_pages=1).harvest(None))


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        pytest.param(
            b"<!DOCTYPE html><html><head><title>Sign in | VNU</title></head></html>",
            "text/html",
            "HTML page",
            id="login-page",
        ),
        pytest.param(b"Service Unavailable", "text/plain", "invalid JSON", id="not-json"),
        pytest.param(
            b'{"count": 3, "next": null, "results": [',
            "application/json",
            "invalid JSON",
            id="truncated",
        ),
        pytest.param(
            b"[1, 2]", "application/json", "not a course-discovery course list", id="list"
        ),
        pytest.param(
            b'{"detail": "Not found."}',
            "application/json",
            "not a course-discovery course list",
            id="no-envelope",
        ),
    ],
)
@responses.activate
def test_responses_that_are_not_a_course_list_fail_naming_the_url(
    body: bytes, content_type: str, message: str
) -> None:
    responses.get(FIRST, body=body, content_type=content_type)
    with pytest.raises(BadResponseError, match=message) as info:
        list(_connector().harvest(None))
    assert f"{LIST}?page=1&page_size=2&exclude_utm=1" in str(info.value)


@responses.activate
def test_future_timestamps_beyond_the_servers_date_stay_out_of_the_mark(
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = _page("courses_page1.json")
    first["next"] = None
    first["results"][1]["data_modified_timestamp"] = "2099-12-31T00:00:00Z"
    responses.get(FIRST, json=first, headers={"Date": "Tue, 11 Mar 2025 08:00:00 GMT"})
    pages = list(_connector().harvest(None))
    assert pages[-1].cursor == {"since": "2025-01-10T03:15:42.120511Z"}
    assert "UETx+INT2215" in caplog.text and "after the server's own clock" in caplog.text


def _auth(token_url: str | None = LMS_TOKEN) -> AuthSettings:
    return AuthSettings(client_id="moocx", client_secret=Secret("s3cret"), token_url=token_url)


@responses.activate
def test_jwt_from_the_lms_token_url_is_sent_to_discovery() -> None:
    token = _page("oauth2_access_token.json")
    responses.post(LMS_TOKEN, json=token)
    _register_full()
    list(_connector(auth=_auth()).harvest(None))
    form = dict(parse_qsl(responses.calls[0].request.body))
    assert form == {
        "grant_type": "client_credentials",
        "client_id": "moocx",
        "client_secret": "s3cret",
        "token_type": "jwt",
    }
    expected = f"JWT {token['access_token']}"
    assert [c.request.headers["Authorization"] for c in responses.calls[1:]] == [expected] * 2
    assert len(responses.calls) == 3  # one token for the whole harvest


@responses.activate
def test_401_fetches_a_new_token_once_then_fails_naming_the_url() -> None:
    responses.post(LMS_TOKEN, json=_page("oauth2_access_token.json"))
    responses.get(FIRST, json={"detail": "Invalid token."}, status=401)
    with pytest.raises(HttpStatusError, match="HTTP 401") as info:
        list(_connector(auth=_auth()).harvest(None))
    assert "discovery.vnu.edu.vn/api/v1/courses/" in str(info.value)
    assert [c.request.method for c in responses.calls] == ["POST", "GET", "POST", "GET"]
    assert all(
        c.request.headers["Authorization"].startswith("JWT ")
        for c in responses.calls
        if c.request.method == "GET"
    )


def test_auth_without_a_token_url_is_refused_because_discovery_issues_no_tokens() -> None:
    with pytest.raises(AuthError, match=r"token_url"):
        _connector(auth=_auth(token_url=None))
