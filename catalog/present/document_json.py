"""A course document as the JSON export writes it (schema mooc-exchange/1).

Times become ISO 8601 text with their offset; an offer's credits and equivalence are objects or
``null``. The keys come in the order the schema lists them, so an export is byte-for-byte the
same for the same catalog; keys added to mooc-exchange/1 later (a run's ``url`` … ``certificate``,
a course's ``credits`` … ``expires``) come after the older ones and are always written, ``null``
when unknown. Each distinct time is formatted once: a harvest stamps thousands of
courses with one ``updated_at`` and a rule gives every offer the same window.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from catalog.memo import CACHE_MAX
from catalog.present.course_document import CourseDocument, OfferDocument


class TimeText:
    """``moment → "2026-01-05T00:00:00+07:00"`` (None stays None), each distinct one formatted
    once. Equal instants in two zones print apart, so the memo is not keyed by equality: it is
    keyed by the datetime object itself (documents share one object per stored value,
    :class:`catalog.present.document_values.Times`), and each entry keeps its object alive so
    the identity cannot be reused while it is remembered. Called for every time of every
    document, so the memo is a plain dict read inline, bounded like :class:`catalog.memo.Memo`.
    """

    __slots__ = ("_texts",)

    def __init__(self) -> None:
        self._texts: dict[int, tuple[datetime, str]] = {}

    def __call__(self, moment: datetime | None) -> str | None:
        if moment is None:
            return None
        texts = self._texts
        entry = texts.get(id(moment))
        if entry is not None and entry[0] is moment:
            return entry[1]
        if len(texts) >= CACHE_MAX:
            texts.clear()
        text = moment.isoformat()
        texts[id(moment)] = (moment, text)
        return text


class DocumentJson:
    """``course → dict`` for :func:`json.dumps`, remembering the times it has formatted."""

    __slots__ = ("_time",)

    def __init__(self) -> None:
        self._time = TimeText()

    def course(self, doc: CourseDocument) -> dict[str, Any]:
        time = self._time
        return {
            "id": doc.id,
            "institution": doc.institution,
            "feed": doc.feed,
            "key": doc.key,
            "title": doc.title,
            "language": doc.language,
            "short_description": doc.short_description,
            "description": doc.description,
            "url": doc.url,
            "image_url": doc.image_url,
            "organization": doc.organization,
            "subjects": list(doc.subjects),
            "subjects_isced": [
                {"code": s.code, "labels": dict(s.labels)} for s in doc.subjects_isced
            ],
            "level": doc.level,
            "effort": doc.effort,
            "pacing": doc.pacing,
            "status": doc.status,
            "is_free": doc.is_free,
            "certificate": doc.certificate,
            "runs": [
                {
                    "key": run.key,
                    "start": time(run.start),
                    "end": time(run.end),
                    "enrollment_start": time(run.enrollment_start),
                    "enrollment_end": time(run.enrollment_end),
                    "pacing": run.pacing,
                    "url": run.url,
                    "availability": run.availability,
                    "is_free": run.is_free,
                    "price": run.price,
                    "currency": run.currency,
                    "payment_frequency": run.payment_frequency,
                    "certificate": run.certificate,
                }
                for run in doc.runs
            ],
            "offers": [self.offer(offer) for offer in doc.offers],
            "first_seen": time(doc.first_seen),
            "updated_at": time(doc.updated_at),
            "credits": doc.credits,
            "mode": doc.mode,
            "modified": time(doc.modified),
            "expires": time(doc.expires),
        }

    def offer(self, offer: OfferDocument) -> dict[str, Any]:
        credits, equivalence = offer.credits, offer.equivalence
        return {
            "audience": offer.audience,
            "offering": offer.offering,
            "run": offer.run,
            "whole_course": offer.whole_course,
            "rule": offer.rule,
            "term": offer.term,
            "application_start": self._time(offer.application_start),
            "application_end": self._time(offer.application_end),
            "open_now": offer.open_now,
            "seats": offer.seats,
            "notes": offer.notes,
            "notes_by_language": (
                dict(offer.notes_by_language) if offer.notes_by_language is not None else None
            ),
            "credits": None
            if credits is None
            else {
                "host": credits.host,
                "host_system": credits.host_system,
                "home": credits.home,
                "home_system": credits.home_system,
                "source": credits.source,
            },
            "equivalence": None
            if equivalence is None
            else {
                "status": equivalence.status,
                "home_course": equivalence.home_course,
                "valid_terms": list(equivalence.valid_terms),
            },
        }
