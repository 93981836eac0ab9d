"""The MOOChub connector: mapping as pure functions, paging over mocked HTTP."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
import responses
from responses import matchers

from connectors.base import FeedContext
from connectors.errors import BadResponseError, HttpStatusError, PaginationError
from connectors.http import HttpSettings
from connectors.moochub import (
    MoochubConnector,
    MoochubOptions,
    map_course,
    map_items,
    parse_envelope,
    schema_version,
)
from connectors.records import CourseRecord, Rejected
from tests.conftest import fixture_json

BASE = "https://mooc.vnu.edu.vn/bridges/moochub"
LIST = f"{BASE}/courses"
AI = "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
VIE = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
ECO = "5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d0e"
ACCEPT_V3 = "application/vnd.api+json; moochub-version=3"


def _page(name: str) -> dict:
    return fixture_json("moochub", name)


def _data(name: str) -> list:
    return parse_envelope(_page(name), "https://x.test/courses", "t")[0]


def _courses(items: list) -> dict[str, CourseRecord]:
    return {i.key: i for i in items if isinstance(i, CourseRecord)}


def _course(name: str, index: int = 0, **kwargs: object) -> CourseRecord:
    return map_course(_data(name)[index], base_url=BASE, **kwargs)


def _minimal(**attributes: object) -> dict:
    """A v3 item with only what these tests look at, plus ``attributes``."""
    return {"id": "c1", "type": "Course", "attributes": {"name": "Khoá học", **attributes}}


# -- mapping: a complete v3 item ---------------------------------------------------------------


def test_a_complete_v3_course_maps_every_field() -> None:
    ai = _course("courses.json")
    assert ai.key == AI
    assert ai.title == "Nhập môn Trí tuệ nhân tạo"
    assert ai.description.startswith("<p>Môn học giới thiệu các khái niệm cơ bản của <strong>")
    assert ai.language == "vi"
    assert ai.organization == "Trường Đại học Công nghệ, ĐHQGHN"
    # keywords (deduplicated) then educationalAlignment names, in the course's language.
    assert ai.subjects == ("trí tuệ nhân tạo", "học máy", "Khoa học máy tính")
    assert ai.level == "CƠ BẢN"
    assert ai.effort == "4 h/week"
    assert ai.credits == 3.0
    assert ai.pacing == "instructor"
    assert ai.url == "https://mooc.vnu.edu.vn/courses/int1001"
    assert ai.is_free is True
    assert ai.certificate is True
    assert ai.modified == datetime(2025, 1, 10, 8, 30, 0, 123000, tzinfo=UTC)


def test_start_and_end_arrays_pair_into_runs_with_stable_keys_prices_and_windows() -> None:
    runs = _course("courses.json").runs
    assert [r.key for r in runs] == [f"{AI}@2025-02-17", f"{AI}@2025-09-08"]
    assert [(r.start, r.end) for r in runs] == [
        (datetime(2025, 2, 17, 1, tzinfo=UTC), datetime(2025, 5, 30, 16, 59, tzinfo=UTC)),
        (datetime(2025, 9, 8, 1, tzinfo=UTC), datetime(2025, 12, 19, 16, 59, tzinfo=UTC)),
    ]
    first = runs[0]
    assert first.enrollment_start == datetime(2025, 1, 15, tzinfo=UTC)
    assert first.enrollment_end == datetime(2025, 2, 16, 16, 59, 59, tzinfo=UTC)
    # The free course offer and the paid certificate: the run's price is the paid option.
    assert (first.price, first.currency, first.is_free, first.certificate) == (
        "1500000.00",
        "VND",
        True,
        True,
    )
    assert first.pacing == "instructor"
    assert first.url == "https://mooc.vnu.edu.vn/courses/int1001"


def test_relative_image_is_resolved_against_the_platform() -> None:
    assert _course("courses.json").image_url == (
        "https://mooc.vnu.edu.vn/files/courses/int1001/visual.png"
    )


def test_short_description_is_the_description_text_cut_near_300_characters() -> None:
    short = _course("courses.json").short_description
    assert "<" not in short and "Python & các thư viện" in short  # tags gone, &amp; unescaped
    assert short.startswith("Môn học giới thiệu các khái niệm cơ bản của trí tuệ nhân tạo: tác tử")
    assert short.endswith("…")
    assert 250 < len(short) <= 301
    assert _course("courses.json", 1).short_description == (
        "本课程面向零基础学习者，介绍越南语的字母、声调和日常会话。"
    )


# -- multilingual fields -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "subjects", "level"),
    [
        pytest.param(None, ("Khoa học máy tính",), "CƠ BẢN", id="course-language-by-default"),
        pytest.param("en", ("Computer science",), "BEGINNER", id="option-language-wins"),
        pytest.param("en-GB", ("Computer science",), "BEGINNER", id="primary-subtag-match"),
        pytest.param("fr", ("Khoa học máy tính",), "CƠ BẢN", id="unknown-falls-back-to-course"),
    ],
)
def test_multilingual_label_names_are_picked_by_language(
    language: str | None, subjects: tuple, level: str
) -> None:
    ai = _course("courses.json", language=language)
    assert ai.subjects[2:] == subjects
    assert ai.level == level


@pytest.mark.parametrize(
    ("language", "title"),
    [
        pytest.param(None, "越南语入门", id="course-language-zh-Hans"),
        pytest.param("en", "Introduction to Vietnamese", id="option-language"),
    ],
)
def test_a_name_given_as_a_multilingual_label_list_becomes_one_title(
    language: str | None, title: str
) -> None:
    vie = _course("courses.json", 1, language=language)
    assert vie.title == title
    assert vie.language == "zh-Hans"  # BCP 47 kept as given


def test_first_inlanguage_is_the_language_and_underscore_tags_are_repaired() -> None:
    moodle = map_course(_data("get_moochub_courses.json")[0], base_url="https://x.test")
    assert moodle.language == "zh-CN"
    assert map_course(_minimal(inLanguage=["not a tag!"]), base_url=BASE).language is None


# -- the asynchronous course, explicit nulls, effort and money ---------------------------------


def test_an_asynchronous_course_with_a_null_end_date() -> None:
    vie = _course("courses.json", 1)
    assert vie.pacing == "self"
    assert vie.effort == "2.5 h/day"
    assert vie.credits is None
    assert vie.certificate is False  # only a confirmation of participation
    assert [(r.key, r.start, r.end, r.price) for r in vie.runs] == [
        (f"{VIE}@2025-03-03", datetime(2025, 3, 3, tzinfo=UTC), None, "0.00")
    ]


@pytest.mark.parametrize(
    ("course_mode", "pacing"),
    [
        pytest.param(["online", "asynchronous"], "self", id="asynchronous"),
        pytest.param(["blended", "synchronous"], "instructor", id="synchronous"),
        pytest.param(["online"], None, id="neither"),
        pytest.param(["synchronous", "asynchronous"], None, id="both-is-ambiguous"),
        pytest.param("MOOC", None, id="v2-string"),
        pytest.param(None, None, id="null"),
    ],
)
def test_pacing_comes_from_course_mode(course_mode: object, pacing: str | None) -> None:
    course = map_course(_minimal(courseMode=course_mode), base_url=BASE)
    assert course.pacing == pacing
    assert course.runs[0].pacing == pacing


@pytest.mark.parametrize(
    ("workload", "effort"),
    [
        pytest.param({"timeValue": 3, "timeUnit": "h/week"}, "3 h/week", id="v3-object"),
        pytest.param({"timeValue": 10, "timeUnit": "h/month"}, "10 h/month", id="v3-month"),
        pytest.param(5, "5 h/week", id="v2-int-hours-per-week"),
        pytest.param({"timeValue": 0, "timeUnit": "h/week"}, None, id="zero"),
        pytest.param({"timeValue": "NaN", "timeUnit": "h/week"}, None, id="nan"),
        pytest.param(None, None, id="null"),
    ],
)
def test_effort_from_workload(workload: object, effort: str | None) -> None:
    assert map_course(_minimal(workload=workload), base_url=BASE).effort == effort


@pytest.mark.parametrize(
    "offers",
    [
        pytest.param(
            {"offer": [{"price": 49.9, "priceCurrency": "EUR", "category": "certificate"}]},
            id="schema-offer-camelCase",
        ),
        pytest.param(
            {"offers": [{"price": 49.9, "price_currency": "EUR", "category": "certificate"}]},
            id="xikolo-offers-snake_case",
        ),
        pytest.param(
            {"offer": {"price": "49.90", "priceCurrency": "eur", "category": "certificate"}},
            id="single-object-string-price-lowercase-currency",
        ),
    ],
)
def test_offer_and_xikolo_offers_give_the_same_run_price(offers: dict) -> None:
    course = map_course(_minimal(**offers), base_url=BASE)
    assert (course.runs[0].price, course.runs[0].currency) == ("49.90", "EUR")
    assert course.certificate is True


@pytest.mark.parametrize(
    ("attributes", "is_free", "certificate"),
    [
        pytest.param({"access": ["free", "paid"]}, True, None, id="free-and-paid"),
        pytest.param({"access": ["paid"]}, False, None, id="paid-only"),
        pytest.param({"access": ["student"]}, False, None, id="students-only"),
        pytest.param({}, None, None, id="access-unknown"),
        pytest.param(
            {"offer": [{"price": 0, "priceCurrency": "EUR", "category": "course"}]},
            True,
            None,
            id="free-course-offer-without-access",
        ),
        pytest.param(
            {"educationalCredentialsAwarded": ["record of achievement", "certificate"]},
            None,
            True,
            id="certificate-awarded",
        ),
        pytest.param(
            {"educationalCredentialsAwarded": ["record of achievement"]},
            None,
            True,  # issue 18: openHPI's graded certificate (was False, a bug)
            id="record-of-achievement-is-a-certificate",
        ),
        pytest.param(
            {"educationalCredentialsAwarded": ["confirmation of participation"]},
            None,
            False,
            id="no-certificate",
        ),
    ],
)
def test_is_free_and_certificate(attributes: dict, is_free: bool, certificate: bool) -> None:
    course = map_course(_minimal(**attributes), base_url=BASE)
    assert (course.is_free, course.certificate) == (is_free, certificate)


def test_money_and_credits_of_a_moodle_course() -> None:
    course = map_course(_data("get_moochub_courses.json")[0], base_url="https://x.test")
    assert course.is_free is False
    assert course.credits == 2.5
    assert (course.runs[0].price, course.runs[0].currency) == ("199.50", "CNY")
    # +08:00 offsets become UTC
    assert course.runs[0].start == datetime(2025, 2, 23, 16, tzinfo=UTC)


def test_a_course_without_dates_gets_one_undated_run_for_its_price() -> None:
    course = map_course(
        _minimal(offer=[{"price": 20, "priceCurrency": "USD", "category": "course"}]),
        base_url=BASE,
    )
    assert [(r.key, r.start, r.price) for r in course.runs] == [("c1@undated", None, "20.00")]


def test_two_runs_on_one_day_keep_distinct_keys_and_a_listed_twice_run_is_one() -> None:
    starts = ["2025-03-01T01:00:00Z", "2025-03-01T08:00:00Z", "2025-03-01T08:00:00Z"]
    course = map_course(_minimal(startDate=starts), base_url=BASE)
    assert [r.key for r in course.runs] == ["c1@2025-03-01", "c1@2025-03-01#2"]


# -- real-world deviations (formats/README.md §4.4) --------------------------------------------


def test_official_v3_example_with_data_as_one_object_and_identifier_urls() -> None:
    page = _page("openhpi_v3_spec_example_courses_page2.json")
    assert isinstance(page["data"], dict)
    data, links = parse_envelope(page, "https://open.hpi.de/bridges/moochub/courses", "t")
    assert links["next"] == "https://open.hpi.de/bridges/moochub/courses?page=3"
    [course] = map_items(data, base_url="https://open.hpi.de/bridges/moochub")
    assert course.title == "Course - the complete example"
    assert course.organization == "openHPI"  # publisher has `identifier`, no `url`
    assert course.level == "INTERMEDIATE"
    assert course.subjects[-1] == "Computer use"
    assert course.credits == 0.0
    assert course.certificate is True
    assert course.runs[0].key == "8978f51e-770c-4d0a-a2e3-23fae8f6aa79@2021-01-13"
    assert course.runs[0].enrollment_end == datetime(2022, 1, 31, 23, 59, 59, tzinfo=UTC)


def test_official_v2_3_example_with_markdown_and_single_dates() -> None:
    [raw] = _data("openhpi_v2.3_spec_example_courses_page2.json")
    assert schema_version(raw) == "2.3"
    course = map_course(raw, base_url="https://open.hpi.de/bridges/moochub")
    assert course.key == "string"
    assert course.title == "A Half Century of Internet: How it works today"
    assert course.language == "en"
    assert course.organization == "openHPI"  # moocProvider
    assert course.effort == "5 h/week"
    assert course.is_free is True
    assert course.pacing is None  # courseMode "MOOC"
    assert course.image_url.startswith("https://s3.openhpicloud.de/openhpi-public/courses/")
    # Markdown is kept as text, never rendered or crashed on.
    assert "the *network of networks* the indispensable" in course.short_description
    assert course.description.startswith("The Internet connects more than half")
    [run] = course.runs
    assert (run.key, run.start, run.end) == (
        "string@2020-08-16",
        datetime(2020, 8, 16, 10, 55, tzinfo=UTC),
        datetime(2020, 10, 20, 21, 59, tzinfo=UTC),
    )


def test_v2_markdown_in_our_own_v2_page_is_kept_as_text() -> None:
    [his] = map_items(_data("courses_page3.json"), base_url=BASE)
    assert his.short_description == (
        "Từ thời *Văn Lang – Âu Lạc* đến nay, theo giáo trình của [USSH](https://ussh.vnu.edu.vn)."
    )
    assert his.description == (
        "Môn học trình bày tiến trình **lịch sử Việt Nam**.\n- Thời dựng nước\n- Thời Bắc thuộc"
    )
    assert his.image_url == "https://mooc.vnu.edu.vn/files/his1001.jpg"
    assert his.organization == "Trường Đại học Khoa học Xã hội và Nhân văn, ĐHQGHN"


def test_xikolo_variant_offers_milliseconds_and_dropped_nulls() -> None:
    [course] = map_items(_data("xikolo_variant_courses.json"), base_url=BASE)
    assert course.language == "de"
    assert course.short_description == "Der Kurs vermittelt Grundlagen der IT-Sicherheit."
    assert course.effort is None and course.modified is None  # keys dropped, not null
    [run] = course.runs
    assert run.start == datetime(2024, 9, 4, 8, tzinfo=UTC)
    assert (run.price, run.currency, run.is_free) == ("0.00", "EUR", True)


def test_v2_leftovers_next_to_v3_fields_prefer_the_v3_ones() -> None:
    [eco] = map_items(_data("courses_page2.json"), base_url=BASE)
    assert schema_version(_data("courses_page2.json")[0]) == "3"
    # publisher (with `identifier` instead of `url`) wins over the leftover moocProvider.
    assert eco.organization == "Trường Đại học Kinh tế, ĐHQGHN"
    assert (
        eco.short_description == "Hồi quy, chuỗi thời gian và dữ liệu bảng cho người làm kinh tế."
    )
    assert (eco.runs[0].price, eco.runs[0].currency) == ("299000.00", "VND")
    assert eco.subjects == ()


def test_dropped_keys_and_explicit_nulls_give_the_same_record() -> None:
    optional = [
        "description", "inLanguage", "startDate", "endDate", "image", "workload", "access",
        "keywords", "offer", "numberOfCredits", "educationalCredentialsAwarded",
        "educationalAlignment", "educationalLevel", "courseMode", "dateModified",
        "applicationStartDate", "applicationDeadline", "url", "publisher",
    ]  # fmt: skip
    dropped = map_course(_minimal(), base_url=BASE)
    nulled = map_course(_minimal(**dict.fromkeys(optional)), base_url=BASE)
    assert dropped == nulled
    assert dropped.runs[0].key == "c1@undated"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2024-09-04T08:00:00.000Z", datetime(2024, 9, 4, 8, tzinfo=UTC), id="millis"),
        pytest.param("2024-09-04T08:00:00Z", datetime(2024, 9, 4, 8, tzinfo=UTC), id="seconds"),
        pytest.param("2024-09-04T15:00:00+07:00", datetime(2024, 9, 4, 8, tzinfo=UTC), id="offset"),
    ],
)
def test_dates_with_or_without_milliseconds(value: str, expected: datetime) -> None:
    course = map_course(_minimal(startDate=[value], dateModified=value), base_url=BASE)
    assert course.runs[0].start == expected
    assert course.modified == expected


@pytest.mark.parametrize(
    ("item", "version"),
    [
        pytest.param({"type": "Course", "attributes": {}}, "3", id="type-Course"),
        pytest.param({"type": "courses", "attributes": {}}, "2.3", id="type-courses"),
        pytest.param({"attributes": {"moocProvider": {}, "languages": []}}, "2.3", id="v2-keys"),
        pytest.param({"attributes": {"moocProvider": {}, "publisher": {}}}, "3", id="mixed"),
    ],
)
def test_schema_version_is_detected_per_item(item: dict, version: str) -> None:
    assert schema_version(item) == version


def test_non_http_urls_are_dropped() -> None:
    course = map_course(
        _minimal(url="javascript:alert(1)", image={"contentUrl": "data:image/png;base64,AAAA"}),
        base_url=BASE,
    )
    assert (course.url, course.image_url) == (None, None)


# -- bad items ---------------------------------------------------------------------------------


def test_items_without_id_or_name_are_rejected_and_the_rest_land() -> None:
    items = map_items(_data("courses.json"), base_url=BASE)
    assert set(_courses(items)) == {AI, VIE}
    rejected = {r.key: r.reason for r in items if isinstance(r, Rejected)}
    assert rejected == {
        "c0ffee00-0000-4000-8000-000000000001": "name: missing course title",
        None: "id: missing course id",
    }
    assert all(r.raw is not None for r in items if isinstance(r, Rejected))


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        pytest.param(_minimal(startDate=["TBA"]), "startDate: unparseable date 'TBA'", id="date"),
        pytest.param(_minimal(dateModified=20250101), "dateModified: expected", id="number-date"),
        pytest.param({"id": "c1", "type": "Course"}, "attributes: missing", id="no-attributes"),
        pytest.param("just a string", "expected a course object, got str", id="not-an-object"),
    ],
)
def test_unmappable_items_are_rejected_with_a_reason(item: object, reason: str) -> None:
    [rejected] = map_items([item], base_url=BASE)
    assert isinstance(rejected, Rejected)
    assert rejected.reason.startswith(reason)


def test_an_id_listed_twice_on_a_page_is_rejected_the_second_time() -> None:
    first, second = _minimal(), _minimal(name="Bản sao")
    items = map_items([first, second], base_url=BASE)
    assert [type(i).__name__ for i in items] == ["CourseRecord", "Rejected"]
    assert items[1].reason == "id: appears twice on this page"


# -- harvesting over HTTP ----------------------------------------------------------------------


def _connector(base: str = BASE, **options: object) -> MoochubConnector:
    feed = FeedContext(feed_id="vnu-moochub", base_url=base, http=HttpSettings(max_retries=0))
    return MoochubConnector(feed, MoochubOptions(**options))


def _get(url: str, **kwargs: object) -> None:
    """Mock one GET; a URL without a query matches only requests without one."""
    match = [] if "?" in url else [matchers.query_param_matcher({})]
    responses.get(url, match=match, **kwargs)


def _serve(*names: str, **extra: object) -> None:
    urls = [LIST, f"{LIST}?page=2", f"{LIST}?page=3"]
    for url, name in zip(urls, names, strict=False):
        _get(url, json=_page(name), content_type="application/vnd.api+json", **extra)


@responses.activate
def test_harvest_follows_links_next_until_it_is_null_and_sends_the_version() -> None:
    _serve("courses.json", "courses_page2.json", "courses_page3.json")
    pages = list(_connector().harvest(None))
    assert [p.number for p in pages] == [1, 2, 3]
    assert [p.url for p in pages] == [LIST, f"{LIST}?page=2", f"{LIST}?page=3"]
    assert [p.last for p in pages] == [False, False, True]
    assert [p.cursor for p in pages] == [
        {"next": f"{LIST}?page=2", "page": 2},
        {"next": f"{LIST}?page=3", "page": 3},
        None,  # MOOChub has no incremental query: the next harvest starts from the top
    ]
    assert {c.request.headers["Accept"] for c in responses.calls} == {ACCEPT_V3}
    assert [len(p.items) for p in pages] == [4, 1, 1]


def _validators(pages: list) -> dict:
    """What the sync hands back after a complete harvest: digests and cursors by URL."""
    return {p.url: {**(p.validators or {}), "next": p.cursor} for p in pages}


@responses.activate
def test_a_page_with_the_same_bytes_as_last_time_is_carried_over_unread() -> None:
    _serve("courses.json", "courses_page2.json", "courses_page3.json")
    first = list(_connector().harvest(None))
    assert all(p.validators and len(p.validators["digest"]) == 32 for p in first)
    again = list(_connector().harvest(None, known_pages=_validators(first)))
    assert [(p.number, p.not_modified, p.items, p.last) for p in again] == [
        (1, True, (), False),
        (2, True, (), False),
        (3, True, (), True),
    ]
    changed = _page("courses_page2.json")
    changed["data"][0]["attributes"]["name"] = "Changed"
    responses.replace(responses.GET, f"{LIST}?page=2", json=changed)
    third = list(_connector().harvest(None, known_pages=_validators(first)))
    assert [p.not_modified for p in third] == [True, False, True]
    assert third[1].items[0].title == "Changed"
    # Other options map the same bytes differently: nothing is carried over.
    other = list(_connector(language="vi").harvest(None, known_pages=_validators(first)))
    assert not any(p.not_modified for p in other)


@responses.activate
def test_harvest_resumes_from_a_mid_harvest_cursor() -> None:
    _serve("courses.json", "courses_page2.json", "courses_page3.json")
    pages = list(_connector().harvest({"next": f"{LIST}?page=3", "page": 3}))
    assert [(p.number, p.url) for p in pages] == [(3, f"{LIST}?page=3")]
    assert len(responses.calls) == 1


@responses.activate
def test_a_cursor_pointing_to_another_host_starts_over(caplog: pytest.LogCaptureFixture) -> None:
    _serve("courses.json", "courses_page2.json", "courses_page3.json")
    pages = list(_connector().harvest({"next": "https://old.example.org/courses?page=2"}))
    assert pages[0].url == LIST
    assert "vnu-moochub" in caplog.text


@pytest.mark.parametrize(
    "links",
    [
        pytest.param({"self": LIST}, id="next-absent"),
        pytest.param({"self": LIST, "next": None}, id="next-null"),
        pytest.param({"self": LIST, "next": ""}, id="next-empty"),
        pytest.param(None, id="no-links-at-all"),
    ],
)
@responses.activate
def test_a_missing_or_null_next_ends_the_harvest(links: dict | None) -> None:
    page = _page("courses_page2.json")
    page["links"] = links
    _get(LIST, json=page)
    [only] = list(_connector().harvest(None))
    assert only.last and only.cursor is None


@responses.activate
def test_a_json_api_link_object_and_an_http_next_behind_a_tls_proxy_are_followed() -> None:
    first = _page("courses.json")
    first["links"]["next"] = {"href": "http://mooc.vnu.edu.vn:8080/bridges/moochub/courses?page=3"}
    _get(LIST, json=first)
    _get(f"{LIST}?page=3", json=_page("courses_page3.json"))
    pages = list(_connector().harvest(None))
    assert [p.url for p in pages] == [LIST, f"{LIST}?page=3"]


@pytest.mark.parametrize(
    ("version", "accept"),
    [
        pytest.param("3", ACCEPT_V3, id="v3-default"),
        pytest.param("2.3", "application/vnd.api+json; moochub-version=2.3", id="v2.3"),
    ],
)
@responses.activate
def test_the_version_option_sets_the_accept_header(version: str, accept: str) -> None:
    _get(LIST, json=_page("courses_page3.json"))
    list(_connector(version=version).harvest(None))
    assert responses.calls[0].request.headers["Accept"] == accept


@responses.activate
def test_the_path_option_reaches_moodle_local_ildmeta() -> None:
    base = "https://elearning.tsinghua.edu.cn"
    url = f"{base}/local/ildmeta/get_moochub_courses.php"
    _get(url, json=_page("get_moochub_courses.json"))
    [page] = list(_connector(base, path="/local/ildmeta/get_moochub_courses.php").harvest(None))
    assert page.url == url
    assert [c.title for c in page.items] == ["数据结构与算法"]


@responses.activate
def test_406_unsupported_version_fails_the_feed_naming_the_version() -> None:
    _get(
        LIST,
        json={"title": "Unsupported requested version", "status": 406},
        status=406,
        content_type="application/problem+json",
    )
    with pytest.raises(HttpStatusError) as info:
        list(_connector(version="2.3").harvest(None))
    message = str(info.value)
    assert "vnu-moochub" in message and LIST in message
    assert "does not serve MOOChub version 2.3" in message
    assert '"Unsupported requested version"' in message
    assert info.value.status == 406


@responses.activate
def test_a_sunset_header_warns_once_per_harvest(caplog: pytest.LogCaptureFixture) -> None:
    _serve(
        "courses.json",
        "courses_page2.json",
        "courses_page3.json",
        headers={"Sunset": "Sat, 31 Jan 2026 23:59:59 GMT"},
    )
    with caplog.at_level(logging.WARNING, logger="connectors.moochub"):
        assert len(list(_connector().harvest(None))) == 3
    warnings = [r.getMessage() for r in caplog.records if "Sunset" in r.getMessage()]
    assert warnings == [
        "feed vnu-moochub: the server will stop serving MOOChub version 3 on "
        "Sat, 31 Jan 2026 23:59:59 GMT (Sunset header); move options.version to a newer one"
    ]


@responses.activate
def test_next_link_to_another_host_is_refused() -> None:
    page = _page("courses.json")
    page["links"]["next"] = "https://evil.example.com/bridges/moochub/courses?page=2"
    _get(LIST, json=page)
    with pytest.raises(PaginationError, match=r"another host \(evil.example.com\)"):
        list(_connector().harvest(None))


@responses.activate
def test_a_repeated_next_link_is_refused_instead_of_looping() -> None:
    second = _page("courses_page2.json")
    second["links"]["next"] = LIST  # back to page 1
    _serve("courses.json")
    _get(f"{LIST}?page=2", json=second)
    with pytest.raises(PaginationError, match=r"links\.next repeats"):
        list(_connector(max_pages=50).harvest(None))
    assert len(responses.calls) == 2


@responses.activate
def test_max_pages_stops_an_endless_feed() -> None:
    _serve("courses.json", "courses_page2.json", "courses_page3.json")
    harvest = _connector(max_pages=2).harvest(None)
    assert [p.number for p in (next(harvest), next(harvest))] == [1, 2]
    with pytest.raises(PaginationError, match="max_pages"):
        next(harvest)


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        pytest.param(
            b"<!DOCTYPE html><html><head><title>B\xe1\xba\xa3o tr\xc3\xac</title></head></html>",
            "text/html",
            "HTML page",
            id="maintenance-page",
        ),
        pytest.param(b'{"data": [', "application/vnd.api+json", "invalid JSON", id="truncated"),
        pytest.param(b"[1, 2]", "application/json", "not a MOOChub course list", id="list"),
        pytest.param(b'{"errors": []}', "application/json", "not a MOOChub", id="no-data"),
        pytest.param(b'{"data": "x"}', "application/json", "not a list", id="data-string"),
    ],
)
@responses.activate
def test_a_page_that_is_not_a_moochub_list_fails_the_run_with_its_url(
    body: bytes, content_type: str, message: str
) -> None:
    _get(LIST, body=body, content_type=content_type)
    with pytest.raises(BadResponseError, match=message) as info:
        list(_connector().harvest(None))
    assert LIST in str(info.value) and "vnu-moochub" in str(info.value)
