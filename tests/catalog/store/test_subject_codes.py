"""Stored ISCED codes (catalog.store.subject_codes): decided by the ingest, once per subject list,
outside the content hash; decided again, with the search index, when the mapping changes — on
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from catalog.derive.subjects import load_subjects
from catalog.store import harvests, subject_codes, tables, textsearch
from catalog.store.db import CatalogBusy, make_engine, read_only
from catalog.store.ingest import Ingestor
from catalog.store.subject_codes import Recoded, SubjectCodes, ensure_codes, stored_signature
from connectors.records import CourseRecord, Page

LEHRAMT = {"Lehramt": "01"}
SUBJECTS = {
    "K1": ("Computer Science",),
    "K2": ("Lehramt",),
    "K3": ("Lehramt", "Mathematics"),
    "K4": ("Computer Science",),
    "K5": (),
}
HASHES = select(tables.courses.c.key, tables.courses.c.content_hash).order_by(tables.courses.c.key)


@pytest.fixture
def catalog(engine):
    harvests.register(
        engine,
        [harvests.InstitutionInfo("vnu", {"vi": "ĐHQGHN"}, "VN", "UTC")],
        [harvests.FeedInfo("vnu", "vnu", "openedx", "https://x")],
    )
    return engine


def harvest(engine, mapping: dict[str, str] | None, **titles: str) -> Ingestor:
    records = tuple(
        CourseRecord(key=key, title=titles.get(key, f"Course {key}"), subjects=subjects)
        for key, subjects in SUBJECTS.items()
    )
    ingestor = Ingestor(engine, "vnu", harvests.start_run(engine, "vnu"), subject_mapping=mapping)
    ingestor.outcome = ingestor.apply(
        Page(items=records, cursor=None, url="https://x/p1", number=1, last=True)
    )
    return ingestor


def codes(engine) -> dict[str, list[str] | None]:
    c = tables.courses.c
    with read_only(engine) as conn:
        return {row.key: row.isced for row in conn.execute(select(c.key, c.isced))}


def found(engine, query: str) -> list[str]:
    with read_only(engine) as conn:
        return sorted(hit.key for hit in textsearch.search(conn, query))


def test_the_ingest_stores_each_courses_codes_with_the_configured_mapping(catalog) -> None:
    ingestor = harvest(catalog, LEHRAMT)
    assert codes(catalog) == {
        "K1": ["06"],
        "K2": ["01"],
        "K3": ["01", "05"],
        "K4": ["06"],
        "K5": [],
    }
    assert ingestor.recoded == Recoded()  # an empty catalog had nothing to decide again
    with read_only(catalog) as conn:
        assert stored_signature(conn) == load_subjects().signature(LEHRAMT)


def test_each_distinct_subject_list_is_mapped_once(catalog, monkeypatch) -> None:
    mapped: list[tuple[str, ...]] = []
    real = SubjectCodes.codes

    def counting(self, subjects):
        mapped.append(tuple(subjects))
        return real(self, subjects)

    monkeypatch.setattr(SubjectCodes, "codes", counting)
    harvest(catalog, LEHRAMT)
    assert sorted(mapped) == sorted(set(SUBJECTS.values()))  # K1 and K4 share one list


def test_the_codes_are_not_part_of_the_content_hash(catalog) -> None:
    harvest(catalog, None)
    with read_only(catalog) as conn:
        hashes = conn.execute(HASHES).all()
    again = harvest(catalog, LEHRAMT)  # a new mapping, the same records
    assert again.outcome.rows_written == 0
    assert again.outcome.unchanged == len(SUBJECTS)
    assert again.recoded == Recoded(courses=5, changed=2)  # K2 and K3 change
    assert codes(catalog)["K2"] == ["01"]
    with read_only(catalog) as conn:
        assert conn.execute(HASHES).all() == hashes


def test_a_changed_mapping_decides_every_course_again_in_batches_with_the_index(
    catalog, monkeypatch
) -> None:
    harvest(catalog, None)
    assert found(catalog, "giao duc") == []  # "Lehramt" maps to nothing yet
    monkeypatch.setattr(subject_codes, "BATCH", 2)
    assert ensure_codes(catalog, LEHRAMT) == Recoded(courses=5, changed=2)
    assert codes(catalog)["K3"] == ["01", "05"]
    assert found(catalog, "giao duc") == ["K2", "K3"]  # the labels of 01 are in the index now
    assert ensure_codes(catalog, LEHRAMT) == Recoded()  # current: nothing decided again
    assert ensure_codes(catalog, {"lehramt": "0113"}) == Recoded()  # the same mapping
    assert ensure_codes(catalog, None) == Recoded(courses=5, changed=2)
    assert found(catalog, "giao duc") == []


def test_courses_without_codes_are_decided_while_the_signature_stays(catalog) -> None:
    harvest(catalog, LEHRAMT)
    with catalog.begin() as conn:
        conn.execute(update(tables.courses).where(tables.courses.c.key == "K2").values(isced=None))
    assert ensure_codes(catalog, LEHRAMT) == Recoded(courses=1, changed=1)
    assert codes(catalog)["K2"] == ["01"]


def test_on_a_connection_it_runs_in_the_callers_transaction(catalog) -> None:
    harvest(catalog, None)
    with catalog.connect() as conn, conn.begin() as transaction:
        assert ensure_codes(conn, LEHRAMT).changed == 2
        assert stored_signature(conn) == load_subjects().signature(LEHRAMT)
        transaction.rollback()
    assert codes(catalog)["K2"] == []
    with read_only(catalog) as conn:
        assert stored_signature(conn) == load_subjects().signature(None)


def test_a_bad_mapping_is_refused_before_anything_is_written(catalog) -> None:
    with pytest.raises(ValueError, match="Lehramt"):
        ensure_codes(catalog, {"Lehramt": "99"})
    with read_only(catalog) as conn:
        assert stored_signature(conn) is None


def test_a_current_catalog_is_checked_without_the_write_lock(catalog, catalog_url) -> None:
    """`moocx course` while a sync holds SQLite's write lock: the check does not queue."""
    harvest(catalog, LEHRAMT)
    if not catalog_url.startswith("sqlite"):
        pytest.skip("the write lock is SQLite's")
    impatient = make_engine(catalog_url, busy_timeout_ms=50)
    with catalog.begin() as writer:  # BEGIN IMMEDIATE: a sync's page in progress
        writer.execute(update(tables.feeds).values(review_reason=None))
        assert ensure_codes(impatient, LEHRAMT) == Recoded()
        with pytest.raises(CatalogBusy):  # a changed mapping has to write, and waits
            ensure_codes(impatient, None)
    impatient.dispose()
