"""What every response of ``moocx web`` gets, whatever answered it.

``nosniff`` (a served file is never guessed into HTML), a cap on request bodies (the only body
the service reads is an OAI-PMH POST form: a few hundred bytes), CORS on the JSON endpoints
(their clients are browsers on other sites; the XML and the site need none), and the request
metrics, labelled by route template — never by the raw path, which a client chooses.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import falcon

from scheduler.web.metrics import RequestMetrics

#: The largest request body read (an OAI-PMH POST form is far smaller).
MAX_BODY = 64 * 1024
#: The route templates whose responses carry CORS headers.
CORS_PREFIXES = ("/moochub/", "/exchange/")


class Guard:
    """``nosniff``, the body cap, CORS and the request metrics."""

    def __init__(self, metrics: RequestMetrics, cors_origins: Sequence[str]) -> None:
        self.metrics = metrics
        self.any_origin = "*" in cors_origins
        self.origins = frozenset(cors_origins)

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.started = time.perf_counter()
        if (req.content_length or 0) > MAX_BODY:
            raise falcon.HTTPContentTooLarge(
                title="Request body too large", description=f"at most {MAX_BODY} bytes"
            )

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        resp.set_header("X-Content-Type-Options", "nosniff")
        template = req.uri_template if resource is not None else None
        if template and template.startswith(CORS_PREFIXES):
            self._cors(req, resp)
        started = getattr(req.context, "started", None)
        if started is not None:
            self.metrics.observe(
                template or "unmatched",
                req.method,
                falcon.code_to_http_status(resp.status)[:3],
                time.perf_counter() - started,
            )

    def _cors(self, req: falcon.Request, resp: falcon.Response) -> None:
        origin = req.get_header("Origin")
        if self.any_origin:
            resp.set_header("Access-Control-Allow-Origin", "*")
        elif origin in self.origins:
            resp.set_header("Access-Control-Allow-Origin", origin)
            resp.append_header("Vary", "Origin")
        else:
            return
        resp.set_header("Access-Control-Expose-Headers", "Content-Type, Link, Sunset")
        if req.method == "OPTIONS":
            resp.set_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
            resp.set_header("Access-Control-Allow-Headers", "Accept, Content-Type")
            resp.set_header("Access-Control-Max-Age", "86400")


def problem(req: falcon.Request, resp: falcon.Response, exception: falcon.HTTPError) -> None:
    """Every HTTP error as ``application/problem+json`` (RFC 9457): title, status, detail."""
    body: dict[str, Any] = {"title": exception.title, "status": exception.status_code}
    if exception.description:
        body["detail"] = exception.description
    resp.content_type = "application/problem+json"
    resp.text = json.dumps(body, ensure_ascii=False)
