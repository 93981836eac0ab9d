"""The exchange: rule evaluation, application windows across time zones, seats, credit
conversion both ways, and the equivalence register overriding the computed value."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from catalog.derive.exchange import (
    CourseFacts,
    CreditSystem,
    Equivalence,
    ExchangeSettings,
    Filters,
    Rule,
    Term,
    convert,
    excluded,
    in_term,
    is_open,
    matches,
    round_to,
    window,
)
from catalog.present.documents import course_documents
from catalog.store import harvests
from catalog.store.db import read_only
from catalog.store.ingest import Ingestor
from catalog.store.models import Offer
from catalog.store.offers import rebuild
from connectors.records import CourseRecord, CourseRun, Page
from tests.support.documents import as_json_all

TIN_CHI, XUEFEN, ECTS = (
    CreditSystem("tin_chi", 15),
    CreditSystem("xuefen", 16),
    CreditSystem("ects", 27.5),
)
HANOI, BEIJING = ZoneInfo("Asia/Ho_Chi_Minh"), ZoneInfo("Asia/Shanghai")

COURSE = CourseFacts(id="vnu:UETx+INT1001", key="UETx+INT1001", language="vi",
                     level="Introductory", organization="UETx", pacing="instructor",
                     isced=("06",))  # fmt: skip


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        pytest.param(Filters(), True, id="no-criteria"),
        pytest.param(Filters(languages=("vi", "en")), True, id="language"),
        pytest.param(Filters(languages=("zh",)), False, id="other-language"),
        pytest.param(Filters(subjects=("06",)), True, id="isced-subject"),
        pytest.param(Filters(subjects=("01",)), False, id="other-subject"),
        pytest.param(Filters(levels=("introductory",)), True, id="level-any-case"),
        pytest.param(Filters(organizations=("USSHx",)), False, id="organisation"),
        pytest.param(Filters(pacing=("self",)), False, id="pacing"),
        pytest.param(Filters(courses=("UETx+INT1001",)), True, id="course-key"),
        pytest.param(Filters(courses=("vnu:UETx+INT1001",)), True, id="course-id"),
        pytest.param(Filters(languages=("vi",), subjects=("01",)), False, id="all-must-hold"),
    ],
)
def test_include_filters(filters: Filters, expected: bool) -> None:
    assert matches(filters, COURSE) is expected


def test_region_tags_match_their_language() -> None:
    assert matches(Filters(languages=("zh",)), replace(COURSE, language="zh-Hans"))


def test_an_exclude_block_matches_when_any_criterion_does() -> None:
    assert excluded(Filters(organizations=("UETx",), levels=("Advanced",)), COURSE)
    assert not excluded(Filters(organizations=("USSHx",)), COURSE)
    assert not excluded(Filters(), COURSE)


def test_terms_take_runs_by_their_local_start_date_and_self_paced_runs_always() -> None:
    term = Term("2025-2026 HK2", runs_starting_from=date(2026, 1, 1),
                runs_starting_until=date(2026, 6, 30))  # fmt: skip
    # 2025-12-31 18:00 UTC is already 1 January 2026 in Hanoi.
    assert in_term(term, datetime(2025, 12, 31, 18, 0, tzinfo=UTC), HANOI)
    assert not in_term(term, datetime(2025, 12, 31, 16, 0, tzinfo=UTC), HANOI)
    assert not in_term(term, datetime(2026, 7, 1, 1, 0, tzinfo=UTC), HANOI)
    assert in_term(term, None, HANOI)


def test_application_windows_are_whole_days_in_the_offering_institutions_zone() -> None:
    start = window(date(2026, 1, 5), HANOI, end=False)
    end = window(date(2026, 2, 15), BEIJING, end=True)
    assert start.astimezone(UTC) == datetime(2026, 1, 4, 17, 0, tzinfo=UTC)
    assert end.astimezone(UTC).replace(microsecond=0) == datetime(
        2026, 2, 15, 15, 59, 59, tzinfo=UTC
    )
    assert is_open(start, end, datetime(2026, 1, 10, tzinfo=UTC))
    assert not is_open(start, end, datetime(2026, 2, 16, tzinfo=UTC))
    assert is_open(None, None, datetime(2026, 2, 16, tzinfo=UTC))


@pytest.mark.parametrize(
    ("credits", "host", "home", "step", "expected"),
    [
        pytest.param(3, TIN_CHI, XUEFEN, 0.5, 3.0, id="3-tin-chi-is-45h-is-2.8-xuefen"),
        pytest.param(2, XUEFEN, TIN_CHI, 0.5, 2.0, id="2-xuefen-is-32h-is-2.1-tin-chi"),
        pytest.param(4, XUEFEN, TIN_CHI, 0.5, 4.5, id="4-xuefen-is-64h-is-4.3-tin-chi"),
        pytest.param(3, TIN_CHI, ECTS, 0.5, 1.5, id="to-ects"),
        pytest.param(3, TIN_CHI, XUEFEN, 0, 45 / 16, id="no-rounding"),
        pytest.param(3, TIN_CHI, None, 0.5, None, id="home-without-a-system"),
    ],
)
def test_credits_convert_through_contact_hours(credits, host, home, step, expected) -> None:
    assert (
        convert(credits, host, home, step) == pytest.approx(expected)
        if expected
        else (convert(credits, host, home, step) is None)
    )


def test_rounding_goes_to_the_nearest_step() -> None:
    assert [round_to(v, 0.5) for v in (2.74, 2.75, 2.8, 3.24)] == [2.5, 3.0, 3.0, 3.0]


# -- offers in the catalog (SQLite and PostgreSQL) ---------------------------------------------


def _seed(engine) -> None:
    run_id = harvests.start_run(engine, "vnu")
    ingestor = Ingestor(engine, "vnu", run_id)
    t = datetime(2026, 2, 23, 1, 0, tzinfo=UTC)
    ingestor.apply(Page(items=(
        CourseRecord(key="UETx+INT1001", title="Nhập môn Trí tuệ nhân tạo", language="vi",
                     subjects=("Computer Science",), runs=(
                         CourseRun(key="r-2026-spring", start=t),
                         CourseRun(key="r-2026-fall", start=t + timedelta(days=200)),
                         CourseRun(key="r-self"))),
        CourseRecord(key="UETx+INT3401", title="Trí tuệ nhân tạo", language="vi", credits=4,
                     runs=(CourseRun(key="r-ai", start=t),)),
        CourseRecord(key="USSHx+HIS1001", title="Lịch sử", language="vi", organization="USSHx",
                     runs=(CourseRun(key="r-his", start=t),)),
    ), cursor=None, url="https://x/p1", number=1, last=True))  # fmt: skip
    harvests.register(
        engine,
        [harvests.InstitutionInfo("tsinghua", {"zh": "清华大学"}, "CN", "Asia/Shanghai")],
        [],
    )


def test_offers_one_per_run_and_audience_with_windows_seats_and_credits(engine) -> None:
    _seed(engine)
    rule = Rule(
        id="vnu-to-tsinghua", offering="vnu", audience="tsinghua",
        include=Filters(languages=("vi",)), exclude=Filters(organizations=("USSHx",)),
        terms=(
            Term("2025-2026 HK2", date(2026, 1, 5), date(2026, 2, 15), 40,
                 date(2026, 1, 1), date(2026, 6, 30)),
        ),
        default_credits=3, notes="Đăng ký qua VNU-IC",
    )  # fmt: skip
    settings = ExchangeSettings(
        rules=(rule,), credit_systems=(TIN_CHI, XUEFEN),
        institution_systems={"vnu": "tin_chi", "tsinghua": "xuefen"},
        institution_zones={"vnu": "Asia/Ho_Chi_Minh", "tsinghua": "Asia/Shanghai"},
        equivalences=(Equivalence("UETx+INT3401", "tsinghua", "THU-30240243", "approved", 3.5,
                                  ("2025-2026 HK2",)),),
    )  # fmt: skip
    [summary] = rebuild(engine, settings, now=datetime(2026, 1, 10, tzinfo=UTC)).directions
    assert (summary.offering, summary.audience, summary.courses, summary.runs) == (
        "vnu",
        "tsinghua",
        2,
        3,
    )  # spring runs of both, and the self-paced one; not the fall run
    assert (summary.open_now, summary.seats) == (3, 40)  # 40 seats for the term, not per run

    with read_only(engine) as conn:
        docs = {d["key"]: d for d in as_json_all(course_documents(conn, audience="tsinghua"))}
        assert set(docs) == {"UETx+INT1001", "UETx+INT3401"}  # USSHx excluded
        intro = docs["UETx+INT1001"]["offers"]
        assert sorted(o["run"] for o in intro) == ["r-2026-spring", "r-self"]
        offer = intro[0]
        assert offer["application_start"] == "2026-01-05T00:00:00+07:00"  # Hanoi time
        assert offer["credits"] == {
            "host": 3.0,
            "host_system": "tin_chi",
            "home": 3.0,
            "home_system": "xuefen",
            "source": "rule",
        }
        assert (offer["seats"], offer["open_now"], offer["term"]) == (40, True, "2025-2026 HK2")
        ai = docs["UETx+INT3401"]["offers"][0]
        assert ai["credits"]["host"] == 4.0 and ai["credits"]["home"] == 3.5
        assert ai["credits"]["source"] == "equivalence"
        assert ai["equivalence"] == {
            "status": "approved",
            "home_course": "THU-30240243",
            "valid_terms": ["2025-2026 HK2"],
        }
        assert conn.execute(select(Offer.id)).all()

    # Rebuilding replaces the offers; with no rules there are none.
    assert rebuild(engine, ExchangeSettings()).directions == []
    with read_only(engine) as conn:
        assert conn.execute(select(Offer.id)).all() == []


def test_a_course_past_its_expiry_is_not_offered_and_explain_says_so(engine) -> None:
    from catalog.present.explain import explain

    run_id = harvests.start_run(engine, "vnu")
    t = datetime(2026, 2, 23, 1, 0, tzinfo=UTC)
    expiry = datetime(2026, 1, 31, 23, 0, tzinfo=UTC)
    Ingestor(engine, "vnu", run_id).apply(Page(items=(
        CourseRecord(key="UETx+OLD", title="Hết hạn", language="vi", expires=expiry,
                     runs=(CourseRun(key="r1", start=t),)),
        CourseRecord(key="UETx+NEW", title="Còn hạn", language="vi",
                     expires=expiry + timedelta(days=365), runs=(CourseRun(key="r1", start=t),)),
    ), cursor=None, url="https://x/p1", number=1, last=True))  # fmt: skip
    harvests.register(
        engine,
        [harvests.InstitutionInfo("tsinghua", {"zh": "清华大学"}, "CN", "Asia/Shanghai")],
        [],
    )
    settings = ExchangeSettings(rules=(Rule(id="all", offering="vnu", audience="tsinghua"),))
    now = datetime(2026, 2, 10, tzinfo=UTC)
    [summary] = rebuild(engine, settings, now=now).directions
    assert summary.courses == 1
    with read_only(engine) as conn:
        assert [d.key for d in course_documents(conn, audience="tsinghua")] == ["UETx+NEW"]
        old = next(d for d in course_documents(conn) if d.key == "UETx+OLD")
        assert old.expires == expiry and old.status == "active"
        verdict = explain(conn, "vnu:UETx+OLD", settings, now=now).verdicts[0]
    assert not verdict.offered
    assert verdict.lines == (
        "not offered: the source says the course expired on 2026-01-31T23:00:00+00:00",
    )
