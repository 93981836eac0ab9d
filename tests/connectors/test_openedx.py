"""The Open edX Courses API connector: mapping as pure functions, paging over mocked HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import responses

from connectors.base import FeedContext
from connectors.errors import BadResponseError, PaginationError, RecordError
from connectors.http import HttpSettings
from connectors.openedx import (
    OpenEdxConnector,
    OpenEdxOptions,
    course_key,
    map_runs,
    unescape_name,
)
from connectors.records import CourseRecord, Rejected
from tests.conftest import fixture_json

BASE = "https://courses.vnu.edu.vn"
LIST = f"{BASE}/api/courses/v1/courses/"


def _results(name: str) -> list[dict]:
    return fixture_json("openedx", name)["results"]


def _courses(items: list) -> dict[str, CourseRecord]:
    return {i.key: i for i in items if isinstance(i, CourseRecord)}


@pytest.mark.parametrize(
    ("run_id", "expected"),
    [
        pytest.param("course-v1:VNUx+INT1001+2025_T1", "VNUx+INT1001", id="course-v1"),
        pytest.param("VNUx/INT1001/2013_Fall", "VNUx+INT1001", id="old-slash-style"),
        pytest.param("ccx-v1:MITx+6.00.1x+2T2024+ccx@12", "MITx+6.00.1x", id="ccx"),
    ],
)
def test_course_key_groups_runs_under_org_and_number(run_id: str, expected: str) -> None:
    assert course_key(run_id) == expected


@pytest.mark.parametrize("bad", ["", "course-v1:VNUx", "just-a-string", "course-v1:+INT+R"])
def test_course_key_refuses_what_is_not_a_run_key(bad: str) -> None:
    with pytest.raises(RecordError):
        course_key(bad)


def test_name_unescapes_only_angle_brackets_like_the_lms_escapes_them() -> None:
    assert unescape_name("Lập trình C++ &lt;Nâng cao&gt;") == "Lập trình C++ <Nâng cao>"
    # The LMS leaves & raw, so a literal "&amp;" typed by an author stays as typed.
    assert unescape_name("Data &amp; AI &lt;1&gt;") == "Data &amp; AI <1>"


def test_runs_of_one_course_are_grouped_and_the_newest_run_supplies_course_fields() -> None:
    items = map_runs(_results("courses_page1.json"), base_url=BASE)
    courses = _courses(items)
    assert list(courses) == ["UETx+INT1001", "UETx+INT2215"]
    ai = courses["UETx+INT1001"]
    assert [r.key for r in ai.runs] == [
        "course-v1:UETx+INT1001+2025_T1",
        "course-v1:UETx+INT1001+2025_T2",
    ]
    assert ai.title == "Nhập môn Trí tuệ nhân tạo"
    assert ai.short_description == "Tìm kiếm, biểu diễn tri thức, học máy cơ bản."  # from 2025_T2
    assert ai.precedence.endswith("course-v1:UETx+INT1001+2025_T2")
    assert ai.language == "vi"
    assert ai.organization == "UETx"
    assert ai.url == f"{BASE}/courses/course-v1:UETx+INT1001+2025_T2/about"
    first = ai.runs[0]
    assert first.start == datetime(2025, 2, 17, 1, 0, tzinfo=UTC)
    assert first.enrollment_end == datetime(2025, 2, 28, 16, 59, tzinfo=UTC)
    assert first.pacing == "instructor"


def test_relative_course_image_is_made_absolute_against_the_platform() -> None:
    ai = _courses(map_runs(_results("courses_page1.json"), base_url=BASE))["UETx+INT1001"]
    assert ai.image_url == (
        f"{BASE}/asset-v1:UETx+INT1001+2025_T2+type@asset+block@course_image.jpg"
    )


def test_escaped_name_effort_and_null_description() -> None:
    cpp = _courses(map_runs(_results("courses_page1.json"), base_url=BASE))["UETx+INT2215"]
    assert cpp.title == "Lập trình C++ <Nâng cao>"
    assert cpp.effort == "3–5 giờ mỗi tuần"  # normalised, in the course's language (vi)
    assert cpp.short_description is None
    assert cpp.pacing == "self"


def test_start_type_empty_means_no_start_date_not_2030() -> None:
    edu = _courses(map_runs(_results("courses_page2.json"), base_url=BASE))["USSHx+EDU1001"]
    assert edu.runs[0].start is None
    assert edu.title == "Giáo dục học đại cương"


@pytest.mark.parametrize(
    ("options", "expected_runs"),
    [
        pytest.param({}, 0, id="hidden-left-out-by-default"),
        pytest.param({"include_hidden": True}, 1, id="hidden-kept-on-request"),
    ],
)
def test_hidden_runs(options: dict, expected_runs: int) -> None:
    items = map_runs(_results("courses_page2.json"), base_url=BASE, **options)
    chinese = _courses(items).get("ULISx+CHI1001")
    assert (len(chinese.runs) if chinese else 0) == expected_runs


@pytest.mark.parametrize(
    ("options", "present"),
    [
        pytest.param({}, False, id="invitation-only-left-out-by-default"),
        pytest.param({"include_invitation_only": True}, True, id="invitation-only-kept"),
    ],
)
def test_invitation_only_runs(options: dict, present: bool) -> None:
    items = map_runs(_results("courses_page3.json"), base_url=BASE, **options)
    assert ("VJUx+ENV5001" in _courses(items)) is present


def test_language_guess_falls_back_to_the_feed_default_for_latin_titles() -> None:
    items = map_runs(
        _results("courses_page3.json"),
        base_url=BASE,
        include_invitation_only=True,
        default_language="en",
    )
    assert _courses(items)["VJUx+ENV5001"].language == "en"


def test_malformed_runs_are_rejected_with_reasons_and_the_good_ones_kept() -> None:
    items = map_runs(_results("courses_page2_malformed.json"), base_url=BASE)
    rejected = [i for i in items if isinstance(i, Rejected)]
    reasons = {r.key: r.reason for r in rejected}
    assert reasons["course-v1:UETx+INT2215+2026_T1"] == "start: unparseable date 'TBA'"
    assert reasons[None] == "id: missing course run key"
    assert reasons["USSHx+HIS1001"] == "name: empty course title"
    assert all(r.raw is not None for r in rejected)
    assert set(_courses(items)) == {"USSHx+EDU1001"}


def _connector(**options: object) -> OpenEdxConnector:
    feed = FeedContext(feed_id="vnu", base_url=BASE, http=HttpSettings(max_retries=0))
    return OpenEdxConnector(feed, OpenEdxOptions(page_size=3, **options))


def _page_url(n: int) -> str:
    return LIST + ("?page_size=3" if n == 1 else f"?page={n}&page_size=3")


@responses.activate
def test_harvest_follows_pagination_next_and_reports_cursor_and_declared_total() -> None:
    for n in (1, 2, 3):
        responses.get(_page_url(n), json=fixture_json("openedx", f"courses_page{n}.json"))
    pages = list(_connector().harvest(None))
    assert [p.number for p in pages] == [1, 2, 3]
    assert [p.last for p in pages] == [False, False, True]
    assert pages[0].cursor == {"next": _page_url(2), "page": 2}
    assert pages[-1].cursor is None
    assert {p.declared_total for p in pages} == {8}
    assert responses.calls[0].request.url == _page_url(1)


@responses.activate
def test_org_filter_is_sent_to_the_api() -> None:
    responses.get(LIST, json={"results": [], "pagination": {"next": None, "count": 0}})
    list(_connector(org="UETx").harvest(None))
    assert responses.calls[0].request.url == f"{LIST}?page_size=3&org=UETx"


@responses.activate
def test_next_link_to_another_host_is_refused() -> None:
    page = fixture_json("openedx", "courses_page1.json")
    page["pagination"]["next"] = "https://evil.example.com/api/courses/v1/courses/?page=2"
    responses.get(_page_url(1), json=page)
    with pytest.raises(PaginationError, match="another host"):
        list(_connector().harvest(None))


@responses.activate
def test_next_link_that_repeats_is_refused_instead_of_looping() -> None:
    page = fixture_json("openedx", "courses_page1.json")
    page["pagination"]["next"] = _page_url(1)
    responses.get(_page_url(1), json=page)
    with pytest.raises(PaginationError, match="repeats"):
        list(_connector().harvest(None))
    assert len(responses.calls) == 1


@responses.activate
def test_next_link_built_behind_a_tls_proxy_keeps_the_configured_origin() -> None:
    page = fixture_json("openedx", "courses_page3.json")
    first = fixture_json("openedx", "courses_page1.json")
    first["pagination"]["next"] = "http://courses.vnu.edu.vn:8000/api/courses/v1/courses/?page=2"
    responses.get(_page_url(1), json=first)
    responses.get(f"{LIST}?page=2", json=page)
    pages = list(_connector().harvest(None))
    assert responses.calls[1].request.url == f"{LIST}?page=2"
    assert pages[-1].last


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        pytest.param(b"[1, 2, 3]", "application/json", "not an Open edX course list", id="list"),
        pytest.param(b'{"results": []}', "application/json", "no 'pagination'", id="no-pagination"),
        pytest.param(b'{"results": [', "application/json", "invalid JSON", id="truncated"),
        pytest.param(
            b"<!DOCTYPE html><html><head><title>Sign in</title></head></html>",
            "text/html",
            "HTML page",
            id="login-page",
        ),
    ],
)
@responses.activate
def test_responses_that_are_not_a_course_list_fail_clearly(
    body: bytes, content_type: str, message: str
) -> None:
    responses.get(_page_url(1), body=body, content_type=content_type)
    with pytest.raises(BadResponseError, match=message) as info:
        list(_connector().harvest(None))
    assert _page_url(1).split("?")[0] in str(info.value)
