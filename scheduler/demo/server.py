"""Local stand-ins for the partner platforms, serving bundled sample data on 127.0.0.1.

``moocx demo`` harvests these exactly as it would harvest the real platforms — over HTTP, page by
page — so the demo exercises the whole pipeline with no network. Each platform gets its own
server (its own host:port, as real platforms have), and behaves like the real API in the ways a
harvester notices: page-size caps, absolute ``next`` links built from the ``Host`` header, a 404
past the last page.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

Handler = Callable[[str, dict[str, list[str]], str], tuple[int, dict[str, str], bytes]]


def load_sample(name: str) -> Any:
    """A bundled sample data file from ``scheduler/demo/data``."""
    text = resources.files("scheduler.demo").joinpath("data", name).read_text(encoding="utf-8")
    return json.loads(text)


class OpenEdxPlatform:
    """The LMS Courses API over a list of run objects (``{BASE}`` is replaced per request)."""

    MAX_PAGE_SIZE = 100
    DEFAULT_PAGE_SIZE = 10

    def __init__(self, runs: list[dict[str, Any]]) -> None:
        self.runs = runs
        self._template = [json.dumps(run, ensure_ascii=False) for run in runs]

    def __call__(
        self, path: str, query: dict[str, list[str]], base: str
    ) -> tuple[int, dict[str, str], bytes]:
        if path.rstrip("/") != "/api/courses/v1/courses":
            return _json(HTTPStatus.NOT_FOUND, {"detail": "Not found."})
        try:
            page = int(query.get("page", ["1"])[0])
            size = min(int(query.get("page_size", [self.DEFAULT_PAGE_SIZE])[0]), self.MAX_PAGE_SIZE)
        except ValueError:
            return _json(
                HTTPStatus.BAD_REQUEST, {"developer_message": "Invalid page or page_size."}
            )
        org = query.get("org", [None])[0]
        selected = [
            i for i, run in enumerate(self.runs) if org is None or run["org"].lower() == org.lower()
        ]
        pages = max(1, -(-len(selected) // size))
        if page < 1 or page > pages or size < 1:
            return _json(HTTPStatus.NOT_FOUND, {"developer_message": "Invalid page."})
        chosen = selected[(page - 1) * size : page * size]
        results = "[" + ",".join(self._template[i].replace("{BASE}", base) for i in chosen) + "]"

        def link(n: int) -> str | None:
            if n < 1 or n > pages:
                return None
            params = {k: v[0] for k, v in query.items()}
            params["page"] = str(n)
            return f"{base}/api/courses/v1/courses/?{urlencode(params)}"

        pagination = {
            "next": link(page + 1),
            "previous": link(page - 1),
            "count": len(selected),
            "num_pages": pages,
        }
        body = '{"results":' + results + ',"pagination":' + json.dumps(pagination) + "}"
        return HTTPStatus.OK, {"Content-Type": "application/json"}, body.encode("utf-8")


def _json(status: int, payload: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode("utf-8")


class _RequestHandler(BaseHTTPRequestHandler):
    server: _PlatformServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        host, port = self.server.server_address[:2]
        base = f"http://{self.headers.get('Host') or f'{host}:{port}'}"
        status, headers, body = self.server.platform(parts.path, parse_qs(parts.query), base)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the demo prints its own summary; request lines would drown it


class _PlatformServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], platform: Handler) -> None:
        self.platform = platform
        super().__init__(address, _RequestHandler)


class DemoServer:
    """Starts one loopback server per platform; use as a context manager."""

    def __init__(
        self, platforms: dict[str, Handler], preferred_ports: dict[str, int] | None = None
    ) -> None:
        self.platforms = platforms
        self.preferred_ports = preferred_ports or {}
        self._servers: dict[str, _PlatformServer] = {}
        self._threads: list[threading.Thread] = []

    def url(self, name: str) -> str:
        host, port = self._servers[name].server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> DemoServer:
        for name, platform in self.platforms.items():
            server = None
            port = self.preferred_ports.get(name, 0)
            for candidate in (port, 0) if port else (0,):
                try:
                    server = _PlatformServer(("127.0.0.1", candidate), platform)
                    break
                except OSError:
                    continue
            assert server is not None
            self._servers[name] = server
            thread = threading.Thread(target=server.serve_forever, name=f"demo-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
