"""A local stand-in for XuetangX (学堂在线), serving bundled sample data for ``moocx demo``.

It behaves like the real platform in the ways a harvester notices (shared/formats §3): the list
is a POST with filters in a JSON body and the page in the query string, 10 courses a page,
``{"success": false, "message": …}`` with a 400 when the ``xtbz`` header is missing, an empty
``product_list`` past the last page, term dates in epoch milliseconds, and brotli-compressed
bodies for clients that accept ``br``.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import brotli

from scheduler.demo.server import DemoRequest, Reply

LIST_PATH = "/api/v1/lms/get_product_list/"
CLASSROOM_PATH = "/api/v1/lms/product/classroom/"
PAGE_SIZE = 10


class XuetangXPlatform:
    """The product list and classroom endpoints over ``{"products": […], "classrooms": {…}}``.

    ``{BASE}`` in the data is replaced by the address the client used, per request.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.products: list[dict[str, Any]] = data["products"]
        self.classrooms: dict[str, Any] = data["classrooms"]

    def __call__(self, request: DemoRequest) -> Reply:
        if request.headers.get("xtbz") != "xt":
            # What public scrapers report: without this header the platform refuses to answer.
            return self._reply(
                request,
                HTTPStatus.BAD_REQUEST,
                {"success": False, "message": "非法请求：缺少 xtbz"},
            )
        if request.method == "POST" and request.path == LIST_PATH:
            return self._product_list(request)
        if request.method == "GET" and request.path == CLASSROOM_PATH:
            return self._classroom(request)
        return self._reply(
            request, HTTPStatus.NOT_FOUND, {"success": False, "message": "Not found"}
        )

    def _product_list(self, request: DemoRequest) -> Reply:
        try:
            page = int(request.query.get("page", ["1"])[0])
            filters = json.loads(request.body or b"{}")
            if not isinstance(filters, dict):
                raise ValueError
        except ValueError:
            return self._reply(
                request, HTTPStatus.BAD_REQUEST, {"success": False, "message": "参数错误"}
            )
        selected = [p for p in self.products if _matches(p, filters)]
        chosen = selected[(page - 1) * PAGE_SIZE : page * PAGE_SIZE] if page >= 1 else []
        payload = {"success": True, "data": {"count": len(selected), "product_list": chosen}}
        return self._reply(request, HTTPStatus.OK, payload)

    def _classroom(self, request: DemoRequest) -> Reply:
        sign = request.query.get("sign", [""])[0]
        terms = self.classrooms.get(sign)
        if terms is None:
            payload = {"success": False, "message": f"课程不存在: {sign}", "data": {}}
            return self._reply(request, HTTPStatus.NOT_FOUND, payload)
        return self._reply(request, HTTPStatus.OK, {"success": True, "data": terms})

    @staticmethod
    def _reply(request: DemoRequest, status: int, payload: Any) -> Reply:
        text = json.dumps(payload, ensure_ascii=False).replace("{BASE}", request.base)
        body = text.encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "Vary": "Accept-Encoding"}
        if "br" in _codings(request.headers.get("accept-encoding", "")):
            body = brotli.compress(body, quality=5)  # the default (11) costs ~20 ms a page
            headers["Content-Encoding"] = "br"
        return status, headers, body


def _codings(header: str) -> set[str]:
    """The content codings an ``Accept-Encoding`` header names (``q=0`` ones left out)."""
    found = set()
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        if params.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            found.add(coding.strip().lower())
    return found


def _matches(product: dict[str, Any], filters: dict[str, Any]) -> bool:
    """The list's filters: any of the ids given, per field; an empty list means no filter."""
    checks = [
        ("classify", [str(c) for c in product.get("classify", [])]),
        ("chief_org", [str(o) for o in product.get("org_ids", [])]),
        ("status", [str(product.get("status"))]),
    ]
    for field, values in checks:
        wanted = filters.get(field) or []
        if wanted and not {str(w) for w in wanted} & set(values):
            return False
    return True
