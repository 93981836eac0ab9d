"""The loopback feed server: every page rendered into memory first, then served as bytes.

``python -m bench.server --n 20000 [--formats openedx,xuetangx,oaipmh,moochub] [--cpu 0]`` binds
127.0.0.1 (a free port), renders the catalog of :mod:`bench.feedgen` in the asked formats and
prints one JSON line (``{"port": …, "formats": {…}}``) when it is ready; it serves until
SIGTERM. Routes, exactly as our connectors ask:

* ``GET /api/courses/v1/courses/?page_size=100`` then ``?page=N&page_size=100`` (Open edX), with
  an ``ETag`` per page and ``304`` for a matching ``If-None-Match`` (switch off with
  ``GET /_bench/etag?on=0``: an LMS without a caching proxy);
* ``POST /api/v1/lms/get_product_list/?page=N`` (``xtbz: xt`` required, 400 without) and
  ``GET /api/v1/lms/product/classroom/?sign=…`` (XuetangX);
* ``GET /oai?verb=Identify``, ``?verb=ListRecords&metadataPrefix=oai_dc[&from=…]`` and
  ``?verb=ListRecords&resumptionToken=…`` (OAI-PMH, 100 records a page; a ``from`` later than
  every datestamp answers ``noRecordsMatch``);
* ``GET /courses`` then ``links.next`` (MOOChub v3).

``GET /_bench/manifest?format=F`` lists every request of one full harvest (for the transport
floor, which must parse nothing) and ``/_bench/health`` answers ``ok``. Nothing is computed per
request beyond a dict look-up, except ``from`` pages, sliced from pre-rendered records once per
distinct ``from``.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import os
import socket
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

from bench import feedgen

FORMATS = ("openedx", "xuetangx", "oaipmh", "moochub")
OPENEDX_PATH = "/api/courses/v1/courses/"
XUETANGX_LIST = "/api/v1/lms/get_product_list/"
XUETANGX_CLASSROOM = "/api/v1/lms/product/classroom/"
OAI_PATH = "/oai"
MOOCHUB_PATH = "/courses"
JSON = "application/json"
XML = "text/xml; charset=utf-8"

Reply = tuple[int, str, bytes, dict[str, str]]


class Catalog:
    """Every page of every asked format, as bytes, for one base URL."""

    def __init__(self, n: int, base: str, formats: tuple[str, ...], seed: int = feedgen.SEED):
        self.n = n
        self.base = base
        self.formats = formats
        self.etag_on = True
        self.lock = threading.Lock()
        self.response_date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        courses = feedgen.make_courses(n, seed)
        self.runs = sum(len(c.runs) for c in courses)
        self.openedx: list[bytes] = []
        self.openedx_etags: list[str] = []
        self.xuetangx: list[bytes] = []
        self.classrooms: dict[str, bytes] = {}
        self.oai_records: list[bytes] = []
        self.oai_stamps: list[str] = []
        self.oai_pages: dict[int, list[bytes]] = {}
        self.moochub: list[bytes] = []
        if "openedx" in formats:
            self.openedx = feedgen.openedx_pages(courses, base)
            self.openedx_etags = [
                f'"{hashlib.blake2b(p, digest_size=12).hexdigest()}"' for p in self.openedx
            ]
        if "xuetangx" in formats:
            self.xuetangx = feedgen.xuetangx_pages(courses)
            self.classrooms = {c.sign: feedgen.xuetangx_classroom(c) for c in courses}
        if "oaipmh" in formats:
            self.oai_records = [feedgen.oai_record(c) for c in courses]
            self.oai_stamps = [feedgen.iso_z(c.modified) or "" for c in courses]  # ascending
            self.oai_pages[0] = self._render_oai(0)
            self.identify = feedgen.oai_identify(
                response_date=self.response_date, base_url=self.oai_url
            )
        if "moochub" in formats:
            self.moochub = feedgen.moochub_pages(courses, base)

    @property
    def oai_url(self) -> str:
        return self.base + OAI_PATH

    def stats(self) -> dict[str, Any]:
        """Pages and bytes per format (printed when the server is ready)."""
        pages = {
            "openedx": self.openedx,
            "xuetangx": self.xuetangx,
            "oaipmh": self.oai_pages.get(0, []),
            "moochub": self.moochub,
        }
        out: dict[str, Any] = {}
        for name in self.formats:
            size = sum(map(len, pages[name]))
            out[name] = {
                "pages": len(pages[name]),
                "bytes": size,
                "bytes_per_course": round(size / max(1, self.n)),
            }
        if "openedx" in out:
            out["openedx"]["runs"] = self.runs
            out["openedx"]["bytes_per_run"] = round(out["openedx"]["bytes"] / max(1, self.runs))
        return out

    # --- OAI-PMH ---

    def _render_oai(self, first: int) -> list[bytes]:
        """The ListRecords pages of the records from index ``first`` on (a ``from`` harvest)."""
        records = self.oai_records[first:]
        total, pages = len(records), []
        for start in range(0, total, feedgen.OAI_PAGE):
            number = start // feedgen.OAI_PAGE
            last = start + feedgen.OAI_PAGE >= total
            if number == 0:
                request = 'verb="ListRecords" metadataPrefix="oai_dc"'
            else:
                request = f'verb="ListRecords" resumptionToken="{first}.{number}"'
            pages.append(
                feedgen.oai_list_page(
                    records[start : start + feedgen.OAI_PAGE],
                    response_date=self.response_date,
                    base_url=self.oai_url,
                    request=request,
                    token=None if last else f"{first}.{number + 1}",
                    cursor=start,
                    total=total,
                    last=last,
                )
            )
        return pages

    def oai_list(self, first: int, number: int) -> bytes:
        with self.lock:
            pages = self.oai_pages.get(first)
            if pages is None:
                pages = self.oai_pages[first] = self._render_oai(first)
        if not pages:
            return self.oai_error("noRecordsMatch", "No records match the request")
        if 0 <= number < len(pages):
            return pages[number]
        return self.oai_error("badResumptionToken", "The resumptionToken is invalid or expired")

    def oai_error(self, code: str, message: str) -> bytes:
        return feedgen.oai_error(
            code, message, response_date=self.response_date, base_url=self.oai_url
        )

    def oai(self, q: dict[str, str]) -> bytes:
        verb = q.get("verb")
        if verb == "Identify":
            return self.identify
        if verb != "ListRecords":
            return self.oai_error("badVerb", f"verb {verb!r} is not supported here")
        token = q.get("resumptionToken")
        if token is not None:
            first, _, number = token.partition(".")
            if not (first.isdigit() and number.isdigit()):
                return self.oai_error("badResumptionToken", "The resumptionToken is invalid")
            return self.oai_list(int(first), int(number))
        if q.get("metadataPrefix") != "oai_dc":
            return self.oai_error("cannotDisseminateFormat", "Only oai_dc is served")
        since = q.get("from")
        first = bisect.bisect_left(self.oai_stamps, _seconds(since)) if since else 0
        return self.oai_list(first, 0)

    # --- routing ---

    def reply(self, method: str, path: str, query: str, headers: Any) -> Reply:
        q = {k: v[-1] for k, v in parse_qs(query).items()}
        if path == OPENEDX_PATH and self.openedx and method == "GET":
            return self._openedx(q, headers)
        if path == XUETANGX_LIST and self.xuetangx:
            if headers.get("xtbz") != "xt":
                return 400, JSON, feedgen.dumps({"success": False, "message": "非法请求"}), {}
            page = _int(q.get("page", "1"))
            if method != "POST" or page is None or page < 1:
                return 400, JSON, feedgen.dumps({"success": False, "message": "参数错误"}), {}
            if page <= len(self.xuetangx):
                return 200, JSON, self.xuetangx[page - 1], {}
            return 200, JSON, feedgen.xuetangx_past_end(self.n), {}
        if path == XUETANGX_CLASSROOM and self.classrooms:
            body = self.classrooms.get(q.get("sign", ""))
            if body is None:
                return 404, JSON, feedgen.dumps({"success": False, "message": "课程不存在"}), {}
            return 200, JSON, body, {}
        if path == OAI_PATH and self.oai_records:
            return 200, XML, self.oai(q), {}
        if path == MOOCHUB_PATH and self.moochub:
            page = _int(q.get("page", "1"))
            if page is None or not 1 <= page <= len(self.moochub):
                return 404, JSON, b'{"errors":[{"title":"Not found"}]}', {}
            return 200, "application/vnd.api+json", self.moochub[page - 1], {}
        if path == "/_bench/health":
            return 200, "text/plain", b"ok", {}
        if path == "/_bench/etag":
            self.etag_on = q.get("on", "1") == "1"
            return 200, "text/plain", b"etag on" if self.etag_on else b"etag off", {}
        if path == "/_bench/manifest":
            return 200, JSON, feedgen.dumps(self.manifest(q.get("format", ""))), {}
        return 404, "text/plain", b"not found", {}

    def _openedx(self, q: dict[str, str], headers: Any) -> Reply:
        page, size = _int(q.get("page", "1")), q.get("page_size", str(feedgen.OPENEDX_PAGE))
        if size != str(feedgen.OPENEDX_PAGE):
            message = f"the bench serves page_size={feedgen.OPENEDX_PAGE} only"
            return 400, JSON, feedgen.dumps({"developer_message": message}), {}
        if page is None or not 1 <= page <= len(self.openedx):
            return 404, JSON, b'{"developer_message":"Invalid page."}', {}
        if not self.etag_on:
            return 200, JSON, self.openedx[page - 1], {}
        etag = self.openedx_etags[page - 1]
        if headers.get("If-None-Match") == etag:
            return 304, JSON, b"", {"ETag": etag}
        return 200, JSON, self.openedx[page - 1], {"ETag": etag}

    def manifest(self, fmt: str) -> list[list[str]]:
        """``[method, url]`` of every request of a full harvest of ``fmt``, in order."""
        if fmt == "openedx":
            first = f"{self.base}{OPENEDX_PATH}?page_size={feedgen.OPENEDX_PAGE}"
            rest = [feedgen.openedx_url(self.base, p) for p in range(2, len(self.openedx) + 1)]
            return [["GET", u] for u in [first, *rest]]
        if fmt == "xuetangx":
            return [
                ["POST", f"{self.base}{XUETANGX_LIST}?page={p}"]
                for p in range(1, len(self.xuetangx) + 1)
            ]
        if fmt == "oaipmh":
            urls = [
                self.oai_url + "?" + urlencode({"verb": "ListRecords", "metadataPrefix": "oai_dc"})
            ]
            for number in range(1, len(self.oai_pages[0])):
                query = urlencode({"verb": "ListRecords", "resumptionToken": f"0.{number}"})
                urls.append(f"{self.oai_url}?{query}")
            return [["GET", u] for u in urls]
        if fmt == "moochub":
            return [
                ["GET", feedgen.moochub_url(self.base, p)] for p in range(1, len(self.moochub) + 1)
            ]
        return []


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _seconds(value: str) -> str:
    """An OAI ``from`` (day or seconds granularity) comparable with the stored datestamps."""
    return value if "T" in value else value + "T00:00:00Z"


class Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive; headers and body leave in one ``sendall``."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    catalog: ClassVar[Catalog]

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        parts = urlsplit(self.path)
        status, ctype, body, extra = self.catalog.reply(
            self.command, parts.path, parts.query, self.headers
        )
        reason = {200: "OK", 304: "Not Modified", 400: "Bad Request"}.get(status, "Not Found")
        head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in extra.items())
        head += f"Content-Length: {len(body)}\r\n\r\n"
        self.wfile.write(head.encode("latin-1") + body)

    do_GET = do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, required=True, help="courses")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--cpu", type=int, default=None, help="pin the server to this CPU")
    parser.add_argument("--seed", type=int, default=feedgen.SEED)
    args = parser.parse_args(argv)
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    formats = tuple(f for f in args.formats.split(",") if f)
    unknown = set(formats) - set(FORMATS)
    if unknown:
        parser.error(f"unknown formats: {', '.join(sorted(unknown))}")
    started = time.perf_counter()
    server = Server(("127.0.0.1", args.port), Handler)
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    port = server.server_address[1]
    Handler.catalog = Catalog(args.n, f"http://127.0.0.1:{port}", formats, args.seed)
    ready = {
        "port": port,
        "n": args.n,
        "runs": Handler.catalog.runs,
        "render_s": round(time.perf_counter() - started, 3),
        "response_date": Handler.catalog.response_date,
        "formats": Handler.catalog.stats(),
    }
    print(json.dumps(ready), flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
