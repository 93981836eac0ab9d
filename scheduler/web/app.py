"""The ``moocx web`` WSGI app: routes, the resources that are not a protocol, and the wiring.

:func:`create_app` takes an engine opened read-only (``make_engine(url, read_only=True)``):
every request reads inside :func:`catalog.store.db.read_only`, and the engine itself refuses
writes, so no route can ever change the catalog.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import falcon
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from catalog.present.publish.settings import PublishSettings
from catalog.store.db import read_only
from catalog.store.node_secrets import node_secret
from scheduler.config import Config
from scheduler.web.exchange import exchange_json
from scheduler.web.metrics import exposition, registry_for
from scheduler.web.middleware import Guard, problem
from scheduler.web.protocols import Atom, Moochub, Oai
from scheduler.web.site import SiteFiles

log = logging.getLogger(__name__)

#: ``(path, what it is)`` of every endpoint, for ``/`` and the start-up line.
ENDPOINTS = (
    ("/oai", "OAI-PMH 2.0 (oai_dc and more; GET and POST)"),
    ("/moochub/courses", "MOOChub v3 (JSON:API)"),
    ("/feeds/{audience}.atom", "Atom 1.0: new and changed offers per audience"),
    ("/exchange/{audience}.json", "the exchange per audience (schema mooc-exchange/1)"),
    ("/site/{audience}/", "the exported student site"),
    ("/healthz", "200 ok when the catalog answers"),
    ("/metrics", "Prometheus text format"),
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Index:
    def __init__(self, settings: PublishSettings, audiences: list[str], sites: list[str]) -> None:
        self.body = json.dumps(
            {
                "repository": settings.repository_name,
                "node_id": settings.node_id,
                "endpoints": {path: what for path, what in ENDPOINTS},
                "audiences": audiences,
                "sites": sites,
            },
            ensure_ascii=False,
            indent=2,
        )

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_JSON
        resp.text = self.body

    on_head = on_get


class Health:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.cache_control = ["no-store"]
        try:
            with read_only(self.engine) as conn:
                conn.execute(text("SELECT 1")).scalar_one()
        except SQLAlchemyError as exc:
            log.warning("/healthz: the catalog did not answer: %s", exc)
            resp.status = falcon.HTTP_503
            resp.text = "catalog unavailable\n"
            return
        resp.text = "ok\n"

    on_head = on_get


class Metrics:
    def __init__(self, engine: Engine) -> None:
        self.registry, self.requests = registry_for(engine)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = "text/plain; version=0.0.4; charset=utf-8"
        resp.data = exposition(self.registry)

    on_head = on_get


class Exchange:
    def __init__(
        self,
        engine: Engine,
        settings: PublishSettings,
        clock: Callable[[], datetime],
        audiences: frozenset[str],
    ) -> None:
        self.engine, self.settings, self.clock, self.audiences = engine, settings, clock, audiences

    def on_get(self, req: falcon.Request, resp: falcon.Response, audience: str) -> None:
        if audience not in self.audiences or not self.settings.publishes_audience(audience):
            raise falcon.HTTPNotFound(description=f"no exchange is published for {audience!r}")
        resp.content_type = "application/json; charset=utf-8"
        if req.method == "HEAD":
            return
        chunks = exchange_json(self.engine, self.settings, audience, now=self.clock())
        # The first chunk is read here: a failure before any byte is sent is still an error
        # response (a later one cuts the chunked body short, which a client sees as an error).
        resp.stream = _Primed(next(chunks), chunks)

    on_head = on_get

    def on_options(self, req: falcon.Request, resp: falcon.Response, audience: str) -> None:
        resp.status = falcon.HTTP_204
        resp.set_header("Allow", "GET, HEAD, OPTIONS")


class _Primed:
    """A response body whose first chunk is already read; ``close`` (the server calls it when
    the client goes away) closes the generator at once, ending its read transaction."""

    def __init__(self, first: bytes, rest: Generator[bytes, None, None]) -> None:
        self.first, self.rest = first, rest

    def __iter__(self) -> Iterator[bytes]:
        yield self.first
        yield from self.rest

    def close(self) -> None:
        self.rest.close()


def site_folders(config: Config) -> dict[str, Path]:
    """The audience → folder of every site export, when ``[web] site`` serves them."""
    if not config.web.site:
        return {}
    return {e.audience: Path(e.path) for e in config.exports if e.format == "site" and e.audience}


def create_app(
    config: Config,
    engine: Engine,
    *,
    clock: Callable[[], datetime] = _utcnow,
    settings: PublishSettings | None = None,
) -> falcon.App:
    """The app over ``engine`` (opened read-only) publishing as ``[publish]`` says.

    ``settings``: default from the config, signed with the catalog's token key (made at
    start-up by ``moocx web``, with a writable engine: here it is only read)."""
    if settings is None:
        settings = config.publish_settings(node_secret(engine))
    audiences = frozenset(i.id for i in config.institutions if settings.publishes_audience(i.id))
    folders = {a: p for a, p in site_folders(config).items() if a in audiences}
    metrics = Metrics(engine)
    app = falcon.App(middleware=[Guard(metrics.requests, config.web.cors_origins)])
    app.set_error_serializer(problem)
    app.add_error_handler(Exception, _unexpected)
    app.add_route("/", Index(settings, sorted(audiences), sorted(folders)))
    app.add_route("/oai", Oai(engine, settings, clock))
    app.add_route("/moochub/courses", Moochub(engine, settings, clock))
    app.add_route(
        "/feeds/{audience}.atom", Atom(engine, settings, clock, audiences, frozenset(folders))
    )
    app.add_route("/exchange/{audience}.json", Exchange(engine, settings, clock, audiences))
    site = SiteFiles(folders)
    app.add_route("/site/{audience}", site)
    app.add_route("/site/{audience}/{path:path}", site)
    app.add_route("/healthz", Health(engine))
    app.add_route("/metrics", metrics)
    return app


def _unexpected(req: falcon.Request, resp: falcon.Response, ex: Exception, params: Any) -> None:
    """A bug or a failing catalog: logged with its traceback, answered as a bare 500/503."""
    if isinstance(ex, falcon.HTTPError):
        raise ex
    log.error("moocx web: %s %s failed", req.method, req.path, exc_info=ex)
    if isinstance(ex, SQLAlchemyError):
        raise falcon.HTTPServiceUnavailable(description="the catalog did not answer")
    raise falcon.HTTPInternalServerError()
