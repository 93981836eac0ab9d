"""A loopback HTTP server for tests that need a real socket: timing, streaming and redirects.

``responses`` mocks ``requests`` above the socket, so it cannot show a read timeout, a server that
drips one byte at a time, a body cut short, or which headers really reached a *second* host.
:class:`LoopbackServer` can (shared/RELIABILITY.md (d)): a ``ThreadingHTTPServer`` on
``127.0.0.1``, port 0, served from a daemon thread, whose scenario is chosen by the request path.

Built-in scenarios (every path ignores its query string except where noted):

``/slow``
    Reads the request and never answers within a test's read timeout; it gives up after
    ``slow_seconds`` (or as soon as the server stops), so the suite always ends.
``/drip``
    ``200`` headers at once, then one byte every ``drip_interval`` seconds, ``drip_bytes`` in all.
``/lying-length``
    Declares ``Content-Length: 100``, sends 10 bytes and closes the connection.
``/echo-headers``
    Answers ``200`` with the request headers as a JSON object.
``/redirect?to=/path&status=302``
    Redirects to ``to`` on this same server (a relative ``Location``).
``/redirect-other-host?to=/path&status=302``
    Redirects to ``to`` on the *peer* server, addressed as ``localhost`` instead of
    ``127.0.0.1`` (another origin: other host name and other port). Needs ``peer=``.

Any path can be given canned answers with :meth:`LoopbackServer.route`; every request, whatever
its path, is recorded in :attr:`LoopbackServer.requests` (method, path, headers, body).

Typical use::

    with LoopbackServer() as other, LoopbackServer(peer=other) as server:
        client.request("GET", server.url("/redirect-other-host?to=/echo-headers"))
        assert "Authorization" in server.requests[0].headers
        assert "Authorization" not in other.requests[0].headers

or the :func:`loopback_pair` shortcut, which yields ``(server, other)`` wired that way.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["LoopbackServer", "RecordedRequest", "Reply", "loopback_pair", "serving"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    #: The request target as sent: path plus query string.
    target: str
    #: Header names as sent (``dict`` keeps the last of repeated headers).
    headers: dict[str, str]
    body: bytes = b""

    @property
    def path(self) -> str:
        """The path without its query string."""
        return urlsplit(self.target).path

    def header(self, name: str) -> str | None:
        """A header's value, matched case-insensitively; ``None`` when it was not sent."""
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass(frozen=True)
class Reply:
    """A canned answer for :meth:`LoopbackServer.route`."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        """A JSON answer (``Content-Type: application/json``)."""
        return cls(
            status,
            json.dumps(data).encode("utf-8"),
            {"Content-Type": "application/json", **(headers or {})},
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up on purpose (timeouts, deadlines) are not test failures."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # HTTP/1.0: one request per connection, the body ends when the connection closes.
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        recorded = RecordedRequest(self.command, self.path, dict(self.headers.items()), body)
        owner._record(recorded)
        path = recorded.path
        query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
        replies = owner._next_reply(path)
        try:
            if replies is not None:
                self._send(replies)
            elif path == "/slow":
                self._slow(owner)
            elif path == "/drip":
                self._drip(owner)
            elif path == "/lying-length":
                self._lying_length()
            elif path == "/echo-headers":
                self._send(Reply.json(dict(self.headers.items())))
            elif path == "/redirect":
                self._redirect(query.get("to", "/echo-headers"), query)
            elif path == "/redirect-other-host":
                if owner.peer is None:
                    self._send(Reply(500, b"no peer server configured"))
                else:
                    target = owner.peer.url(query.get("to", "/echo-headers"), host="localhost")
                    self._redirect(target, query)
            else:
                self._send(Reply(404, b'{"detail": "Not found."}', {"Content-Type": "text/json"}))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout or deadline): exactly what some tests provoke

    # -- scenarios --------------------------------------------------------------------------

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        headers = dict(reply.headers)
        if not any(k.lower() == "content-length" for k in headers):
            headers["Content-Length"] = str(len(reply.body))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def _slow(self, owner: LoopbackServer) -> None:
        # Say nothing until the bound runs out (or the server stops), then answer late.
        if owner._stopping.wait(owner.slow_seconds):
            return
        self._send(Reply.json({"late": True}))

    def _drip(self, owner: LoopbackServer) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.flush()
        for _ in range(owner.drip_bytes):
            if owner._stopping.wait(owner.drip_interval):
                return
            self.wfile.write(b" ")
            self.wfile.flush()

    def _lying_length(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "100")
        self.end_headers()
        self.wfile.write(b'{"partial"')
        self.wfile.flush()
        self.close_connection = True

    def _redirect(self, location: str, query: Mapping[str, str]) -> None:
        status = int(query.get("status", "302"))
        self._send(Reply(status, b"", {"Location": location}))


class LoopbackServer:
    """A real HTTP server on ``127.0.0.1`` for one test; a context manager.

    :param peer: the server ``/redirect-other-host`` sends clients to (as ``localhost``).
    :param slow_seconds: how long ``/slow`` stays silent before answering (its bound).
    :param drip_interval: seconds between two bytes of ``/drip``.
    :param drip_bytes: how many bytes ``/drip`` sends in all.
    """

    def __init__(
        self,
        *,
        peer: LoopbackServer | None = None,
        slow_seconds: float = 3.0,
        drip_interval: float = 0.3,
        drip_bytes: int = 20,
    ) -> None:
        self.peer = peer
        self.slow_seconds = slow_seconds
        self.drip_interval = drip_interval
        self.drip_bytes = drip_bytes
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._routes: dict[str, list[Reply]] = {}
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> LoopbackServer:
        """Bind to a free port on 127.0.0.1 and serve from a daemon thread."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"loopback-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; scenarios still running (``/slow``, ``/drip``) end promptly."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("LoopbackServer is not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/", *, host: str = "127.0.0.1") -> str:
        """An absolute URL on this server; ``host="localhost"`` makes it another origin."""
        if not path.startswith("/"):
            path = "/" + path
        return f"http://{host}:{self.port}{path}"

    # -- canned answers ---------------------------------------------------------------------

    def route(self, path: str, *replies: Reply) -> None:
        """Answer ``path`` (query ignored) with ``replies`` in order; the last one repeats.

        A route overrides a built-in scenario of the same path.
        """
        if not replies:
            raise ValueError("route() needs at least one Reply")
        with self._lock:
            self._routes[path] = list(replies)

    def _next_reply(self, path: str) -> Reply | None:
        with self._lock:
            replies = self._routes.get(path)
            if not replies:
                return None
            return replies.pop(0) if len(replies) > 1 else replies[0]

    # -- what the server saw ----------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    def hits(self, path: str | None = None) -> int:
        """How many requests arrived, for ``path`` (query ignored) or in all."""
        return len([r for r in self.requests if path is None or r.path == path])

    def wait_for_hits(self, count: int, path: str | None = None, timeout: float = 5.0) -> bool:
        """Wait until at least ``count`` requests arrived (handlers record them in their thread)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.hits(path) >= count:
                return True
            time.sleep(0.01)
        return self.hits(path) >= count


@contextmanager
def loopback_pair(**options: Any) -> Iterator[tuple[LoopbackServer, LoopbackServer]]:
    """Two servers: ``server`` (127.0.0.1) whose ``/redirect-other-host`` leads to ``other``.

    ``options`` go to both :class:`LoopbackServer` constructors.
    """
    with LoopbackServer(**options) as other, LoopbackServer(peer=other, **options) as server:
        yield server, other


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A request handler of the test's own on ``127.0.0.1`` (a free port), served from daemon
    threads: yields the base URL ``http://127.0.0.1:PORT`` and stops the server on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
