"""One course as the catalog knows it (catalog.present.inspect) and what needs review
(catalog.present.review), read without the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from catalog.derive.exchange import ExchangeSettings, Filters, Rule, Term
from catalog.derive.policy import HarvestPolicy
from catalog.errors import AmbiguousCourse, UnknownCourse
from catalog.present import inspect, review
from catalog.store import harvests, tables
from catalog.store.db import read_only
from catalog.store.ingest import Ingestor
from catalog.store.offers import rebuild
from connectors.records import CourseRecord, Page, Rejected
from connectors.records import CourseRun as Run

T0 = datetime(2026, 2, 23, 1, 0, tzinfo=UTC)


def record(key: str, title: str | None = None, *, runs: int = 1) -> CourseRecord:
    return CourseRecord(
        key=key,
        title=title or f"Khóa học {key}",
        runs=tuple(
            Run(key=f"course-v1:{key}+R{i}", start=T0 + timedelta(days=30 * i), pacing="instructor")
            for i in range(runs)
        ),
        language="vi",
        organization="UETx",
        subjects=("Computer Science",),
        raw={"key": key, "name": title},
    )


def harvest(engine, *items: object, feed: str = "vnu", policy: HarvestPolicy | None = None) -> int:
    run_id = harvests.start_run(engine, feed)
    Ingestor(engine, feed, run_id, policy=policy).apply(
        Page(items=tuple(items), cursor=None, url=f"https://x/{feed}/p1", number=1, last=True)
    )
    return run_id


@pytest.fixture
def two_feeds(engine):
    """A second feed, ``hou``, that lists a course under a key ``vnu`` has too."""
    harvests.register(
        engine,
        [
            harvests.InstitutionInfo("vnu", {"vi": "ĐHQGHN"}, "VN", "Asia/Ho_Chi_Minh"),
            harvests.InstitutionInfo("hou", {"vi": "Đại học Mở Hà Nội"}, "VN", "Asia/Ho_Chi_Minh"),
            harvests.InstitutionInfo("tsinghua", {"zh": "清华大学"}, "CN", "Asia/Shanghai"),
        ],
        [
            harvests.FeedInfo("vnu", "vnu", "openedx", "https://courses.vnu.edu.vn"),
            harvests.FeedInfo("hou", "hou", "oaipmh", "https://oai.hou.edu.vn/oai"),
        ],
    )
    harvest(engine, record("UETx+INT3401", "Trí tuệ nhân tạo", runs=2), record("SHARED+1"))
    harvest(engine, record("oai:hou.edu.vn:42", runs=0), record("SHARED+1"), feed="hou")
    return engine


def view(engine, ident: str) -> inspect.Course:
    with read_only(engine) as conn:
        return inspect.course(conn, ident, labels=lambda c: {"en": "ICT"})


@pytest.mark.parametrize(
    ("ident", "expected"),
    [
        pytest.param("vnu:UETx+INT3401", "vnu:UETx+INT3401", id="feed-and-key"),
        pytest.param("UETx+INT3401", "vnu:UETx+INT3401", id="bare-key"),
        pytest.param("oai:hou.edu.vn:42", "hou:oai:hou.edu.vn:42", id="key-with-colons"),
        pytest.param("hou:oai:hou.edu.vn:42", "hou:oai:hou.edu.vn:42", id="id-with-colons"),
        pytest.param("hou:SHARED+1", "hou:SHARED+1", id="shared-key-by-id"),
    ],
)
def test_a_course_is_found_by_its_id_or_a_key_only_one_feed_has(two_feeds, ident, expected):
    assert view(two_feeds, ident).id == expected


def test_a_key_two_feeds_have_is_ambiguous_and_names_both(two_feeds) -> None:
    with pytest.raises(AmbiguousCourse) as err:
        view(two_feeds, "SHARED+1")
    assert err.value.ids == ("hou:SHARED+1", "vnu:SHARED+1")


@pytest.mark.parametrize(
    ("ident", "suggested"),
    [
        pytest.param("INT3401", ("vnu:UETx+INT3401",), id="part-of-a-key"),
        pytest.param("vnu:uetx+int340", ("vnu:UETx+INT3401",), id="case-and-prefix"),
        pytest.param("UETx+INT3410", ("vnu:UETx+INT3401",), id="typo"),
        pytest.param("nothing-like-it", (), id="nothing-close"),
    ],
)
def test_an_unknown_course_suggests_close_ids(two_feeds, ident, suggested) -> None:
    with pytest.raises(UnknownCourse) as err:
        view(two_feeds, ident)
    assert err.value.suggestions == suggested
    assert repr(ident) in str(err.value)


def test_the_view_has_fields_provenance_history_runs_and_the_raw_record(two_feeds) -> None:
    changed = harvest(two_feeds, record("UETx+INT3401", "Trí tuệ nhân tạo (2026)", runs=2))
    c = view(two_feeds, "UETx+INT3401")
    assert (c.title, c.language, c.organization, c.status) == (
        "Trí tuệ nhân tạo (2026)",
        "vi",
        "UETx",
        "active",
    )
    assert c.subjects == ("Computer Science",)
    assert c.subjects_isced == (inspect.Subject("06", {"en": "ICT"}),)
    p = c.provenance
    assert (p.feed, p.institution, p.connector) == ("vnu", "vnu", "openedx")
    assert p.source_url == "https://x/vnu/p1"
    assert (p.first_harvest.id, p.last_harvest.id) == (1, changed)
    assert p.first_harvest.status == p.last_harvest.status == "succeeded"
    assert p.first_seen.tzinfo is not None and p.last_seen >= p.first_seen
    assert [(e.event, e.harvest_id) for e in c.events] == [("new", 1), ("updated", changed)]
    assert [r.key for r in c.runs] == ["course-v1:UETx+INT3401+R0", "course-v1:UETx+INT3401+R1"]
    assert c.runs[0].start == T0
    assert c.raw_harvest_id == changed
    assert c.raw_value() == {"key": "UETx+INT3401", "name": "Trí tuệ nhân tạo (2026)"}
    assert c.offers == ()


def test_offers_per_audience_with_runs_and_without(two_feeds) -> None:
    rule = Rule(
        id="vnu-to-tsinghua",
        offering="vnu",
        audience="tsinghua",
        include=Filters(courses=("UETx+INT3401",)),
        terms=(Term("2025-2026 HK2", application_start=date(2025, 12, 1), seats=40),),
    )
    zones = {"vnu": "Asia/Ho_Chi_Minh"}
    rebuild(two_feeds, ExchangeSettings(rules=(rule,), institution_zones=zones))
    with two_feeds.begin() as conn:
        hou_id = conn.execute(
            select(tables.courses.c.id).where(tables.courses.c.key == "oai:hou.edu.vn:42")
        ).scalar_one()
        runless = {"course_id": hou_id, "run_id": None, "offering": "hou", "seats": 10,
                   "audience": "tsinghua", "rule": "hou-to-tsinghua", "term": "2026",
                   "open_now": True}  # fmt: skip
        conn.execute(insert(tables.offers).values(**runless))
    offers = view(two_feeds, "vnu:UETx+INT3401").offers
    assert [(o.audience, o.run, o.term, o.seats) for o in offers] == [
        ("tsinghua", "course-v1:UETx+INT3401+R0", "2025-2026 HK2", 40),
        ("tsinghua", "course-v1:UETx+INT3401+R1", "2025-2026 HK2", 40),
    ]
    assert offers[0].offering_timezone == "Asia/Ho_Chi_Minh"
    assert offers[0].application_start == datetime(2025, 11, 30, 17, 0, tzinfo=UTC)
    [runless] = view(two_feeds, "oai:hou.edu.vn:42").offers
    assert (runless.run, runless.rule, runless.open_now) == (None, "hou-to-tsinghua", True)


def test_review_lists_held_withdrawals_with_last_seen_and_the_latest_runs_rejections(
    engine,
) -> None:
    ten = [record(f"VNUx+C{i}") for i in range(10)]
    harvest(engine, *ten)
    unchanged = harvest(engine, *ten)  # lists every course, changes none of them
    held = harvest(engine, *ten[:7], Rejected("start: unparseable date 'TBA'", "VNUx+X", {"a": 1}))
    [found] = _review(engine)
    assert found.feed == "vnu" and found.needs_review
    assert found.held.run_id == held
    assert "more than max_withdraw_fraction = 0.2" in found.held.guard
    assert [(h.key, h.title, h.reason) for h in found.held.courses] == [
        (f"VNUx+C{i}", f"Khóa học VNUx+C{i}", "absent") for i in (7, 8, 9)
    ]
    with engine.connect() as conn:
        seen = conn.execute(
            select(tables.harvest_runs.c.finished_at).where(tables.harvest_runs.c.id == unchanged)
        ).scalar_one()
    assert {h.last_seen for h in found.held.courses} == {seen}  # not its first (only) change
    assert found.rejections.id == held and found.rejections.rejected_total == 1
    [rejected] = found.rejections.rejected
    assert (rejected.key, rejected.reason, rejected.excerpt_line) == (
        "VNUx+X",
        "start: unparseable date 'TBA'",
        '{"a": 1}',
    )


def test_only_the_latest_run_counts_for_rejections_and_a_clean_catalog_has_nothing(engine):
    harvest(engine, record("VNUx+A"), Rejected("name: empty course title", "VNUx+B"))
    assert [r.rejections.rejected_total for r in _review(engine)] == [1]
    harvest(engine, record("VNUx+A"))
    assert _review(engine) == []


def test_rejections_are_capped_and_their_excerpts_cut_to_one_line(engine) -> None:
    xml = "<record>\n  <a>" + "x" * 300 + "</a>"
    bad = [Rejected(f"reason {i}", f"K{i}", xml) for i in range(5)]
    harvest(engine, record("VNUx+A"), *bad)
    with read_only(engine) as conn:
        [found] = review.feeds_to_review(conn, limit=2)
    assert found.rejections.rejected_total == 5
    assert [x.key for x in found.rejections.rejected] == ["K0", "K1"]
    line = found.rejections.rejected[0].excerpt_line
    assert line.startswith("<record> <a>xxx")  # the XML text, its whitespace folded
    assert len(line) == review.LINE_CHARS and line.endswith("…")


def _review(engine) -> list[review.FeedReview]:
    with read_only(engine) as conn:
        return review.feeds_to_review(conn)
