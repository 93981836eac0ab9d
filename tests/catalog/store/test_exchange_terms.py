"""Offers for courses without runs, runs that ended before their term, the term of undated
runs, notes in the audience's language, and what each rule did (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from catalog.derive.exchange import ExchangeSettings, Filters, Rule, Term
from catalog.present.documents import course_documents
from catalog.present.explain import explain
from catalog.store import harvests
from catalog.store.db import read_only
from catalog.store.ingest import Ingestor
from catalog.store.offers import rebuild
from connectors.records import CourseRecord, CourseRun, Page
from tests.support.documents import as_json_all

NOW = datetime(2026, 1, 10, tzinfo=UTC)
HK1 = Term("2025-2026 HK1", date(2025, 7, 1), date(2025, 8, 15), 30,
           date(2025, 8, 1), date(2025, 12, 31))  # fmt: skip
HK2 = Term("2025-2026 HK2", date(2025, 12, 1), date(2026, 1, 15), 40,
           date(2026, 1, 1), date(2026, 6, 30))  # fmt: skip
SPRING = datetime(2026, 2, 23, 1, 0, tzinfo=UTC)


def _seed(engine) -> None:
    """vnu: a course without runs, one with a 2024 run that ended and a spring run, one whose
    only run ended in 2024, one self-paced, one in English; the audience reads Chinese."""
    ended = CourseRun(key="r-2024", start=datetime(2024, 2, 1, tzinfo=UTC),
                      end=datetime(2024, 6, 30, tzinfo=UTC))  # fmt: skip
    items = (
        CourseRecord(key="OAI+1", title="Vật lý đại cương", language="vi"),
        CourseRecord(key="MIX+2", title="Kinh tế vĩ mô", language="vi",
                     runs=(ended, CourseRun(key="r-2026", start=SPRING))),
        CourseRecord(key="OLD+3", title="Lịch sử", language="vi", runs=(ended,)),
        CourseRecord(key="SELF+4", title="Tự học", language="vi",
                     runs=(CourseRun(key="r-self", start=datetime(2023, 1, 1, tzinfo=UTC),
                                     end=datetime(2023, 6, 1, tzinfo=UTC), pacing="self"),)),
        CourseRecord(key="EN+5", title="English", language="en"),
        CourseRecord(key="FALL+6", title="Mùa thu", language="vi",
                     runs=(CourseRun(key="r-fall", start=SPRING + timedelta(days=200)),)),
    )  # fmt: skip
    ingestor = Ingestor(engine, "vnu", harvests.start_run(engine, "vnu"))
    ingestor.apply(Page(items=items, cursor=None, url="https://x/p1", number=1, last=True))
    harvests.register(
        engine,
        [harvests.InstitutionInfo("tsinghua", {"zh": "清华大学"}, "CN", "Asia/Shanghai", "zh")],
        [],
    )


RULE = Rule(
    id="vnu-to-thu", offering="vnu", audience="tsinghua", include=Filters(languages=("vi",)),
    terms=(HK1, HK2), notes={"vi": "Đăng ký qua VNU-IC", "zh": "通过清华国际处报名"},
)  # fmt: skip
SETTINGS = ExchangeSettings(
    rules=(RULE,),
    institution_zones={"vnu": "Asia/Ho_Chi_Minh", "tsinghua": "Asia/Shanghai"},
)


def _offers(engine) -> dict[str, list[tuple[str | None, str | None, bool]]]:
    with read_only(engine) as conn:
        return {
            d["key"]: [(o["run"], o["term"], o["whole_course"]) for o in d["offers"]]
            for d in as_json_all(course_documents(conn, audience="tsinghua"))
        }


def test_courses_without_runs_are_offered_whole_and_ended_runs_are_not(engine) -> None:
    _seed(engine)
    report = rebuild(engine, SETTINGS, now=NOW)
    assert _offers(engine) == {
        # No runs: offered as a whole in the term still taking applications (HK1 closed).
        "OAI+1": [(None, "2025-2026 HK2", True)],
        # The 2024 run ended before either term's window opened; the spring run is HK2's.
        "MIX+2": [("r-2026", "2025-2026 HK2", False)],
        # Self-paced runs are offered whatever their dates.
        "SELF+4": [("r-self", "2025-2026 HK2", False)],
    }
    [direction] = report.directions
    assert (direction.courses, direction.runs, direction.whole) == (3, 2, 1)
    assert (direction.open_now, direction.seats) == (3, 40)
    [rule] = report.rules
    assert (rule.matched, rule.offered, rule.earlier) == (5, 3, 0)
    assert dict(rule.missed) == {"outside": 2}  # OLD+3 (2024), FALL+6 (after HK2's window)


def test_a_runless_offer_has_the_terms_window_seats_and_the_audiences_notes(engine) -> None:
    _seed(engine)
    rebuild(engine, SETTINGS, now=NOW)
    with read_only(engine) as conn:
        [doc] = [
            d
            for d in as_json_all(course_documents(conn, audience="tsinghua"))
            if d["key"] == "OAI+1"
        ]
    [offer] = doc["offers"]
    assert doc["runs"] == []
    assert offer["application_start"] == "2025-12-01T00:00:00+07:00"
    assert offer["application_end"].startswith("2026-01-15T23:59:59")
    assert (offer["seats"], offer["open_now"]) == (40, True)
    assert offer["notes"] == "通过清华国际处报名"  # the audience reads Chinese
    assert offer["notes_by_language"] == {"vi": "Đăng ký qua VNU-IC", "zh": "通过清华国际处报名"}


def test_an_earlier_rule_keeps_a_whole_course_and_the_later_one_says_so(engine) -> None:
    _seed(engine)
    later = Rule(id="all-to-thu", offering="vnu", audience="tsinghua", terms=(HK2,))
    settings = ExchangeSettings(rules=(RULE, later), institution_zones=SETTINGS.institution_zones)
    report = rebuild(engine, settings, now=NOW)
    first, second = report.rules
    assert first.offered == 3
    # EN+5 is the later rule's own; OAI+1, MIX+2 (its spring run) and SELF+4 were taken.
    assert (second.matched, second.offered, second.earlier) == (6, 1, 3)
    assert _offers(engine)["EN+5"] == [(None, "2025-2026 HK2", True)]


def test_a_rule_whose_institution_has_no_feed_is_reported_not_applied(engine) -> None:
    _seed(engine)
    ghost = Rule(id="hou-to-vnu", offering="hou", audience="vnu")
    report = rebuild(engine, ExchangeSettings(rules=(ghost, RULE)), now=NOW)
    assert report.rules[0].skipped == "hou has no feed in the catalog (run moocx sync)"
    assert report.rules[1].offered == 3


@pytest.mark.parametrize(
    ("ref", "offered", "why"),
    [
        pytest.param("OAI+1", True, "the course has no runs: offered as a whole (dates set by "
                     "the platform), term 2025-2026 HK2 (applications 2025-12-01 – 2026-01-15, "
                     "40 seats)", id="runless"),
        pytest.param("vnu:EN+5", False, "not offered: include.languages = [vi], and the "
                     "course's language is en", id="include"),
        pytest.param("OLD+3", False, "run r-2024 not offered in term 2025-2026 HK1: it starts "
                     "2024-02-01 (Asia/Ho_Chi_Minh), before the term's run window (2025-08-01 – "
                     "2025-12-31; runs_starting_from = 2025-08-01)", id="outside"),
        pytest.param("MIX+2", True, "run r-2026 (starts 2026-02-23): offered, term 2025-2026 HK2 "
                     "(applications 2025-12-01 – 2026-01-15, 40 seats)", id="offered-run"),
    ],
)  # fmt: skip
def test_explain_says_what_decided(engine, ref: str, offered: bool, why: str) -> None:
    _seed(engine)
    with read_only(engine) as conn:
        found = explain(conn, ref, SETTINGS, now=NOW)
    [verdict] = found.verdicts
    assert (verdict.rule, verdict.audience, verdict.offered) == ("vnu-to-thu", "tsinghua", offered)
    assert why in verdict.lines


def test_explain_names_the_run_that_ended_before_the_window(engine) -> None:
    _seed(engine)
    with read_only(engine) as conn:
        found = explain(conn, "OLD+3", SETTINGS, now=NOW)
    assert (
        "run r-2024 not offered in term 2025-2026 HK2: it starts 2024-02-01 (Asia/Ho_Chi_Minh), "
        "before the term's run window (2026-01-01 – 2026-06-30; runs_starting_from = 2026-01-01)"
    ) in found.verdicts[0].lines
    wide = Rule(
        id="wide", offering="vnu", audience="tsinghua", terms=(Term("T", date(2025, 1, 1)),)
    )
    [rule] = rebuild(engine, ExchangeSettings(rules=(wide,)), now=NOW).rules
    assert dict(rule.missed) == {"ended": 1}  # OLD+3: every run ended before T's window opens
    with read_only(engine) as conn:
        found = explain(conn, "OLD+3", ExchangeSettings(rules=(wide,)), now=NOW)
    assert found.verdicts[0].lines[-1] == (
        "run r-2024 not offered in term T: it ended 2024-06-30, before the term's application "
        "window opens (2025-01-01)"
    )
