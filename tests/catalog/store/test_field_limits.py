"""Very large fields and text the databases cannot store: the same outcome on SQLite and
PostgreSQL (shared/RELIABILITY.md C12, J4). Each limit comes from its column
(``catalog/store/tables.py``); a record over one is rejected with a reason naming the field, its
size and the limit, and the rest of its page lands."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sqlalchemy import String, Text, select

from catalog.store import harvests, tables
from catalog.store.audit import EXCERPT_CHARS, MAX_RAW_CHARS, RAW_START_CHARS
from catalog.store.ingest import Ingestor
from catalog.store.validate import (
    COURSE_LIMITS,
    MAX_SUBJECT,
    MAX_SUBJECTS,
    PRECEDENCE_LIMIT,
    RUN_LIMITS,
    TEXT_LIMITS,
    stored_precedence,
)
from connectors.records import CourseRecord, Page, Rejected
from connectors.records import CourseRun as Run
from tests.catalog.store.test_ingest import T0

URL = "https://courses.vnu.edu.vn/courses/"
MB = 1024 * 1024


def course(key: str = "VNUx+BIG1", **changes: object) -> CourseRecord:
    base = CourseRecord(
        key=key,
        title="Dữ liệu lớn",
        runs=(Run(key=f"course-v1:{key}+2025_T2", start=T0),),
        language="vi",
        raw={"id": key, "name": "Dữ liệu lớn"},
    )
    return replace(base, **changes)


def run_with(**changes: object) -> tuple[Run, ...]:
    return (replace(Run(key="course-v1:VNUx+BIG1+2025_T2", start=T0), **changes),)


def harvest(engine, *items: object) -> Ingestor:
    ingestor = Ingestor(engine, "vnu", harvests.start_run(engine, "vnu"))
    ingestor.apply(Page(items=tuple(items), cursor=None, url="https://x/p1", number=1, last=True))
    return ingestor


def rejections(engine) -> list[tuple[str | None, str, str | None]]:
    r = tables.rejected_records.c
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(r.key, r.reason, r.excerpt))]


def stored_keys(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(tables.courses.c.key).order_by(tables.courses.c.key)))


#: Courses over a limit, with the reason they are rejected for.
OVER = [
    pytest.param(
        course(description="x" * (5 * MB)),
        "description: 5242880 characters, more than the 65536 allowed",
        id="5MB-description",
    ),
    pytest.param(
        course(subjects=tuple(f"thẻ {i}" for i in range(10_000))),
        f"subjects: 10000 entries, more than the {MAX_SUBJECTS} allowed",
        id="10k-subjects",
    ),
    pytest.param(
        course(subjects=("Toán", "t" * 256)),
        "subjects: 256 characters, more than the 255 allowed",
        id="256-character-subject",
    ),
    pytest.param(
        course(title="T" * 3000),
        "title: 3000 characters, more than the 1000 allowed",
        id="3000-character-title",
    ),
    pytest.param(
        course(short_description="s" * 65_537),
        "short_description: 65537 characters, more than the 65536 allowed",
        id="long-short-description",
    ),
    pytest.param(
        course(url=URL + "u" * 2100),
        "url: URL of 2135 characters, more than the 2048 allowed",
        id="url-over-2048",
    ),
    pytest.param(
        course(image_url=URL + "i" * 2014),
        "image_url: URL of 2049 characters, more than the 2048 allowed",
        id="image-url-over-2048",
    ),
    pytest.param(
        course(organization="Đ" * 256),
        "organization: 256 characters, more than the 255 allowed",
        id="organization-over-255",
    ),
    pytest.param(
        course(effort="e" * 256), "effort: 256 characters, more than the 255 allowed", id="effort"
    ),
    pytest.param(
        course(level="l" * 65), "level: 65 characters, more than the 64 allowed", id="level"
    ),
    pytest.param(
        course(language="en-" + "-".join(["abcdefgh"] * 4)),
        "language: 38 characters, more than the 35 allowed",
        id="language-tag-over-35",
    ),
    pytest.param(
        course(key="VNUx+" + "K" * 251),
        "key: 256 characters, more than the 255 allowed",
        id="course-key-over-255",
    ),
    pytest.param(
        course(runs=run_with(key="course-v1:" + "R" * 246)),
        "runs[0].key: 256 characters, more than the 255 allowed",
        id="run-key-over-255",
    ),
    pytest.param(
        course(runs=run_with(title="t" * 1001)),
        "runs[0].title: 1001 characters, more than the 1000 allowed",
        id="run-title",
    ),
    pytest.param(
        course(runs=run_with(url=URL + "r" * 2014)),
        "runs[0].url: URL of 2049 characters, more than the 2048 allowed",
        id="run-url",
    ),
    pytest.param(
        course(runs=run_with(price="9" * 33)),
        "runs[0].price: 33 characters, more than the 32 allowed",
        id="run-price",
    ),
    pytest.param(
        course(runs=run_with(availability="a" * 33)),
        "runs[0].availability: 33 characters, more than the 32 allowed",
        id="run-availability",
    ),
    pytest.param(
        course(credits=float("nan")), "credits: nan is not a finite number", id="credits-nan"
    ),
]


@pytest.mark.parametrize(("big", "reason"), OVER)
def test_c12_a_field_over_its_limit_is_rejected_alone_with_the_field_and_the_limit(
    engine, big: CourseRecord, reason: str
) -> None:
    """C12: the same rejection on SQLite and PostgreSQL; the page's other courses land; the
    excerpt stays small whatever the size of the record."""
    ingestor = harvest(engine, course("VNUx+OK1"), big, course("VNUx+OK2"))
    assert stored_keys(engine) == ["VNUx+OK1", "VNUx+OK2"]
    [(key, stored_reason, excerpt)] = rejections(engine)
    assert stored_reason == reason
    assert key == big.key[:255]
    assert excerpt is not None and len(excerpt) <= EXCERPT_CHARS
    assert (ingestor.tally.counts()["new"], ingestor.tally.rejected) == (2, 1)


def test_c12_a_course_with_every_field_at_its_limit_lands_whole_on_both_backends(engine) -> None:
    """C12: the limits are the columns' own: a value of exactly the limit is stored and read back
    unchanged on PostgreSQL too (a limit larger than its column would fail here)."""
    limit = COURSE_LIMITS
    run_limit = RUN_LIMITS
    full = CourseRecord(
        key="K" * limit["key"],
        title="Tiêu đề " + "t" * (limit["title"] - 8),
        short_description="s" * limit["short_description"],
        description="d" * limit["description"],
        language="en-" + "-".join(["abcdefgh"] * 3) + "-abcde",
        organization="Đ" * limit["organization"],
        subjects=tuple(f"{i:03d}" + "s" * (MAX_SUBJECT - 3) for i in range(MAX_SUBJECTS)),
        level="l" * limit["level"],
        effort="e" * limit["effort"],
        url=URL + "u" * (limit["url"] - len(URL)),
        image_url=URL + "i" * (limit["image_url"] - len(URL)),
        precedence="p" * PRECEDENCE_LIMIT,
        runs=(
            Run(
                key="R" * run_limit["key"],
                title="t" * run_limit["title"],
                url=URL + "r" * (run_limit["url"] - len(URL)),
                availability="a" * run_limit["availability"],
                price="9" * run_limit["price"],
                currency="VND",
            ),
        ),
    )
    assert len(full.language) == limit["language"]
    ingestor = harvest(engine, full)
    assert ingestor.tally.rejected == 0
    with engine.connect() as conn:
        row = conn.execute(select(tables.courses)).one()
        run = conn.execute(select(tables.course_runs)).one()
    for name in ("key", "title", "short_description", "description", "language"):
        assert getattr(row, name) == getattr(full, name), name
    for name in ("organization", "level", "effort", "url", "image_url", "precedence"):
        assert getattr(row, name) == getattr(full, name), name
    assert row.subjects == list(full.subjects)
    for name in ("key", "title", "url", "availability", "price"):
        assert getattr(run, name) == getattr(full.runs[0], name), name


#: Text columns of courses and course_runs that no record field feeds, and why they cannot
#: overflow: their values are the catalog's own, or bounded where they are written.
INTERNAL = {
    "courses": {
        "feed_id": "a config id (feeds.id)",
        "status": "'active' or 'withdrawn'",
        "content_hash": "32 hex digits",
        "precedence": "bounded: catalog.store.validate.stored_precedence",
        "source_url": "the page URL, cut to catalog.store.audit.URL_CHARS",
        "pacing": "'instructor' or 'self' (validated)",
        "mode": "one of records.COURSE_MODES (validated)",
    },
    "course_runs": {
        "content_hash": "32 hex digits",
        "pacing": "'instructor' or 'self' (validated)",
        "currency": "an ISO 4217 code (validated)",
        "payment_frequency": "one of records.PAYMENT_FREQUENCIES (validated)",
    },
}


@pytest.mark.parametrize(
    ("table", "limits"),
    [(tables.courses, COURSE_LIMITS), (tables.course_runs, RUN_LIMITS)],
    ids=["courses", "course_runs"],
)
def test_c12_every_text_column_a_record_feeds_has_its_limit_checked(table, limits) -> None:
    """C12: one source of truth. A new String/Text column must be given its check (or a reason
    it needs none) or this test fails; a checked limit is the column's own length."""
    for column in table.c:
        if not isinstance(column.type, String):  # Text is a String too
            continue
        if column.name in INTERNAL[table.name]:
            continue
        assert column.name in limits, f"{table.name}.{column.name} has no limit in validation"
        if isinstance(column.type, Text) or not column.type.length:
            assert limits[column.name] == TEXT_LIMITS[column.name]
        else:
            assert limits[column.name] == column.type.length


def test_c12_precedence_is_bounded_keeping_its_order_and_stable() -> None:
    """C11/C12: a precedence longer than its column becomes its first characters and a digest:
    the same value every time, at most the column's length, ordered like the whole value
    wherever the values differ before the digest."""
    start = "2025-09-08T01:00:00|course-v1:VNUx+"
    early, late = f"{start}{'A' * 200}+2025_T1", f"2026-01-05T01:00:00|{'A' * 200}"
    assert stored_precedence("short") == "short"
    assert stored_precedence(early) == stored_precedence(early)
    assert len(stored_precedence(early)) == PRECEDENCE_LIMIT
    assert stored_precedence(early) < stored_precedence(late)
    assert stored_precedence(early) != stored_precedence(early.replace("T1", "T2"))


def test_c12_a_raw_record_over_1_mib_is_kept_cut_and_flagged(engine) -> None:
    """C12: ``course_sources.raw`` of an accepted course whose source sent 2 MiB besides its
    fields: a JSON object flagged ``moocx_truncated`` with the size and the first 64 KiB."""
    harvest(engine, course(raw={"id": "VNUx+BIG1", "extra": "x" * (2 * MB)}))
    with engine.connect() as conn:
        raw = json.loads(conn.scalar(select(tables.course_sources.c.raw)))
    assert raw["moocx_truncated"] is True
    assert raw["characters"] > MAX_RAW_CHARS
    assert raw["start"].startswith('{"id":"VNUx+BIG1","extra":"xxx')
    assert len(raw["start"]) == RAW_START_CHARS


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        pytest.param(course(description="a\x00b"), "description: contains a NUL", id="desc"),
        pytest.param(course(organization="ĐH\x00QG"), "organization: contains a NUL", id="org"),
        pytest.param(course(subjects=("Toán\x00",)), "subjects: contains a NUL", id="subject"),
        pytest.param(course(url=URL + "a\x00b"), "url: contains a NUL", id="url"),
        pytest.param(course(runs=run_with(key="r\x001")), "runs[0].key: contains a NUL", id="run"),
        pytest.param(
            course(title="Giải \ud800 tích"),
            "title: contains a lone surrogate ('\\ud800' at character 5), which is not text",
            id="lone-surrogate",
        ),
        pytest.param(course(precedence="2025|\x00"), "precedence: contains a NUL", id="precedence"),
        pytest.param(
            course(key="VNUx+\udc80"),
            "key: contains a lone surrogate ('\\udc80' at character 5)",
            id="lone-surrogate-key",
        ),
        pytest.param(
            course(subjects=("Toán", "Lý \ud83d")),
            "subjects[1]: contains a lone surrogate ('\\ud83d' at character 3)",
            id="lone-surrogate-subject",
        ),
        pytest.param(
            course(runs=run_with(title="Kỳ \udfff")),
            "runs[0].title: contains a lone surrogate ('\\udfff' at character 3)",
            id="lone-surrogate-run-title",
        ),
    ],
)
def test_j4_nul_and_lone_surrogates_are_rejected_identically_on_both_backends(
    engine, bad: CourseRecord, reason: str
) -> None:
    """J4: PostgreSQL refuses NUL in text and SQLite keeps it: validation rejects it. Neither can
    encode a lone surrogate (from a JSON ``"\\ud800"``): the safety net rejects that record
    alone (validation does not encode every field to look), naming the field too."""
    harvest(engine, course("VNUx+OK1"), bad)
    assert stored_keys(engine) == ["VNUx+OK1"]
    [(_key, stored_reason, _excerpt)] = rejections(engine)
    assert stored_reason.startswith(reason)


def test_j4_nul_in_a_rejected_items_key_reason_and_raw_payload_is_stored_escaped(engine) -> None:
    """J4: what the catalog keeps of a rejected item — key, reason, raw excerpt — is escaped
    the same way on both backends (``\\u0000``), never refused."""
    odd = Rejected(
        reason="start: unparseable date 'TBA\x00' \ud800",
        key="r\x009",
        raw={"start": "TBA\x00", "name": "lone \ud800", "note": "Giáo dục"},
    )
    harvest(engine, odd, course("VNUx+OK1"))
    assert stored_keys(engine) == ["VNUx+OK1"]
    [(key, reason, excerpt)] = rejections(engine)
    assert key == "r\\u00009"
    assert reason == "start: unparseable date 'TBA\\u0000' \\ud800"
    assert excerpt == '{"start": "TBA\\u0000", "name": "lone \\ud800", "note": "Giáo dục"}'
    assert json.loads(excerpt)["start"] == "TBA\x00"


def test_j4_a_deletion_whose_key_no_course_can_have_is_rejected_not_queried(engine) -> None:
    """J4: a source's deletion of ``"a\\x00b"`` or of a lone surrogate would make PostgreSQL
    (or the driver) refuse the page's lookup of that key: it is rejected instead, and the page
    lands, the same on both backends."""
    from connectors.records import Withdrawn

    ingestor = harvest(
        engine, Withdrawn("oai:hou:\x001"), Withdrawn("oai:\udc80"), course("VNUx+OK1")
    )
    assert stored_keys(engine) == ["VNUx+OK1"]
    assert sorted(reason for _key, reason, _excerpt in rejections(engine)) == [
        "deletion: key: contains a NUL character",
        "deletion: key: contains a lone surrogate ('\\udc80' at character 4), which is not text",
    ]
    assert ingestor.tally.deleted_unknown == 0 and ingestor.tally.rejected == 2
