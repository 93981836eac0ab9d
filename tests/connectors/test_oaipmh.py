"""The OAI-PMH connector: record mapping as pure functions, harvesting over mocked HTTP."""

from __future__ import annotations

import gzip
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
import responses
from pydantic import TypeAdapter, ValidationError

from connectors.base import FeedContext
from connectors.errors import BadResponseError, PaginationError
from connectors.http import HttpClient, HttpSettings
from connectors.normalize import language_tag, summary
from connectors.oaipmh import OaiPmhConnector, OaiPmhOptions, parse_list_records
from connectors.oaipmh_text import html_description, iso_duration
from connectors.records import CourseRecord, Page, Rejected, Withdrawn

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BASE = "https://oai.vnu.edu.vn/oai/request"
FIRST = f"{BASE}?verb=ListRecords&metadataPrefix=oai_dc&set=mooc"
PAGE2 = f"{BASE}?verb=ListRecords&resumptionToken=mooc%2Foai_dc%7C100%2B2"
PAGE3 = f"{BASE}?verb=ListRecords&resumptionToken=mooc%2Foai_dc%7C100%2B3"
IDENTIFY = f"{BASE}?verb=Identify"
SINCE = f"{FIRST}&from=2025-03-02T10%3A15%3A00Z"
SENTINEL_TEXT = "TOP-SECRET-SENTINEL-c0ffee"


def _body(name: str) -> bytes:
    return (FIXTURES / "oaipmh" / name).read_bytes()


def _items(name: str, **kwargs: object) -> list:
    return list(parse_list_records(_body(name), **kwargs).items)


def _courses(items: list) -> dict[str, CourseRecord]:
    return {i.key: i for i in items if isinstance(i, CourseRecord)}


def _connector(**options: object) -> OaiPmhConnector:
    feed = FeedContext(feed_id="vnu-oai", base_url=BASE, http=HttpSettings(max_retries=0))
    return OaiPmhConnector(feed, OaiPmhOptions(**{"set": "mooc", **options}))


def _xml(url: str, name: str, **kwargs: object) -> None:
    responses.get(url, body=_body(name), content_type="text/xml; charset=utf-8", **kwargs)


def _urls() -> list[str]:
    return [call.request.url for call in responses.calls]


# -- mapping (pure) --------------------------------------------------------------------------


def test_oai_dc_records_map_to_courses_with_their_dates_urls_and_languages() -> None:
    response = parse_list_records(_body("ListRecords_page1.xml"))
    assert response.response_date == "2025-03-02T10:15:00Z"
    assert response.token == "mooc/oai_dc|100+2"
    assert response.complete_list_size == 7
    assert response.errors == ()
    ai, edu, gone = response.items
    assert ai == CourseRecord(
        key="oai:oai.vnu.edu.vn:mooc/INT1001",
        title="Nhập môn Trí tuệ nhân tạo",  # the first dc:title when no language is preferred
        description=(
            "<p>Tìm kiếm, biểu diễn tri thức và <b>học máy</b> cơ bản &amp; ứng dụng.</p>"
        ),
        short_description="Tìm kiếm, biểu diễn tri thức và học máy cơ bản & ứng dụng.",
        language="vi",  # "vie"
        organization="Trường Đại học Công nghệ, ĐHQGHN",
        subjects=("Trí tuệ nhân tạo", "Học máy"),
        url="https://courses.vnu.edu.vn/courses/INT1001/about",  # the urn: identifier skipped
        modified=datetime(2025, 2, 20, tzinfo=UTC),  # dc:date, a full date
    )
    assert ai.runs == ()  # a repository record describes a course, not its runs
    assert 'status="deleted"' not in ai.raw and "<dc:title" in ai.raw
    assert gone == Withdrawn("oai:oai.vnu.edu.vn:mooc/HIS2002")
    # dc:date "2024" is not a full date: the header datestamp says when it changed.
    assert edu.modified == datetime(2025, 2, 25, 9, 12, 40, tzinfo=UTC)
    assert edu.language == "vi-VN"


def test_double_escaped_html_description_is_unescaped_once_and_keeps_its_markup() -> None:
    edu = _courses(_items("ListRecords_page1.xml"))["oai:oai.vnu.edu.vn:mooc/EDU1001"]
    assert edu.description == "<p>Khái niệm cơ bản của <em>giáo dục học</em>.</p>"
    assert edu.short_description == "Khái niệm cơ bản của giáo dục học."


@pytest.mark.parametrize(
    ("language", "title", "description"),
    [
        pytest.param(None, "基础汉语 1", "面向越南学生的汉语入门课程：拼音、声调与日常会话。",
                     id="first"),
        pytest.param("vi", "Tiếng Trung cơ sở 1", "Khóa học tiếng Trung nhập môn: phiên âm, "
                     "thanh điệu và hội thoại hằng ngày.", id="vi"),
        pytest.param("vi-VN", "Tiếng Trung cơ sở 1", None, id="primary-subtag-matches"),
        pytest.param("en", "基础汉语 1", None, id="no-match-falls-back-to-first"),
    ],
)  # fmt: skip
def test_title_and_description_prefer_the_configured_language(
    language: str | None, title: str, description: str | None
) -> None:
    items = _items("ListRecords_page2.xml", language=language)
    chinese = _courses(items)["oai:oai.vnu.edu.vn:mooc/CHI1001"]
    assert chinese.title == title
    if description:
        assert chinese.description == description
    assert chinese.language == "zh"  # dc:language "chi"


def test_the_same_record_under_two_sets_is_one_course() -> None:
    items = _items("ListRecords_page2.xml")
    assert [i.key for i in items] == [
        "oai:oai.vnu.edu.vn:mooc/CHI1001",
        "oai:oai.vnu.edu.vn:mooc/ENV5001",
    ]
    assert _courses(items)["oai:oai.vnu.edu.vn:mooc/ENV5001"].language == "en"  # "eng"


def test_day_only_datestamp_is_midnight_utc() -> None:
    (algebra,) = _items("ListRecords_page3.xml")
    assert algebra.modified == datetime(2025, 3, 1, tzinfo=UTC)


def test_malformed_records_are_rejected_with_reasons_and_the_rest_land() -> None:
    items = _items("ListRecords_malformed.xml")
    rejected = [(r.key, r.reason) for r in items if isinstance(r, Rejected)]
    assert rejected == [
        (None, "header/identifier: missing"),
        ("oai:oai.vnu.edu.vn:mooc/NOTITLE", "dc:title: missing"),
        ("oai:oai.vnu.edu.vn:mooc/BADDATE", "header/datestamp: unparseable date '21/02/2025'"),
        ("oai:oai.vnu.edu.vn:mooc/NOMETA", "metadata: missing on a record that is not deleted"),
        (
            "oai:oai.vnu.edu.vn:mooc/MARC",
            "metadata: unsupported format {http://www.loc.gov/MARC21/slim}record",
        ),
    ]
    assert all(isinstance(r.raw, str) and "<header" in r.raw for r in items)
    (philosophy,) = _courses(items).values()
    assert philosophy.title == "Triết học Mác – Lênin"
    # The stray "(?s)" between elements is mixed-content noise: it lands in no field.
    assert philosophy.organization == "Trường Đại học Khoa học Xã hội và Nhân văn"
    assert "(?s)" not in repr(philosophy)
    assert philosophy.url is None  # javascript: and protocol-relative identifiers are not links
    assert philosophy.language == "vi"  # "und" says nothing; "Tiếng Việt" does
    # "2025-02-30" and "Spring 2025" are not dates to trust: the datestamp is used.
    assert philosophy.modified == datetime(2025, 2, 21, 3, tzinfo=UTC)


def test_ieee_lom_records_map_title_vcard_org_cost_and_learning_time() -> None:
    items = _items("ListRecords_lom.xml")
    ai, ds = _courses(items).values()
    assert ai == CourseRecord(
        key="oai:oai.vnu.edu.vn:mooc/INT3401",
        title="Trí tuệ nhân tạo nâng cao",
        description="Tác tử thông minh, suy diễn xác suất và học tăng cường.",
        short_description="Tác tử thông minh, suy diễn xác suất và học tăng cường.",
        language="vi",
        organization="Trường Đại học Công nghệ, ĐHQGHN",  # the publisher's ORG, "\," unescaped
        subjects=("trí tuệ nhân tạo", "học tăng cường"),
        effort="20 hours 30 minutes",
        is_free=False,  # rights/cost "yes"
        url="https://courses.vnu.edu.vn/courses/INT3401/about",
        modified=datetime(2025, 2, 14, 8, 30, 12, tzinfo=UTC),
    )
    # Prefixed LOM elements, an ORG with parameters, an http location and no cost statement.
    assert (ds.title, ds.language, ds.organization) == ("数据结构（上）", "zh-CN", "清华大学")
    assert (ds.effort, ds.is_free, ds.url) == (
        "1 hour",
        None,
        "http://www.xuetangx.com/course/THU00001",
    )
    assert items[-1] == Rejected("general/title: missing", key="oai:oai.vnu.edu.vn:mooc/NOTITLE")


def test_lom_title_follows_the_configured_language() -> None:
    ai = _courses(_items("ListRecords_lom.xml", language="zh"))["oai:oai.vnu.edu.vn:mooc/INT3401"]
    assert ai.title == "高级人工智能"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("vie", "vi"), ("zho", "zh"), ("chi", "zh"), ("eng", "en"), ("vi", "vi"),
        ("zh_hans_cn", "zh-Hans-CN"), ("en-us", "en-US"), ("English", "en"), ("Tiếng Việt", "vi"),
        ("und", None), ("12", None), ("", None), (None, None), ("not a language", None),
    ],
)  # fmt: skip
def test_languages_are_normalised_to_bcp47(value: str | None, expected: str | None) -> None:
    assert language_tag(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("<p>a &amp; b</p>", "<p>a &amp; b</p>", id="html-kept"),
        pytest.param("&lt;p&gt;a&lt;/p&gt;", "<p>a</p>", id="escaped-twice"),
        pytest.param("&amp;lt;p&amp;gt;a", "&amp;lt;p&amp;gt;a", id="thrice-only-once-undone"),
        pytest.param("if a &lt; b then", "if a &lt; b then", id="plain-text-with-an-entity"),
        pytest.param("  ", None, id="blank"),
    ],
)  # fmt: skip
def test_html_description(text: str, expected: str | None) -> None:
    assert html_description(text) == expected


def test_the_short_description_is_the_text_cut_at_a_word_near_300_characters() -> None:
    html = "<p>" + "Mô tả " * 100 + "</p>"
    short = summary(html)
    assert len(short) <= 301 and short.startswith("Mô tả Mô tả") and "<" not in short
    assert short.endswith("tả…")
    assert summary("<p>A</p><p>B<br/>C</p>") == "A B C"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("PT48H", "48 hours"), ("P1DT2H", "1 day 2 hours"), ("P2W", "2 weeks"),
     ("PT1M", "1 minute"), ("3 giờ mỗi tuần", "3 giờ mỗi tuần"), ("P", None), (None, None)],
)  # fmt: skip
def test_iso_durations_become_readable_effort(value: str | None, expected: str | None) -> None:
    assert iso_duration(value) == expected


def test_options_are_validated() -> None:
    adapter = TypeAdapter(OaiPmhOptions)
    assert adapter.validate_python({}) == OaiPmhOptions()
    for bad in ({"max_pages": 0}, {"metadata_prefix": ""}):
        with pytest.raises(ValidationError):
            adapter.validate_python(bad)


# -- harvesting over HTTP --------------------------------------------------------------------


def _full_harvest_mocks() -> None:
    _xml(FIRST, "ListRecords_page1.xml")
    _xml(PAGE2, "ListRecords_page2.xml")
    _xml(PAGE3, "ListRecords_page3.xml")


@responses.activate
def test_full_harvest_follows_url_encoded_tokens_and_records_the_response_date() -> None:
    _full_harvest_mocks()
    pages = list(_connector().harvest(None))
    # The token is an exclusive argument: only verb and the URL-encoded token are sent.
    assert _urls() == [FIRST, PAGE2, PAGE3]  # no Identify: a full harvest needs no granularity
    assert [(p.number, p.last, p.incremental, p.declared_total) for p in pages] == [
        (1, False, False, 7),
        (2, False, False, 7),
        (3, True, False, 7),
    ]
    assert pages[0].cursor == {
        "token": "mooc/oai_dc|100+2",
        "from": None,
        "next_from": "2025-03-02T10:15:00Z",
        "incremental": False,
        "page": 2,
    }
    # The next run asks for changes since the server's clock at this harvest's first response.
    assert pages[-1].cursor == {"from": "2025-03-02T10:15:00Z"}
    assert [len(p.items) for p in pages] == [3, 2, 1]


@responses.activate
def test_resuming_a_mid_harvest_cursor_fetches_exactly_the_remaining_pages() -> None:
    _full_harvest_mocks()
    cursor = next(iter(_connector().harvest(None))).cursor
    responses.calls.reset()
    resumed = list(_connector().harvest(cursor))
    assert _urls() == [PAGE2, PAGE3]
    assert [p.number for p in resumed] == [2, 3]
    assert resumed[-1].cursor == {"from": "2025-03-02T10:15:00Z"}  # carried, not re-read


@pytest.mark.parametrize(
    ("identify", "from_argument"),
    [
        pytest.param("Identify.xml", "2025-03-02T10%3A15%3A00Z", id="seconds-granularity"),
        pytest.param("Identify_day.xml", "2025-03-02", id="day-granularity"),
    ],
)
@responses.activate
def test_incremental_harvest_asks_from_in_the_granularity_identify_states(
    identify: str, from_argument: str
) -> None:
    _xml(IDENTIFY, identify)
    _xml(f"{FIRST}&from={from_argument}", "ListRecords_from.xml")
    (page,) = _connector().harvest({"from": "2025-03-02T10:15:00Z"})
    assert _urls() == [IDENTIFY, f"{FIRST}&from={from_argument}"]  # one Identify per harvest
    assert page.incremental and page.last
    assert page.items == (
        page.items[0],
        Withdrawn("oai:oai.vnu.edu.vn:mooc/ENV5001"),
    )
    assert page.items[0].title == "Nhập môn Trí tuệ nhân tạo (cập nhật 2025)"
    assert page.cursor == {"from": "2025-03-09T10:15:00Z"}


@responses.activate
def test_incremental_false_reads_everything_but_still_records_the_response_date() -> None:
    _full_harvest_mocks()
    pages = list(_connector(incremental=False).harvest({"from": "2025-01-01T00:00:00Z"}))
    assert _urls() == [FIRST, PAGE2, PAGE3]
    assert not any(p.incremental for p in pages)
    assert pages[-1].cursor == {"from": "2025-03-02T10:15:00Z"}


@responses.activate
def test_no_records_match_is_an_empty_harvest_not_an_error() -> None:
    _xml(IDENTIFY, "Identify.xml")
    _xml(SINCE, "ListRecords_noRecordsMatch.xml")
    pages = list(_connector().harvest({"from": "2025-03-02T10:15:00Z"}))
    assert pages == [
        Page(
            items=(),
            cursor={"from": "2025-03-09T10:15:00Z"},
            url=SINCE,
            number=1,
            last=True,
            incremental=True,
        )
    ]


@responses.activate
def test_expired_token_restarts_the_harvest_from_the_last_from_once() -> None:
    cursor = {
        "token": "mooc/oai_dc|100+2",
        "from": "2025-03-02T10:15:00Z",
        "next_from": "2025-03-09T10:15:00Z",
        "incremental": True,
        "page": 2,
    }
    _xml(PAGE2, "badResumptionToken.xml")
    _xml(SINCE, "ListRecords_from.xml")
    pages = list(_connector().harvest(cursor))
    assert _urls() == [PAGE2, SINCE]  # the `from` is already formatted: no Identify needed
    # The restarted pass is the listing from its first page: numbered 1, which tells the sync
    # the harvest started over (it was numbered 2, as if it continued the expired one).
    assert [(p.number, p.incremental, p.last) for p in pages] == [(1, True, True)]
    assert pages[-1].cursor == {"from": "2025-03-09T10:15:00Z"}


@responses.activate
def test_a_second_bad_resumption_token_fails_the_feed() -> None:
    _xml(FIRST, "ListRecords_page1.xml")
    _xml(PAGE2, "badResumptionToken.xml")
    with pytest.raises(BadResponseError, match="badResumptionToken: The value of the") as info:
        list(_connector().harvest({"token": "mooc/oai_dc|100+2", "from": None, "page": 2}))
    assert _urls() == [PAGE2, FIRST, PAGE2]
    assert info.value.url == PAGE2


@responses.activate
def test_other_oai_errors_fail_the_feed_with_their_code_and_text() -> None:
    url = f"{BASE}?verb=ListRecords&metadataPrefix=lom&set=mooc"
    _xml(url, "cannotDisseminateFormat.xml")
    with pytest.raises(BadResponseError) as info:
        list(_connector(metadata_prefix="lom").harvest(None))
    message = str(info.value)
    assert "feed vnu-oai" in message and BASE in message
    assert (
        "cannotDisseminateFormat: lom is not supported by the item or by the repository." in message
    )
    assert "options.metadata_prefix" in message


@responses.activate
def test_lom_harvest_end_to_end() -> None:
    url = f"{BASE}?verb=ListRecords&metadataPrefix=lom"
    _xml(url, "ListRecords_lom.xml")
    feed = FeedContext(feed_id="vnu-oai", base_url=BASE, http=HttpSettings(max_retries=0))
    (page,) = OaiPmhConnector(feed, OaiPmhOptions(metadata_prefix="lom")).harvest(None)
    assert [type(i).__name__ for i in page.items] == ["CourseRecord", "CourseRecord", "Rejected"]
    assert page.cursor == {"from": "2025-03-02T10:30:00Z"}


@responses.activate
def test_a_repeated_resumption_token_is_refused_instead_of_looping() -> None:
    _xml(FIRST, "ListRecords_page1.xml")
    _xml(PAGE2, "ListRecords_page1.xml")  # hands out the token that led here
    harvest = _connector().harvest(None)
    assert next(harvest).number == 1
    with pytest.raises(PaginationError, match="already used"):
        next(harvest)
    assert _urls() == [FIRST, PAGE2]


@responses.activate
def test_max_pages_stops_the_harvest() -> None:
    _full_harvest_mocks()
    with pytest.raises(PaginationError, match=r"more than 2 pages \(options.max_pages\)"):
        list(_connector(max_pages=2).harvest(None))
    assert _urls() == [FIRST, PAGE2]


@responses.activate
def test_gzip_compressed_responses_work() -> None:
    responses.get(
        FIRST,
        body=gzip.compress(_body("ListRecords_page3.xml")),
        content_type="text/xml",
        headers={"Content-Encoding": "gzip"},
    )
    (page,) = _connector().harvest(None)
    assert page.items[0].title == "Đại số tuyến tính"


@pytest.mark.parametrize(
    ("name", "content_type", "message"),
    [
        pytest.param("error_page.html", "text/html", "answered an HTML page", id="html"),
        pytest.param("error_page.html", "text/xml", "answered an HTML page", id="html-as-xml"),
        pytest.param("error.json", "application/json", "answered JSON", id="json"),
        pytest.param("Identify.xml", "text/xml", "neither <ListRecords> nor <error>",
                     id="wrong-verb"),
    ],
)  # fmt: skip
@responses.activate
def test_a_page_that_is_not_oai_pmh_xml_fails_naming_the_url(
    name: str, content_type: str, message: str
) -> None:
    responses.get(FIRST, body=_body(name), content_type=content_type)
    with pytest.raises(BadResponseError, match=message) as info:
        list(_connector().harvest(None))
    assert BASE in str(info.value) and "feed vnu-oai" in str(info.value)


@responses.activate
def test_xml_that_is_not_oai_pmh_fails() -> None:
    responses.get(FIRST, body=b'<rss version="2.0"><channel/></rss>', content_type="text/xml")
    with pytest.raises(BadResponseError, match=r"document element is rss, expected \{http"):
        list(_connector().harvest(None))


@responses.activate
def test_a_broken_identify_fails_naming_its_url() -> None:
    responses.get(IDENTIFY, body=_body("error_page.html"), content_type="text/html")
    with pytest.raises(BadResponseError, match="answered an HTML page") as info:
        list(_connector().harvest({"from": "2025-03-02T10:15:00Z"}))
    assert info.value.url == IDENTIFY


@pytest.mark.parametrize(
    ("attack", "message"),
    [
        pytest.param("xxe_local_file.xml", "DTD not allowed", id="xxe"),
        pytest.param("billion_laughs.xml", "DTD not allowed", id="billion-laughs"),
        pytest.param("quadratic_blowup.xml", "DTD not allowed", id="quadratic"),
        pytest.param("plain_doctype.xml", "DTD not allowed", id="doctype"),
        pytest.param("doctype_utf16.xml", "DTD not allowed", id="doctype-utf16"),
        pytest.param("billion_laughs_utf16.xml", "Maximum entity amplification", id="laughs-utf16"),
        pytest.param("gbk_declared_utf8.xml", "Invalid bytes in character encoding .*declared "
                     "encoding", id="gbk-labelled-utf8"),
        pytest.param("control_char.xml", "PCDATA invalid Char value 11", id="control-char"),
    ],
)  # fmt: skip
@responses.activate
def test_hostile_pages_fail_the_feed_clearly_and_leak_nothing(
    attack: str, message: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SENTINEL_TEXT, encoding="utf-8")
    body = (FIXTURES / "xml_attacks" / attack).read_bytes()
    responses.get(FIRST, body=body.replace(b"@SENTINEL_URL@", secret.as_uri().encode()))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(BadResponseError, match=message) as info:
        list(_connector().harvest(None))
    assert f"feed vnu-oai: {FIRST}" in str(info.value)
    assert info.value.url == FIRST
    assert SENTINEL_TEXT not in str(info.value) and SENTINEL_TEXT not in caplog.text


@pytest.mark.parametrize("cut", [60, 500, 1500, 2500, 3000, -40, -12])
@responses.activate
def test_a_truncated_page_fails_and_none_of_its_records_are_emitted(cut: int) -> None:
    _xml(FIRST, "ListRecords_page1.xml")
    responses.get(PAGE2, body=_body("ListRecords_page2.xml")[:cut], content_type="text/xml")
    pages = []
    with pytest.raises(BadResponseError, match="is not a valid OAI-PMH response") as info:
        pages.extend(_connector().harvest(None))
    assert [p.number for p in pages] == [1]  # page 2 was never yielded, not even in part
    assert info.value.url == PAGE2


@responses.activate
def test_a_hierarchical_set_is_sent_url_encoded() -> None:
    url = f"{BASE}?verb=ListRecords&metadataPrefix=oai_dc&set=mooc%3Auet"
    _xml(url, "ListRecords_page3.xml")
    list(_connector(set="mooc:uet").harvest(None))
    assert _urls() == [url]


@responses.activate
def test_several_oai_errors_are_all_reported() -> None:
    body = (
        b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        b"<responseDate>2025-03-02T12:00:00Z</responseDate><request>x</request>"
        b'<error code="badArgument">Illegal argument: until</error>'
        b'<error code="cannotDisseminateFormat"/></OAI-PMH>'
    )
    responses.get(FIRST, body=body, content_type="text/xml")
    with pytest.raises(BadResponseError) as info:
        list(_connector().harvest(None))
    assert "OAI-PMH error badArgument: Illegal argument: until; cannotDisseminateFormat" in str(
        info.value
    )


@responses.activate
def test_503_with_retry_after_is_honoured_then_the_page_is_read() -> None:
    responses.get(FIRST, status=503, headers={"Retry-After": "2"})
    _xml(FIRST, "ListRecords_page3.xml")
    waits: list[float] = []
    client = HttpClient(HttpSettings(max_retries=1), feed_id="vnu-oai", sleep=waits.append)
    feed = FeedContext(feed_id="vnu-oai", base_url=BASE)
    connector = OaiPmhConnector(feed, OaiPmhOptions(set="mooc"), http=client)
    (page,) = connector.harvest(None)
    assert waits == [2.0] and len(responses.calls) == 2
    assert page.items[0].title == "Đại số tuyến tính"


@responses.activate
def test_identify_without_granularity_falls_back_to_days_which_every_repository_takes() -> None:
    identify = _body("Identify.xml").replace(
        b"<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>", b""
    )
    responses.get(IDENTIFY, body=identify, content_type="text/xml")
    _xml(f"{FIRST}&from=2025-03-02", "ListRecords_from.xml")
    (page,) = _connector().harvest({"from": "2025-03-02T10:15:00Z"})
    assert page.incremental


@responses.activate
def test_an_unreadable_stored_from_means_a_full_harvest(caplog: pytest.LogCaptureFixture) -> None:
    _full_harvest_mocks()
    pages = list(_connector().harvest({"from": "yesterday"}))
    assert _urls() == [FIRST, PAGE2, PAGE3]
    assert not pages[0].incremental
    assert "unreadable from='yesterday'" in caplog.text


def test_xml_lang_in_iso_639_2_matches_the_preferred_language() -> None:
    body = _body("ListRecords_page3.xml").replace(
        b"<dc:title>",
        b'<dc:title xml:lang="eng">Linear Algebra</dc:title><dc:title xml:lang="vie">',
    )
    (algebra,) = parse_list_records(body, language="vi").items
    assert algebra.title == "Đại số tuyến tính"
    (algebra,) = parse_list_records(body, language="en").items
    assert algebra.title == "Linear Algebra"
