"""Course documents for tests: from the JSON export's shape, and back.

Tests write a course the way a reader sees it in ``catalog.json`` (a dict, times as ISO text or
datetimes) and the exports take typed :class:`CourseDocument` values: :func:`document` turns
one into the other, with the JSON schema's defaults for what a test leaves out.
:func:`as_json` is the export's own conversion, for tests that compare documents as dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from catalog.present.course_document import (
    CourseDocument,
    Credits,
    Equivalence,
    OfferDocument,
    RunDocument,
    Subject,
)
from catalog.present.document_json import DocumentJson
from catalog.present.document_values import json_object


def as_json(doc: CourseDocument) -> dict[str, Any]:
    return DocumentJson().course(doc)


def as_json_all(docs: Iterable[CourseDocument]) -> list[dict[str, Any]]:
    convert = DocumentJson().course
    return [convert(doc) for doc in docs]


def moment(value: Any) -> datetime | None:
    """ISO text or a datetime as an aware datetime (naive means UTC)."""
    if value is None or value == "":
        return None
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(found, datetime), value
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def document(d: Mapping[str, Any]) -> CourseDocument:
    """A course written as the JSON export has it → the typed document."""
    key = str(d.get("key") or "")
    feed = str(d.get("feed") or "feed")
    return CourseDocument(
        id=str(d.get("id") or ""),
        institution=d.get("institution"),
        feed=feed,
        key=key,
        title=d.get("title") or "",
        language=d.get("language"),
        short_description=d.get("short_description"),
        description=d.get("description"),
        url=d.get("url"),
        image_url=d.get("image_url"),
        organization=d.get("organization"),
        subjects=tuple(d.get("subjects") or ()),
        subjects_isced=tuple(
            Subject(str(s["code"]), dict(s.get("labels") or {}))
            for s in d.get("subjects_isced") or ()
        ),
        level=d.get("level"),
        effort=d.get("effort"),
        pacing=d.get("pacing"),
        status=d.get("status") or "active",
        is_free=d.get("is_free"),
        certificate=d.get("certificate"),
        runs=tuple(run(r) for r in d.get("runs") or ()),
        offers=tuple(offer(o) for o in d.get("offers") or ()),
        first_seen=moment(d.get("first_seen")),
        updated_at=moment(d.get("updated_at")),
        credits=d.get("credits"),
        modified=moment(d.get("modified")),
        mode=d.get("mode"),
        expires=moment(d.get("expires")),
    )


def run(r: Mapping[str, Any]) -> RunDocument:
    return RunDocument(
        key=str(r.get("key") or ""),
        start=moment(r.get("start")),
        end=moment(r.get("end")),
        enrollment_start=moment(r.get("enrollment_start")),
        enrollment_end=moment(r.get("enrollment_end")),
        pacing=r.get("pacing"),
        url=r.get("url"),
        availability=r.get("availability"),
        is_free=r.get("is_free"),
        price=r.get("price"),
        currency=r.get("currency"),
        payment_frequency=r.get("payment_frequency"),
        certificate=r.get("certificate"),
    )


def offer(o: Mapping[str, Any]) -> OfferDocument:
    credits, equivalence = o.get("credits"), o.get("equivalence")
    return OfferDocument(
        audience=str(o.get("audience") or ""),
        offering=str(o.get("offering") or ""),
        run=o.get("run"),
        whole_course=bool(o.get("whole_course", o.get("run") is None)),
        rule=str(o.get("rule") or ""),
        term=o.get("term"),
        application_start=moment(o.get("application_start")),
        application_end=moment(o.get("application_end")),
        open_now=bool(o.get("open_now")),
        seats=o.get("seats"),
        notes=o.get("notes"),
        notes_by_language=json_object(o.get("notes_by_language")),
        credits=None
        if not credits
        else Credits(
            host=credits.get("host"),
            host_system=credits.get("host_system"),
            home=credits.get("home"),
            home_system=credits.get("home_system"),
            source=credits.get("source"),
        ),
        equivalence=None
        if not equivalence
        else Equivalence(
            status=str(equivalence.get("status") or ""),
            home_course=equivalence.get("home_course"),
            valid_terms=tuple(equivalence.get("valid_terms") or ()),
        ),
    )


def documents(ds: Iterable[Mapping[str, Any] | CourseDocument]) -> Iterator[CourseDocument]:
    """Each dict as a document, one at a time (a streamed export reads them one by one);
    documents already typed pass through."""
    for d in ds:
        yield d if isinstance(d, CourseDocument) else document(d)
