"""Local stand-ins for the partner platforms, serving bundled sample data on 127.0.0.1.

``moocx demo`` harvests these exactly as it would harvest the real platforms — over HTTP, page by
page — so the demo exercises the whole pipeline with no network. Each platform gets its own
server (its own host:port, as real platforms have), and behaves like the real API in the ways a
harvester notices: page-size caps, absolute ``next`` links built from the ``Host`` header, a 404
past the last page.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit


@dataclass(frozen=True, slots=True)
class DemoRequest:
    """What a platform handler sees of one request."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    #: ``http://host:port`` as the client addressed this server (for absolute links).
    base: str


Reply = tuple[int, dict[str, str], bytes]
Handler = Callable[[DemoRequest], Reply]


def load_sample(name: str) -> Any:
    """A bundled sample data file from ``scheduler/demo/data``."""
    text = resources.files("scheduler.demo").joinpath("data", name).read_text(encoding="utf-8")
    return json.loads(text)


class OpenEdxPlatform:
    """The LMS Courses API over a list of run objects (``{BASE}`` is replaced per request)."""

    MAX_PAGE_SIZE = 100
    DEFAULT_PAGE_SIZE = 10

    def __init__(self, runs: list[dict[str, Any]]) -> None:
        self.set_runs(runs)

    def set_runs(self, runs: list[dict[str, Any]]) -> None:
        """Serve these runs from now on (tests change the catalog between harvests)."""
        self.runs = runs
        self._template = [json.dumps(run, ensure_ascii=False) for run in runs]

    def __call__(self, request: DemoRequest) -> Reply:
        path, query, base = request.path, request.query, request.base
        if request.method != "GET" or path.rstrip("/") != "/api/courses/v1/courses":
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
        body = ('{"results":' + results + ',"pagination":' + json.dumps(pagination) + "}").encode()
        # An ETag, as an LMS behind a caching proxy sends: unchanged pages answer 304.
        etag = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
        if request.headers.get("if-none-match") == etag:
            return HTTPStatus.NOT_MODIFIED, {"ETag": etag}, b""
        return HTTPStatus.OK, {"Content-Type": "application/json", "ETag": etag}, body


def _json(status: int, payload: Any) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode("utf-8")


class _RequestHandler(BaseHTTPRequestHandler):
    server: _PlatformServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, Nagle's algorithm and delayed
    # ACKs add ~40 ms to every loopback request.
    disable_nagle_algorithm = True

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        host, port = _host_port(self.server.server_address)
        length = int(self.headers.get("Content-Length") or 0)
        request = DemoRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
            base=f"http://{self.headers.get('Host') or f'{host}:{port}'}",
        )
        status, headers, body = self.server.platform(request)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the demo prints its own summary; request lines would drown it


class _PlatformServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], platform: Handler) -> None:
        self.platform = platform
        super().__init__(address, _RequestHandler)


class DemoServer:
    """Starts one loopback server per platform; use as a context manager.

    Each platform gets its preferred port, else any free one — or, with ``exact``, its
    preferred port or an ``OSError`` naming it (``moocx demo --serve`` must answer where the
    demo's config points)."""

    def __init__(
        self,
        platforms: dict[str, Handler],
        preferred_ports: dict[str, int] | None = None,
        *,
        exact: bool = False,
    ) -> None:
        self.platforms = platforms
        self.preferred_ports = preferred_ports or {}
        self.exact = exact
        self._servers: dict[str, _PlatformServer] = {}
        self._threads: list[threading.Thread] = []

    def url(self, name: str) -> str:
        host, port = _host_port(self._servers[name].server_address)
        return f"http://{host}:{port}"

    def start(self) -> DemoServer:
        try:
            for name, platform in self.platforms.items():
                self._servers[name] = self._bind(name, platform)
        except BaseException:
            self.stop()
            raise
        for name, server in self._servers.items():
            thread = threading.Thread(target=server.serve_forever, name=f"demo-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _bind(self, name: str, platform: Handler) -> _PlatformServer:
        port = self.preferred_ports.get(name, 0)
        if self.exact:
            try:
                return _PlatformServer(("127.0.0.1", port), platform)
            except OSError as exc:
                raise OSError(
                    exc.errno, f"cannot serve {name} at 127.0.0.1:{port}: {exc.strerror}"
                ) from None
        try:
            return _PlatformServer(("127.0.0.1", port), platform)
        except OSError:
            if not port:
                raise
            return _PlatformServer(("127.0.0.1", 0), platform)

    def stop(self) -> None:
        for server in self._servers.values():
            if self._threads:  # serve_forever is running: shutdown() waits for it to return
                server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _host_port(address: Any) -> tuple[str, int]:
    """An IPv4 server's (host, port) as text and number."""
    host, port = address[:2]
    return (host.decode() if isinstance(host, bytes) else str(host)), int(port)
