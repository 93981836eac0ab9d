"""The JSON export (schema ``mooc-exchange/1``), streamed course by course.

The document is written as it is read — courses in batches (catalog.present.documents) — so 100,000
courses never sit in memory at once. Text is UTF-8, not ``\\u`` escapes; times are ISO 8601 with
an offset. ``catalog/present/schema/mooc-exchange-1.schema.json`` describes it; a test validates
every export against it. The export never owns the file it writes: callers pass a text stream.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import Connection, Engine

from catalog.ids import course_id
from catalog.present.course_document import CourseDocument
from catalog.present.document_json import DocumentJson
from catalog.present.documents import IscedLabels, course_documents, institutions
from catalog.store.db import read_only

SCHEMA = "mooc-exchange/1"
SCHEMA_FILE = Path(__file__).with_name("schema") / "mooc-exchange-1.schema.json"

__all__ = ["SCHEMA", "SCHEMA_FILE", "course_id", "write_json"]


#: ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, the encoder built once.
_dump = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def write_json(
    source: Engine | Connection,
    out: TextIO,
    *,
    generated_at: datetime | None = None,
    labels: IscedLabels | None = None,
    courses: Callable[[Iterable[CourseDocument]], Iterable[CourseDocument]] | None = None,
    audience: str | None = None,
) -> int:
    """Write the whole catalog, with its offers, to ``out``; returns the number of courses.

    With ``audience``, one institution's view instead, as the CSV and the site show it: only the
    active courses offered to its students, each with only their offers (the same documents,
    so the same schema). ``courses``, if given, wraps the stream of course documents (the
    export's progress). ``source`` is an engine, or a connection inside the caller's
    :func:`~catalog.store.db.read_only` transaction (the export's progress counts in the same
    snapshot)."""
    generated = (generated_at or datetime.now(UTC)).astimezone(UTC)
    reading = read_only(source) if isinstance(source, Engine) else nullcontext(source)
    with reading as conn:  # one read transaction: a consistent snapshot (catalog/store/db.py)
        out.write('{"schema":' + _dump(SCHEMA))
        out.write(',"generated_at":' + _dump(generated.isoformat()))
        out.write(',"institutions":' + _dump(institutions(conn)))
        out.write(',"courses":[')
        count = 0
        write = out.write
        documents: Iterable[CourseDocument] = course_documents(
            conn,
            audience=audience,
            labels=labels,
            include_withdrawn=audience is None,
        )
        as_json = DocumentJson().course
        for course in courses(documents) if courses else documents:
            write(("," if count else "") + "\n" + _dump(as_json(course)))
            count += 1
        out.write("\n]}\n")
    return count
