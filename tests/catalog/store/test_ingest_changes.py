"""The ingest's pure parts: a course's stored fields and hash, the per-course decision of a
page, and the counting of a harvest across pages. No database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from catalog.store.ingest import (
    COURSE_FIELDS,
    RUN_FIELDS,
    HarvestTally,
    content_hash,
    course_values,
)
from catalog.store.ingest.changes import NewCourse, Rewrite, decide
from catalog.store.ingest.stored import StoredCourse
from connectors.records import CourseRecord
from tests.catalog.store.test_ingest import course

HANOI = timezone(timedelta(hours=7))


def test_the_named_fields_are_the_course_and_run_columns_in_order() -> None:
    assert COURSE_FIELDS[:3] == ("title", "short_description", "description")
    assert COURSE_FIELDS[14:] == ("source_modified_at", "mode", "expires", "provenance")
    assert RUN_FIELDS[:3] == ("title", "start", "end") and len(RUN_FIELDS) == 13
    assert RUN_FIELDS[-1] == "payment_frequency"


def test_the_fields_added_later_change_the_hash_only_when_set() -> None:
    """A record without a mode, an expiry or a payment frequency hashes as before they existed
    (an upgraded catalog rewrites nothing); with one, its course is rewritten."""
    from catalog.store.ingest import run_values
    from connectors.records import CourseRun, Origin

    plain = CourseRecord(key="K", title="T")
    assert content_hash(course_values(plain)) == content_hash(course_values(plain)[:15])
    for changed in (
        replace(plain, mode="onsite"),
        replace(plain, expires=datetime(2030, 1, 1, tzinfo=UTC)),
        replace(plain, provenance=(Origin("https://node.example/oai", "oai:node.example:a"),)),
    ):
        assert content_hash(course_values(changed)) != content_hash(course_values(plain))
    run = CourseRun(key="r", price="9.99", currency="EUR")
    monthly = replace(run, payment_frequency="monthly")
    assert content_hash(run_values(run)) == content_hash(run_values(run)[:12])
    assert content_hash(run_values(monthly)) != content_hash(run_values(run))


def test_the_content_hash_is_the_one_every_stored_catalog_holds() -> None:
    """The stored hashes of every catalog depend on this exact text (a change rewrites every
    course once): the fields are hashed as a JSON list, datetimes as UTC instants."""
    record = CourseRecord(
        key="K",
        title="Giáo dục 教育",
        short_description="x",
        subjects=("a", "b"),
        credits=3.0,
        is_free=True,
        modified=datetime(2024, 1, 1, tzinfo=HANOI),
    )
    assert content_hash(course_values(record)) == "fb490737e3f415acb6233074f961fb94"


def test_a_datetime_hashes_as_its_instant_whatever_its_zone() -> None:
    here = course(modified=datetime(2025, 1, 1, 7, tzinfo=HANOI))
    utc = course(modified=datetime(2025, 1, 1, tzinfo=UTC))
    assert content_hash(course_values(here)) == content_hash(course_values(utc))


def _stored(
    record: CourseRecord, *, id: int = 7, status: str = "active", **changes: object
) -> StoredCourse:
    """The row of ``record`` as stored, with ``changes`` to the fields it was stored with."""
    digest = content_hash(course_values(replace(record, **changes)))
    return StoredCourse(record.key, id, digest, record.precedence, status)


def test_a_course_not_stored_is_new_and_indexed() -> None:
    record = course("A")
    changes = decide({"A": record}, {})
    assert changes.results == {"A": "new"}
    fields = course_values(record)
    assert changes.new == [NewCourse("A", fields, content_hash(fields), record.precedence)]
    assert list(changes.indexed) == ["A"] and not changes.rewritten and not changes.touched


@pytest.mark.parametrize(
    ("status", "title", "result", "rewritten", "touched"),
    [
        pytest.param("active", None, "unchanged", False, False, id="same-fields"),
        pytest.param("active", "Old title", "updated", True, False, id="fields-changed"),
        pytest.param("withdrawn", None, "updated", False, True, id="same-fields-withdrawn"),
        pytest.param("withdrawn", "Old title", "updated", True, False, id="changed-withdrawn"),
    ],
)
def test_a_stored_course_is_rewritten_touched_or_unchanged(
    status: str, title: str | None, result: str, rewritten: bool, touched: bool
) -> None:
    record = course("A")
    old = _stored(record, status=status, **({"title": title} if title else {}))
    changes = decide({"A": record}, {"A": old})
    assert changes.results == {"A": result}
    assert bool(changes.rewritten) is rewritten and bool(changes.touched) is touched
    assert ("A" in changes.indexed) is rewritten
    if rewritten:
        fields = course_values(record)
        assert changes.rewritten == [Rewrite(7, fields, content_hash(fields), record.precedence)]


def test_a_lower_precedence_piece_adds_runs_but_never_course_fields() -> None:
    record = course("A", precedence="2024", title="From an older run")
    old = StoredCourse("A", 7, "another hash", "2025", "active")
    changes = decide({"A": record}, {"A": old})
    assert changes.results == {"A": "unchanged"} and not changes.rewritten

    withdrawn = old._replace(status="withdrawn")
    changes = decide({"A": record}, {"A": withdrawn})
    assert changes.results == {"A": "updated"}
    assert changes.touched == {7: "2025"}  # the higher precedence stays


def test_a_run_change_updates_a_stored_course_and_stamps_it_unless_rewritten() -> None:
    same, changed, new = course("A"), course("B"), course("C")
    existing = {
        "A": _stored(same, id=1),
        "B": _stored(changed, id=2, title="Old title"),
    }
    records = {"A": same, "B": changed, "C": new}
    changes = decide(records, existing)
    changes.runs_changed({"A", "B", "C"}, records, existing)
    assert changes.results == {"A": "updated", "B": "updated", "C": "new"}
    assert changes.touched == {1: same.precedence}
    assert [r.id for r in changes.rewritten] == [2]
    assert list(changes.changed()) == [("A", "updated"), ("B", "updated"), ("C", "new")]


def test_a_course_split_across_pages_counts_once() -> None:
    tally = HarvestTally()
    tally.page_written({"A": "new", "B": "unchanged"}, rejected=1, received=3, source_count=3)
    tally.pages += 1
    tally.page_written({"A": "updated", "B": "updated"}, rejected=0, received=2, source_count=2)
    tally.pages += 1
    assert tally.counts() == {"new": 1, "updated": 1}
    assert (tally.rejected, tally.received, tally.source_count) == (1, 5, 5)


def test_a_carried_page_counts_its_keys_unchanged_and_declares_again() -> None:
    tally = HarvestTally()
    tally.page_carried(["A", "B"], source_count=4, declared=10, incremental=False)
    tally.page_carried(["C"], source_count=1, declared=12, incremental=True)
    assert tally.counts() == {"unchanged": 3}
    assert (tally.pages, tally.received, tally.source_count) == (2, 3, 5)
    assert (tally.declared, tally.last_declared, tally.incremental) == ([10, 12], 12, True)
