"""``/oai``, ``/moochub/courses`` and ``/feeds/{audience}.atom``: requests handed to the
renderers of :mod:`catalog.present.publish`, each inside one read-only transaction.

OAI-PMH list pages are rendered one page ahead of their harvester (:mod:`.readahead`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import falcon
from sqlalchemy import Engine

from catalog.present.publish.atom import atom_feed
from catalog.present.publish.moochub import moochub_response
from catalog.present.publish.oai_provider import EarliestCache, oai_response
from catalog.present.publish.response import PublishResponse
from catalog.present.publish.settings import PublishSettings
from catalog.store.db import read_only
from scheduler.web.middleware import MAX_BODY
from scheduler.web.readahead import ReadAhead

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
_FORM = "application/x-www-form-urlencoded"


def arguments(query: str, body: str = "") -> dict[str, list[str]]:
    """Every argument with all its values, query string first, then the form."""
    args: dict[str, list[str]] = {}
    for text in (query, body):
        for key, value in parse_qsl(text, keep_blank_values=True, errors="replace"):
            args.setdefault(key, []).append(value)
    return args


def answer(resp: falcon.Response, response: Any) -> None:
    """A :class:`~catalog.present.publish.response.PublishResponse` onto Falcon's response."""
    resp.status = falcon.code_to_http_status(response.status)
    resp.content_type = response.content_type
    for name, value in response.headers:
        resp.append_header(name, value)
    resp.data = response.body


class Oai:
    """``GET``/``POST /oai``: the OAI-PMH 2.0 provider."""

    def __init__(self, engine: Engine, settings: PublishSettings, clock: Clock) -> None:
        self.engine, self.settings, self.clock = engine, settings, clock
        self.earliest = EarliestCache()
        #: A list page's next page is rendered while its harvester reads it (readahead.py).
        self.readahead = ReadAhead(self._render)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._respond(resp, arguments(req.query_string))

    on_head = on_get

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        if (req.content_type or "").split(";")[0].strip().lower() != _FORM:
            raise falcon.HTTPUnsupportedMediaType(description=f"OAI-PMH POST requests are {_FORM}")
        body = req.bounded_stream.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            raise falcon.HTTPContentTooLarge(description=f"at most {MAX_BODY} bytes")
        self._respond(resp, arguments(req.query_string, body.decode("utf-8", "replace")))

    def _respond(self, resp: falcon.Response, args: Mapping[str, Sequence[str]]) -> None:
        answer(resp, self.readahead.answer(args))

    def _render(self, args: Mapping[str, Sequence[str]]) -> PublishResponse:
        with read_only(self.engine) as conn:
            now, earliest = self.clock(), self.earliest
            return oai_response(conn, self.settings, args, now=now, earliest=earliest)


class Moochub:
    """``GET /moochub/courses``: MOOChub v3 pages (JSON:API)."""

    def __init__(self, engine: Engine, settings: PublishSettings, clock: Clock) -> None:
        self.engine, self.settings, self.clock = engine, settings, clock

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        args, accept = arguments(req.query_string), req.get_header("Accept")
        with read_only(self.engine) as conn:
            now = self.clock()
            answer(resp, moochub_response(conn, self.settings, args, accept=accept, now=now))

    on_head = on_get

    def on_options(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.status = falcon.HTTP_204
        resp.set_header("Allow", "GET, HEAD, OPTIONS")


class Atom:
    """``GET /feeds/{audience}.atom``: new and changed offers for one audience's students."""

    def __init__(
        self,
        engine: Engine,
        settings: PublishSettings,
        clock: Clock,
        audiences: frozenset[str],
        sites: frozenset[str],
    ) -> None:
        self.engine, self.settings, self.clock = engine, settings, clock
        self.audiences, self.sites = audiences, sites

    def on_get(self, req: falcon.Request, resp: falcon.Response, audience: str) -> None:
        if audience not in self.audiences or not self.settings.publishes_audience(audience):
            raise falcon.HTTPNotFound(description=f"no feed is published for {audience!r}")
        site = f"{self.settings.base_url}/site/{audience}/" if audience in self.sites else None
        with read_only(self.engine) as conn:
            body = atom_feed(conn, self.settings, audience, now=self.clock(), site_url=site)
        resp.content_type = "application/atom+xml"
        resp.data = body

    on_head = on_get
