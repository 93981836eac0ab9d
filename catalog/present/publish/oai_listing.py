"""ListRecords and ListIdentifiers: keyset pages, resumption tokens, records (pure but for
the reads through :mod:`.selection`).

The first request of a listing fixes its upper bound — ``before`` is the request's time, or
``until`` (made exclusive) when that is earlier — and counts the list once
(``completeListSize``). Each page reads ``page_size + 1`` headers after the last position: the
extra one only says whether a next page exists, so a list whose size is a multiple of the page
size ends without a token. A resumed request's last page carries an empty token with the
cursor and size. Everything a page needs is in its token (:mod:`.oai_tokens`): any process of
the node answers it, and a course a sync changes meanwhile moves past ``before``, delivered by
the next incremental harvest rather than twice (or, for one not yet delivered, never skipped).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from lxml import etree
from sqlalchemy import Connection

from catalog.present.publish import oai_records, oai_xml, selection
from catalog.present.publish.oai_about import read_sources
from catalog.present.publish.oai_ids import oai_identifier
from catalog.present.publish.oai_metadata import PREFIXES
from catalog.present.publish.oai_records import MARK_TEXT
from catalog.present.publish.oai_request import OaiError, OaiRequest
from catalog.present.publish.oai_tokens import Resumption, decode, encode
from catalog.present.publish.oai_xml import sub
from catalog.present.publish.selection import Header, Listing, Position
from catalog.present.publish.settings import PublishSettings


def _start(
    conn: Connection, settings: PublishSettings, request: OaiRequest, now: datetime
) -> Resumption | list[OaiError]:
    """The first page's resumption point: the listing fixed, its size counted."""
    prefix = request.prefix or ""
    if prefix not in PREFIXES:
        return [OaiError("cannotDisseminateFormat", f"metadataPrefix: {prefix} is not offered")]
    before = now if request.before is None else min(now, request.before)
    listing = Listing(request.set_spec, request.since, before)
    size = 0 if request.since is not None and request.since >= before else None
    size = selection.count(conn, settings, listing) if size is None else size
    if size == 0:
        return [OaiError("noRecordsMatch", "no record matches the request")]
    start = Position(datetime.min.replace(tzinfo=before.tzinfo), "", "")
    return Resumption(prefix, listing, start, 0, size, now + settings.token_lifetime)


def list_response(
    conn: Connection,
    settings: PublishSettings,
    request: OaiRequest,
    root: etree._Element,
    now: datetime,
) -> list[OaiError] | str:
    """ListRecords/ListIdentifiers into ``root``, whose records (as text) are returned to be
    spliced where ``root`` holds :data:`~.oai_records.RECORDS_MARK`; the errors instead, if
    any."""
    if request.token is not None:
        resumed = decode(request.token, settings.token_key, now=now)
        if resumed is None or resumed.prefix not in PREFIXES:
            return [OaiError("badResumptionToken", "resumptionToken: not valid, or expired")]
        after: Position | None = resumed.after
        at = resumed
    else:
        started = _start(conn, settings, request, now)
        if isinstance(started, list):
            return started
        after, at = None, started
    headers = selection.page(conn, settings, at.listing, after=after, limit=settings.page_size + 1)
    more = len(headers) > settings.page_size
    headers = headers[: settings.page_size]
    if not headers:
        return [OaiError("noRecordsMatch", "no record left in this list")]
    body = sub(root, request.verb)
    body.append(etree.Comment(MARK_TEXT))
    node = settings.node_id
    if request.verb == "ListIdentifiers":
        found = "".join(
            [oai_records.header(h, oai_identifier(node, h.feed, h.key)) for h in headers]
        )
    else:
        found = _records(conn, settings, at.prefix, headers)
    expires = now + settings.token_lifetime
    _token(
        body, settings, at, headers, more=more, resumed=request.token is not None, expires=expires
    )
    return found


def _records(
    conn: Connection, settings: PublishSettings, prefix: str, headers: Sequence[Header]
) -> str:
    """The page's records as text: its courses' documents read at once."""
    documents = selection.documents(conn, [h for h in headers if not h.deleted])
    sources, node = read_sources(conn, settings), settings.node_id
    return "".join(
        [
            oai_records.record(
                header,
                oai_identifier(node, header.feed, header.key),
                documents.get(header.course_id),
                sources,
                prefix=prefix,
            )
            for header in headers
        ]
    )


def _token(
    body: etree._Element,
    settings: PublishSettings,
    at: Resumption,
    headers: Sequence[Header],
    *,
    more: bool,
    resumed: bool,
    expires: datetime,
) -> None:
    """The page's ``resumptionToken``: the next page's, an empty one on a resumed list's last
    page, none when the whole list fit on its first page."""
    if not more and not resumed:
        return
    element = sub(body, "resumptionToken")
    element.set("completeListSize", str(max(at.size, at.cursor + len(headers))))
    element.set("cursor", str(at.cursor))
    if more:
        nxt = Resumption(
            at.prefix,
            at.listing,
            headers[-1].position,
            at.cursor + len(headers),
            at.size,
            expires,
        )
        element.set("expirationDate", oai_xml.stamp(expires))
        element.text = encode(nxt, settings.token_key)
