"""``/exchange/{audience}.json``: the JSON export's document for one audience, streamed.

The same schema and the same course documents as ``moocx export --format json --audience``
(:mod:`catalog.present.export_json`): the courses offered to the audience's students, each
with only their offers — and, since this is published, only the courses and offers of the
institutions ``[publish]`` consents to. Written as it is read, in chunks, inside one read-only
transaction that the response holds until its last byte (or until the client goes away: the
server closes the iterator, which ends the transaction).
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import Engine

from catalog.present.course_document import CourseDocument
from catalog.present.document_json import DocumentJson
from catalog.present.documents import course_documents, institutions
from catalog.present.export_json import SCHEMA
from catalog.present.publish.settings import PublishSettings
from catalog.store.db import read_only

#: Bytes gathered before a chunk is sent: few enough writes, little memory.
CHUNK = 64 * 1024
_dump = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def published(course: CourseDocument, settings: PublishSettings) -> CourseDocument | None:
    """The course with only its published offers; None when nothing of it is published."""
    if not settings.publishes(course.institution):
        return None
    offers = tuple(o for o in course.offers if settings.publishes(o.offering))
    if not offers:
        return None
    return course if len(offers) == len(course.offers) else replace(course, offers=offers)


def exchange_json(
    engine: Engine, settings: PublishSettings, audience: str, *, now: datetime
) -> Generator[bytes, None, None]:
    """The audience's exchange document, in UTF-8 chunks of about :data:`CHUNK` bytes."""
    with read_only(engine) as conn:
        consented = [
            i for i in institutions(conn) if settings.publishes(i["id"]) or i["id"] == audience
        ]
        parts = [
            '{"schema":' + _dump(SCHEMA),
            ',"generated_at":' + _dump(now.astimezone(UTC).isoformat()),
            ',"institutions":' + _dump(consented),
            ',"courses":[',
        ]
        size, first = 0, True
        as_json = DocumentJson().course
        for document in course_documents(conn, audience=audience, include_withdrawn=False):
            course = published(document, settings)
            if course is None:
                continue
            text = ("" if first else ",") + "\n" + _dump(as_json(course))
            first = False
            parts.append(text)
            size += len(text)
            if size >= CHUNK:
                yield "".join(parts).encode()
                parts, size = [], 0
        parts.append("\n]}\n")
        yield "".join(parts).encode()
