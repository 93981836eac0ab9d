"""Course documents (catalog.present.documents) on SQLite and PostgreSQL: three ordered streams —
courses, their runs, their offers — merged course by course must give each course exactly its own
runs and offers, whatever falls between fetch batches, with the audience and withdrawn filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from catalog.derive.exchange import CreditSystem, ExchangeSettings, Filters, Rule, Term
from catalog.present import documents
from catalog.present.documents import course_documents
from catalog.store import harvests
from catalog.store.db import read_only
from catalog.store.ingest import Ingestor
from catalog.store.models import Course, CourseRun, Offer
from catalog.store.offers import rebuild
from connectors.records import CourseRecord, Page
from connectors.records import CourseRun as RunRecord
from tests.support.documents import as_json_all

START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
TIN_CHI, XUEFEN = CreditSystem("tin_chi", 15), CreditSystem("xuefen", 16)


def _record(n: int) -> CourseRecord:
    """Course n: n % 4 runs (so some have none), one self-paced; Vietnamese or Chinese."""
    runs = tuple(
        RunRecord(
            key=f"r{n}-{k}",
            start=None if k == 2 else START + timedelta(days=30 * k + n),
            end=START + timedelta(days=30 * k + n + 60),
            enrollment_start=START - timedelta(days=10 - k),
            pacing="self" if k == 2 else "instructor",
        )
        for k in range(n % 4)
    )
    return CourseRecord(
        key=f"UETx+C{n:03d}",
        title=f"Khóa học {n}" if n % 2 else f"课程 {n}",
        language="vi" if n % 2 else "zh",
        organization="UETx" if n % 3 else "USSHx",
        subjects=("Computer Science",) if n % 5 == 0 else (),
        credits=4 if n % 7 == 0 else None,
        is_free=n % 2 == 0,
        runs=runs,
    )


@pytest.fixture
def catalog(engine):
    """30 courses, 5 of them withdrawn; rules offer UETx courses to tsinghua, the others to hnue."""
    harvests.register(
        engine,
        [
            harvests.InstitutionInfo("tsinghua", {"zh": "清华大学"}, "CN", "Asia/Shanghai"),
            harvests.InstitutionInfo("hnue", {"vi": "ĐHSPHN"}, "VN", "Asia/Ho_Chi_Minh"),
        ],
        [],
    )
    run_id = harvests.start_run(engine, "vnu")
    records = tuple(_record(n) for n in range(30))
    Ingestor(engine, "vnu", run_id).apply(
        Page(items=records, cursor=None, url="https://x/p1", number=1, last=True)
    )
    with engine.begin() as conn:
        keys = [f"UETx+C{n:03d}" for n in range(0, 30, 6)]
        conn.execute(update(Course).where(Course.key.in_(keys)).values(status="withdrawn"))
    term = Term("2026 HK2", datetime(2026, 2, 1).date(), datetime(2026, 3, 1).date(), 25)
    settings = ExchangeSettings(
        rules=(
            Rule(id="to-thu", offering="vnu", audience="tsinghua", terms=(term,),
                 include=Filters(organizations=("UETx",)), default_credits=3),
            Rule(id="to-hnue", offering="vnu", audience="hnue",
                 exclude=Filters(organizations=("UETx",))),
        ),
        credit_systems=(TIN_CHI, XUEFEN),
        institution_systems={"vnu": "tin_chi", "tsinghua": "xuefen"},
        institution_zones={"vnu": "Asia/Ho_Chi_Minh"},
    )  # fmt: skip
    rebuild(engine, settings, now=datetime(2026, 2, 10, tzinfo=UTC))
    return engine


def _expected(conn, audience: str | None, include_withdrawn: bool) -> dict[str, tuple]:
    """Per course id: (run keys in order, (audience, run key) of its offers), one query each."""
    out = {}
    query = select(Course.id, Course.feed_id, Course.key, Course.status).order_by(Course.id)
    for cid, feed, key, status in conn.execute(query):
        if not include_withdrawn and status != "active":
            continue
        offer_q = (
            select(Offer.audience, CourseRun.key)
            .outerjoin(CourseRun, CourseRun.id == Offer.run_id)
            .where(Offer.course_id == cid)
            .order_by(Offer.id)
        )
        if audience is not None:
            offer_q = offer_q.where(Offer.audience == audience)
        offers = tuple(tuple(row) for row in conn.execute(offer_q))
        if audience is not None and not offers:
            continue
        runs = conn.execute(
            select(CourseRun.key)
            .where(CourseRun.course_id == cid)
            .order_by(CourseRun.start, CourseRun.key)
        ).scalars()
        out[f"{feed}:{key}"] = (tuple(runs), offers)
    return out


@pytest.mark.parametrize("batch", [1, 4, 1000])
@pytest.mark.parametrize(
    ("audience", "include_withdrawn"),
    [(None, True), (None, False), ("tsinghua", False), ("hnue", True), ("nobody", True)],
)
def test_each_course_gets_its_own_runs_and_offers(
    catalog, monkeypatch, batch: int, audience: str | None, include_withdrawn: bool
) -> None:
    monkeypatch.setattr(documents, "BATCH", batch)
    with read_only(catalog) as conn:
        expected = _expected(conn, audience, include_withdrawn)
        docs = list(
            as_json_all(
                course_documents(conn, audience=audience, include_withdrawn=include_withdrawn)
            )
        )
    got = {
        d["id"]: (
            tuple(r["key"] for r in d["runs"]),
            tuple((o["audience"], o["run"]) for o in d["offers"]),
        )
        for d in docs
    }
    assert list(got) == list(expected)  # in id order, nothing left out, nothing twice
    assert got == expected
    if audience == "nobody":
        assert docs == []
    if audience == "tsinghua":
        assert docs and all(d["organization"] == "UETx" for d in docs)


def test_times_are_iso_8601_utc_and_windows_in_the_offering_zone(catalog) -> None:
    with read_only(catalog) as conn:
        docs = {d["key"]: d for d in as_json_all(course_documents(conn, audience="tsinghua"))}
    course = docs["UETx+C007"]
    runs = {r["key"]: r for r in course["runs"]}
    assert runs["r7-0"]["start"] == (START + timedelta(days=7)).isoformat()
    assert runs["r7-0"]["start"].endswith("+00:00") and runs["r7-0"]["enrollment_end"] is None
    assert runs["r7-2"]["start"] is None and runs["r7-2"]["pacing"] == "self"
    offer = course["offers"][0]
    assert offer["application_start"] == "2026-02-01T00:00:00+07:00"
    assert offer["application_end"].startswith("2026-03-01T23:59:59.999999+07:00")
    assert offer["open_now"] is True and offer["seats"] == 25
    assert offer["credits"]["host"] == 4.0 and offer["credits"]["source"] == "source"
    assert course["first_seen"].endswith("+00:00") and course["updated_at"].endswith("+00:00")
    assert course["is_free"] is False and course["subjects"] == []
    ai = docs["UETx+C005"]
    assert ai["subjects"] == ["Computer Science"]
    assert ai["offers"][0]["credits"]["source"] == "rule"


def test_documents_do_not_share_their_lists(catalog) -> None:
    """Values are converted once per distinct value, but every document is its own."""
    with read_only(catalog) as conn:
        docs = as_json_all(course_documents(conn, labels=lambda code: {"en": "ICT"}))
    with_subjects = [d for d in docs if d["subjects"]]
    assert len(with_subjects) >= 2
    a, b = with_subjects[:2]
    assert a["subjects"] == b["subjects"] and a["subjects"] is not b["subjects"]
    assert a["subjects_isced"] == [{"code": "06", "labels": {"en": "ICT"}}]
    assert a["subjects_isced"][0]["labels"] is not b["subjects_isced"][0]["labels"]
