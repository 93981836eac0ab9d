"""MOOChub v3 at ``/moochub/courses``: the published courses as JSON:API pages (pure).

``GET /moochub/courses?page[number]=N&page[size]=M`` (or plain ``page=N``, as xikolo's bridge
is read): live courses of the consented institutions, ordered by feed and key (the
``uq_courses_feed_key`` index gives the order; the page is an offset into it, since page numbers
are MOOChub's protocol). Each item is :func:`~.moochub_item.course_item`.

The answer is ``application/vnd.api+json; moochub-version=3.0.1`` with top-level ``links``
(``self``, ``first``, ``last``, and ``prev``/``next`` where they exist), absolute under
``settings.base_url``. Negotiation on ``Accept``: nothing asked, ``*/*``, or the JSON:API type
without a version or with ``moochub-version`` 3, 3.0 or 3.0.x is served; a client that asks
only for other versions gets 406 ``application/problem+json`` ``Unsupported requested
version``. A bad ``page``/``page[size]`` (not a positive whole number, too long, repeated) is a
400 problem naming the parameter, never a 500; a size above :data:`MAX_PAGE_SIZE` is capped
(the links say the size used).

**A page past the last** is an empty ``data`` with the links, not a 404: the catalog can shrink
between two requests of one harvest (a sync withdraws courses), and a harvester following
``next`` must then see the end of the list — no ``next`` — rather than an error that fails it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection, func, select

from catalog.ids import course_id
from catalog.present.documents import course_documents
from catalog.present.publish import selection
from catalog.present.publish.moochub_item import Source, course_item, public_url, utc_text
from catalog.present.publish.response import PublishResponse
from catalog.present.publish.settings import MAX_PAGE_SIZE, PublishSettings
from catalog.store import tables

MEDIA_TYPE = "application/vnd.api+json"
#: The schema version the items follow (the official ``moochub-schema.json``).
VERSION = "3.0.1"
CONTENT_TYPE = f"{MEDIA_TYPE}; moochub-version={VERSION}"
PROBLEM_TYPE = "application/problem+json"
DEFAULT_PAGE_SIZE = 50

_SERVED_VERSION = re.compile(r"3(?:\.0(?:\.[0-9]{1,4})?)?")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
_OUR_TYPES = frozenset({"*/*", "application/*", MEDIA_TYPE, "application/json"})
_ZERO_Q = re.compile(r"0(?:\.0{0,3})?")
#: The request arguments that name the page, with how the problem names each.
_NUMBER_NAMES, _SIZE_NAME = ("page[number]", "page"), "page[size]"


class _BadParameter(ValueError):
    """A page argument that cannot be served: its name and what is wrong with it."""


def moochub_response(
    conn: Connection,
    settings: PublishSettings,
    args: Mapping[str, Sequence[str]],
    *,
    accept: str | None,
    now: datetime,
) -> PublishResponse:
    """The answer to ``GET /moochub/courses`` with ``args`` (every value of every argument)."""
    refused = negotiate(accept)
    if refused is not None:
        return refused
    try:
        number, size = page_arguments(args)
    except _BadParameter as exc:
        return problem(400, "Bad page parameter", str(exc))
    total = _count(conn, settings)
    last = max(1, -(-total // size))
    rows = _page_rows(conn, settings, (number - 1) * size, size) if number <= last else []
    body = {
        "links": links(settings, number, size, last),
        "data": _items(conn, settings, rows),
        "meta": {"totalItems": total, "totalPages": last, "generated": utc_text(now)},
    }
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return PublishResponse(200, data, CONTENT_TYPE, (("Vary", "Accept"),))


def negotiate(accept: str | None) -> PublishResponse | None:
    """None when ``accept`` lets us answer MOOChub 3.0.1; else the 406 problem.

    A header that names none of our types (``text/html``) is answered anyway, as HTTP allows;
    only a request for our type in versions we do not serve is refused.
    """
    if not accept or not accept.strip():
        return None
    asked: list[str] = []
    for part in accept[:2000].split(",")[:32]:
        media, *parameters = part.split(";")
        values = {}
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            values[name.strip().lower()] = value.strip().strip('"')
        if media.strip().lower() not in _OUR_TYPES or _ZERO_Q.fullmatch(values.get("q", "1")):
            continue
        version = values.get("moochub-version")
        if version is None or _SERVED_VERSION.fullmatch(version):
            return None
        asked.append(version[:16])
    if not asked:
        return None
    detail = f"this node serves MOOChub version {VERSION}; the request asked for " + ", ".join(
        asked
    )
    return problem(406, "Unsupported requested version", detail)


def page_arguments(args: Mapping[str, Sequence[str]]) -> tuple[int, int]:
    """(page number, page size) from ``page[number]`` or ``page``, and ``page[size]``."""
    given = [name for name in _NUMBER_NAMES if args.get(name)]
    if len(given) > 1:
        raise _BadParameter("give the page as page[number] or as page, not both")
    number = _whole(given[0], args[given[0]]) if given else 1
    size = _whole(_SIZE_NAME, args[_SIZE_NAME]) if args.get(_SIZE_NAME) else DEFAULT_PAGE_SIZE
    return number, min(size, MAX_PAGE_SIZE)


def _whole(name: str, values: Sequence[str]) -> int:
    if len(values) != 1:
        raise _BadParameter(f"{name} is given {len(values)} times; give it once")
    value = values[0]
    if not _WHOLE_NUMBER.fullmatch(value) or int(value) < 1:
        raise _BadParameter(f"{name} must be a whole number from 1 to 999999999")
    return int(value)


def problem(status: int, title: str, detail: str) -> PublishResponse:
    """An RFC 9457 problem (``application/problem+json``)."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return PublishResponse(status, json.dumps(body).encode("utf-8"), PROBLEM_TYPE)


def links(settings: PublishSettings, number: int, size: int, last: int) -> dict[str, str]:
    """``self``, ``first``, ``last`` and, where they exist, ``prev`` and ``next``."""
    base = f"{settings.base_url}/moochub/courses?"

    def at(page: int) -> str:
        return base + urlencode({"page[number]": page, "page[size]": size})

    found = {"self": at(number), "first": at(1), "last": at(last)}
    if number > 1:
        found["prev"] = at(min(number - 1, last))
    if number < last:
        found["next"] = at(number + 1)
    return found


def _live(settings: PublishSettings) -> Any:
    return selection.published(settings) & (tables.courses.c.status == "active")


def _count(conn: Connection, settings: PublishSettings) -> int:
    query = select(func.count()).select_from(tables.courses).where(_live(settings))
    return int(conn.execute(query).scalar_one())


def _page_rows(
    conn: Connection, settings: PublishSettings, offset: int, limit: int
) -> list[tuple[int, str]]:
    """(row id, course id) of one page, in (feed, key) order."""
    c = tables.courses.c
    query = (
        select(c.id, c.feed_id, c.key)
        .where(_live(settings))
        .order_by(c.feed_id, c.key)
        .offset(offset)
        .limit(limit)
    )
    return [(row.id, course_id(row.feed_id, row.key)) for row in conn.execute(query)]


def _items(
    conn: Connection, settings: PublishSettings, rows: list[tuple[int, str]]
) -> list[dict[str, Any]]:
    if not rows:
        return []
    documents = {d.id: d for d in course_documents(conn, ids=[row for row, _ in rows])}
    names = {
        inst: str(given.get("en") or next(iter(given.values()), "") or inst)
        for inst, given in selection.institutions(conn, settings)
    }
    f = tables.feeds.c
    query = select(f.id, f.connector, f.base_url).where(f.institution_id.in_(settings.institutions))
    sources = {
        row.id: Source(row.connector, public_url(row.base_url)) for row in conn.execute(query)
    }
    items = []
    for _, public_id in rows:
        document = documents.get(public_id)
        if document is None:  # withdrawn between the two reads of another transaction
            continue
        institution = document.institution or ""
        name = names.get(institution) or institution or settings.repository_name
        items.append(course_item(document, settings, name, sources.get(document.feed)))
    return items
