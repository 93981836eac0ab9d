"""Each stored column lands in its own field of the course document.

The documents are built positionally from rows read positionally (catalog.present.documents):
a row whose every column holds a different value must give a document whose every field holds
the value of the column it is named after — two swapped arguments fail here, whatever their
types."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from catalog.present import documents
from catalog.present.course_document import (
    CourseDocument,
    Credits,
    Equivalence,
    OfferDocument,
    RunDocument,
)
from catalog.present.document_values import OfferValues, Subjects, Times
from connectors.records import Origin

_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
_TIMES = {  # each time column its own instant, stored as SQLite returns it
    name: (datetime(2026, 1, 1) + timedelta(days=n)).isoformat(sep=" ")
    for n, name in enumerate(
        (
            "start",
            "end",
            "enrollment_start",
            "enrollment_end",
            "first_seen_at",
            "updated_at",
            "application_start",
            "application_end",
            "source_modified_at",
            "expires",
        )
    )
}


def _row(columns: tuple[str, ...], special: dict[str, Any]) -> tuple[Any, ...]:
    """A row with a distinct value in every column: ``special`` ones, times, else the name."""
    return tuple(special.get(name, _TIMES.get(name, f"<{name}>")) for name in columns)


def _utc(column: str) -> datetime:
    return datetime.fromisoformat(_TIMES[column]).replace(tzinfo=UTC)


def _context() -> documents._Context:
    return documents._Context(
        institution_of={"<feed_id>": "<institution>"},
        zones={"<offering>": _ZONE},
        times=Times(),
        subjects=Subjects(lambda code: {"en": f"label {code}"}),
        offer_values=OfferValues(),
    )


def _field_names(cls: type) -> list[str]:
    return [f.name for f in fields(cls)]


def test_every_run_column_lands_in_its_field() -> None:
    keys: dict[int, str] = {}
    row = _row(documents._RUN_COLUMNS, {"course_id": 1, "id": 7})
    run = documents._run(row, keys, Times())
    assert _field_names(RunDocument) == [
        c for c in documents._RUN_COLUMNS if c not in ("course_id", "id")
    ]
    for name in _field_names(RunDocument):
        expected = _utc(name) if name in _TIMES else f"<{name}>"
        assert getattr(run, name) == expected, name
    assert keys == {7: "<key>"}


def test_every_offer_column_lands_in_its_field() -> None:
    special = {
        "course_id": 1,
        "run_id": 7,
        "open_now": 1,
        "seats": 25,
        "notes_i18n": '{"vi": "<notes vi>"}',
        "host_credits": 3.0,
        "home_credits": 2.5,
        "equivalence_terms": '["<term a>", "<term b>"]',
    }
    row = _row(documents._OFFER_COLUMNS, special)
    offer = documents._offer(row, {7: "<run key>"}, _context())
    zoned = {
        name: _utc(name).astimezone(_ZONE) for name in ("application_start", "application_end")
    }
    expected = {
        "audience": "<audience>",
        "offering": "<offering>",
        "run": "<run key>",
        "whole_course": False,
        "rule": "<rule>",
        "term": "<term>",
        **zoned,
        "open_now": True,
        "seats": 25,
        "notes": "<notes>",
        "notes_by_language": {"vi": "<notes vi>"},
        "credits": Credits(3.0, "<host_system>", 2.5, "<home_system>", "<credits_source>"),
        "equivalence": Equivalence(
            "<equivalence_status>", "<equivalence_home_course>", ("<term a>", "<term b>")
        ),
    }
    assert {name: getattr(offer, name) for name in _field_names(OfferDocument)} == expected
    assert offer.application_start is not None and offer.application_start.tzinfo is _ZONE
    credits = offer.credits
    assert credits is not None
    assert (credits.host, credits.host_system, credits.home, credits.home_system) == (
        3.0,
        "<host_system>",
        2.5,
        "<home_system>",
    )
    assert credits.source == "<credits_source>"


def test_every_course_column_lands_in_its_field() -> None:
    special = {"id": 1, "subjects": '["<subject>"]', "isced": '["06"]', "is_free": True}
    special["credits"] = 4.5
    special["certificate"] = False
    special["provenance"] = [
        {
            "base_url": "https://node.example/oai",
            "identifier": "<provenance>",
            "datestamp": "2026-01-02T03:04:05Z",
            "harvested": None,
            "metadata_namespace": None,
            "altered": True,
        }
    ]
    row = _row(documents._COURSE_COLUMNS, special)
    run = RunDocument("<run>", None, None, None, None, None)
    offer = documents._offer(
        _row(
            documents._OFFER_COLUMNS,
            {"course_id": 1, "run_id": None, "notes_i18n": None, "equivalence_terms": "[]"},
        ),
        {},
        _context(),
    )
    course = documents._course(row, (run,), (offer,), _context())
    derived = {
        "id": "<feed_id>:<key>",
        "institution": "<institution>",
        "feed": "<feed_id>",
        "subjects": ("<subject>",),
        "is_free": True,
        "certificate": False,
        "runs": (run,),
        "offers": (offer,),
        "first_seen": _utc("first_seen_at"),
        "updated_at": _utc("updated_at"),
        "credits": 4.5,
        "modified": _utc("source_modified_at"),
        "expires": _utc("expires"),
        "provenance": (
            Origin(
                "https://node.example/oai",
                "<provenance>",
                datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            ),
        ),
    }
    for name in _field_names(CourseDocument):
        if name == "subjects_isced":
            assert [(s.code, dict(s.labels)) for s in course.subjects_isced] == [
                ("06", {"en": "label 06"})
            ]
            continue
        assert getattr(course, name) == derived.get(name, f"<{name}>"), name
    assert offer.whole_course and offer.run is None
