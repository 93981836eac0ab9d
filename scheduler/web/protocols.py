"""``/oai``, ``/moochub/courses`` and ``/feeds/{audience}.atom``: requests handed to the
renderers of :mod:`catalog.present.publish`, each inside one read-only transaction.

The renderers are found when the app is built (:func:`renderer`): a build without one of them
answers its endpoint with a 503 problem instead of failing to start.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import falcon
from sqlalchemy import Engine

from catalog.present.publish.settings import PublishSettings
from catalog.store.db import read_only
from scheduler.web.middleware import MAX_BODY

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
_FORM = "application/x-www-form-urlencoded"


def renderer(module: str, name: str) -> Any | None:
    """``catalog.present.publish.<module>.<name>``, or None when this build lacks it."""
    try:
        return getattr(importlib.import_module(f"catalog.present.publish.{module}"), name)
    except (ImportError, AttributeError) as exc:
        log.warning(
            "moocx web: %s.%s is not available (%s); its endpoint answers 503", module, name, exc
        )
        return None


def _require(function: Any, what: str) -> Any:
    if function is None:
        raise falcon.HTTPServiceUnavailable(
            title="Endpoint not available", description=f"{what} is not part of this build"
        )
    return function


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
        self.render = renderer("oai_provider", "oai_response")
        cache = renderer("oai_provider", "EarliestCache")
        self.earliest = None if cache is None else cache()

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
        render = _require(self.render, "OAI-PMH")
        with read_only(self.engine) as conn:
            answer(
                resp, render(conn, self.settings, args, now=self.clock(), earliest=self.earliest)
            )


class Moochub:
    """``GET /moochub/courses``: MOOChub v3 pages (JSON:API)."""

    def __init__(self, engine: Engine, settings: PublishSettings, clock: Clock) -> None:
        self.engine, self.settings, self.clock = engine, settings, clock
        self.render = renderer("moochub", "moochub_response")

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        render = _require(self.render, "MOOChub")
        args = arguments(req.query_string)
        with read_only(self.engine) as conn:
            answer(
                resp,
                render(
                    conn, self.settings, args, accept=req.get_header("Accept"), now=self.clock()
                ),
            )

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
        self.render = renderer("atom", "atom_feed")

    def on_get(self, req: falcon.Request, resp: falcon.Response, audience: str) -> None:
        if audience not in self.audiences or not self.settings.publishes_audience(audience):
            raise falcon.HTTPNotFound(description=f"no feed is published for {audience!r}")
        render = _require(self.render, "Atom")
        site = f"{self.settings.base_url}/site/{audience}/" if audience in self.sites else None
        with read_only(self.engine) as conn:
            body = render(conn, self.settings, audience, now=self.clock(), site_url=site)
        resp.content_type = "application/atom+xml"
        resp.data = body

    on_head = on_get
