"""The one HTTP client every connector uses.

Why a client of our own around ``requests.Session`` rather than urllib3's ``Retry``: a harvester
needs limits that ``requests`` does not give by default, and they must hold for the *body* too,
not just the headers (see shared/RELIABILITY.md, rows N1–N14):

* connect and read timeouts **and** a total deadline per attempt, checked while the body streams
  (a server that drips one byte every few seconds never trips a read timeout);
* bounded retries with exponential backoff and jitter on connection errors, 408, 429 and 5xx,
  honouring ``Retry-After`` (seconds or HTTP date) — and refusing to sleep past a cap;
* a cap on the *decoded* body size enforced while streaming, so a gzip bomb never fills memory;
* redirects followed by hand: at most ``max_redirects``, http(s) only, never https → http, and
  credentials sent only to the origin they belong to;
* a ``User-Agent`` naming the project, ``trust_env`` off so ``~/.netrc`` never leaks credentials;
* URLs redacted in every message, secrets never in logs or exception text.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
import urllib3.exceptions

from connectors.errors import (
    BadResponseError,
    FeedError,
    HttpStatusError,
    ResponseTooLarge,
    RetriesExhausted,
    TransientFeedError,
    WrongEndpointError,
)
from connectors.http_settings import HttpSettings
from connectors.netcause import NetFailure, explain
from connectors.redact import redact_url  # connectors import it from here too
from connectors.version import USER_AGENT

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: Caller headers never sent to another origin than the request's first URL.
_CREDENTIAL_HEADER = re.compile(r"(auth|cookie|token|key|secret|password|signature)", re.I)
_THROTTLE_HINT = re.compile(r"available in (\d+(?:\.\d+)?) seconds?", re.I)


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A fully read response whose body stayed within the size cap."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()


class AuthProvider(Protocol):
    """Supplies credential headers for requests to its own origin."""

    def headers(self, http: HttpClient) -> dict[str, str]: ...

    def invalidate(self) -> None: ...


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with default ports filled in: what credentials are bound to."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class _DeadlineExceeded(Exception):
    pass


def sleep_for(seconds: float, stop: threading.Event | None = None) -> bool | None:
    """How the client waits between retries: True when ``stop`` was set meanwhile.

    Looked up at call time, so tests can replace it with a no-op.
    """
    if stop is not None:
        return stop.wait(seconds)
    time.sleep(seconds)
    return False


class _ManualRedirectSession(requests.Session):
    """A session that never looks at redirects: :class:`HttpClient` follows them by hand.

    Even with ``allow_redirects=False``, ``Session.send`` prepares the next hop and reads the
    redirect response's *whole* body (``resp.content``) to do so, past the size cap and the
    deadline, and raises a bare ``ValueError`` on a malformed ``Location``.
    """

    def get_redirect_target(self, resp: requests.Response) -> None:
        return None


class HttpClient:
    """Requests with limits, for one feed. Thread-compatible, not thread-safe."""

    def __init__(
        self,
        settings: HttpSettings | None = None,
        *,
        feed_id: str = "",
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings or HttpSettings()
        self.feed_id = feed_id
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 -- jitter, not cryptography
        self._stop = stop
        self._last_request_at: float | None = None
        self.session = _ManualRedirectSession()
        self.session.trust_env = False
        self.session.headers["User-Agent"] = USER_AGENT
        if self.settings.proxy:
            self.session.proxies = {"http": self.settings.proxy, "https": self.settings.proxy}
        #: Number of HTTP requests sent, retries and redirects included.
        self.requests_sent = 0

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API -------------------------------------------------------------------------

    def get_json(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: AuthProvider | None = None,
    ) -> Any:
        """GET ``url`` and decode its body as strict UTF-8 JSON."""
        response = self.request("GET", url, params=params, headers=headers, auth=auth)
        return decode_json(response, feed_id=self.feed_id)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | str | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: AuthProvider | None = None,
        accept_statuses: frozenset[int] = frozenset(),
    ) -> HttpResponse:
        """Send one logical request: retried, redirected and size-capped as the settings say.

        Returns a 2xx response, or one whose status is in ``accept_statuses`` (304 for a
        conditional GET). Raises :class:`TransientFeedError` subclasses when retries ran out and
        :class:`~connectors.errors.FatalFeedError` subclasses for answers that will not change.
        """
        s = self.settings
        if params:
            url = _with_params(url, params)
        attempt = 0
        refreshed_auth = False
        while True:
            try:
                response = self._send_following_redirects(
                    method, url, data=data, json_body=json_body, headers=headers, auth=auth
                )
            except RetriesExhausted:
                raise  # already retried where it happened (a token request)
            except TransientFeedError as exc:
                if attempt >= s.max_retries:
                    raise RetriesExhausted(
                        f"{self._prefix()}{exc} (gave up after {_attempts(attempt + 1)})",
                        url=exc.url,
                        cause=exc.cause,
                    ) from None
                delay = self._backoff(attempt)
                log.warning("%s%s; retrying in %.1f s", self._prefix(), exc, delay)
                self._pause(delay)
                attempt += 1
                continue

            status = response.status
            if 200 <= status < 300 or status in accept_statuses:
                return response
            if status == 401 and auth is not None and not refreshed_auth:
                # A token may expire between our check and the server's; fetch a new one once.
                log.info("%s401 from %s; fetching a new token", self._prefix(), redact_url(url))
                auth.invalidate()
                refreshed_auth = True
                continue
            if status in RETRY_STATUSES:
                wait = self._server_wait(response)
                if wait is not None and wait > s.retry_after_max:
                    raise TransientFeedError(
                        f"{self._prefix()}HTTP {status} from {redact_url(response.url)}: the "
                        f"server asks to wait {wait:.0f} s, more than the "
                        f"{s.retry_after_max:.0f} s this feed may wait (http.retry_after_max); "
                        "the run stops here and the next one tries again",
                        url=response.url,
                        status=status,
                    )
                if attempt >= s.max_retries:
                    raise RetriesExhausted(
                        f"{self._prefix()}HTTP {status} from {redact_url(response.url)} "
                        f"(gave up after {_attempts(attempt + 1)}){_body_hint(response)}",
                        url=response.url,
                        status=status,
                    )
                delay = wait if wait is not None else self._backoff(attempt)
                log.warning(
                    "%sHTTP %s from %s; retrying in %.1f s",
                    self._prefix(),
                    status,
                    redact_url(response.url),
                    delay,
                )
                self._pause(delay)
                attempt += 1
                continue
            raise HttpStatusError(
                f"{self._prefix()}HTTP {status} from {redact_url(response.url)}"
                f"{_body_hint(response)}",
                url=response.url,
                status=status,
            )

    # -- internals --------------------------------------------------------------------------

    def _prefix(self) -> str:
        return f"feed {self.feed_id}: " if self.feed_id else ""

    def _backoff(self, attempt: int) -> float:
        s = self.settings
        base = min(s.backoff_max, s.backoff_base * (2**attempt))
        return base * (0.5 + self._rng.random() / 2)  # "equal jitter": between base/2 and base

    def _server_wait(self, response: HttpResponse) -> float | None:
        wait = parse_retry_after(response.headers.get("Retry-After"))
        if wait is None and response.status == 429:
            # Open edX rebuilds its 429 response and loses DRF's Retry-After header; the
            # wait survives only in the message ("Expected available in 37 seconds.").
            match = _THROTTLE_HINT.search(response.content[:2000].decode("utf-8", "replace"))
            if match:
                wait = float(match.group(1))
        return wait

    def _pause(self, seconds: float) -> None:
        if self._stop is not None:
            # The stop event does the waiting, so a shutdown never sits out a long Retry-After.
            if sleep_for(seconds, self._stop):
                raise TransientFeedError(f"{self._prefix()}stopped while waiting to retry")
        else:
            (self._sleep or sleep_for)(seconds)

    def _respect_min_interval(self) -> None:
        interval = self.settings.min_interval
        if interval > 0 and self._last_request_at is not None:
            wait = self._last_request_at + interval - self._clock()
            if wait > 0:
                self._pause(wait)
        self._last_request_at = self._clock()

    def _send_following_redirects(
        self,
        method: str,
        url: str,
        *,
        data: Mapping[str, Any] | str | None,
        json_body: Any,
        headers: Mapping[str, str] | None,
        auth: AuthProvider | None,
    ) -> HttpResponse:
        s = self.settings
        auth_origin = origin(url)
        current = url
        for _hop in range(s.max_redirects + 1):
            scheme = urlsplit(current).scheme
            if scheme not in ("http", "https"):
                raise BadResponseError(
                    f"{self._prefix()}refusing to fetch {redact_url(current)}: only http and "
                    "https URLs are followed",
                    url=current,
                )
            merged = dict(headers or {})
            if origin(current) != auth_origin:
                # Caller-supplied credentials belong to the first origin too (requests itself
                # drops Authorization on a cross-host redirect; we follow redirects by hand).
                merged = {k: v for k, v in merged.items() if not _CREDENTIAL_HEADER.search(k)}
            elif auth is not None:
                merged.update(auth.headers(self))
            response = self._send_once(
                method, current, data=data, json_body=json_body, headers=merged
            )
            if response.status not in (301, 302, 303, 307, 308):
                return response
            location = response.headers.get("Location")
            if not location:
                return response
            try:
                target = urljoin(current, location)
                origin(target)  # a Location with a bad port or host must not escape as ValueError
            except ValueError:
                raise BadResponseError(
                    f"{self._prefix()}{redact_url(current)} redirects to an invalid URL",
                    url=current,
                ) from None
            if urlsplit(current).scheme == "https" and urlsplit(target).scheme == "http":
                raise BadResponseError(
                    f"{self._prefix()}refusing redirect from {redact_url(current)} to "
                    f"{redact_url(target)}: it downgrades https to http",
                    url=current,
                )
            if origin(target) != auth_origin and auth is not None:
                log.info(
                    "%sredirect to another origin (%s); credentials are not sent there",
                    self._prefix(),
                    redact_url(target),
                )
            if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                method, data, json_body = "GET", None, None
            if (data is not None or json_body is not None) and origin(target) != auth_origin:
                # 307/308 would re-send the body (a token request carries the client secret).
                raise BadResponseError(
                    f"{self._prefix()}refusing to re-send a request body from "
                    f"{redact_url(current)} to another origin ({redact_url(target)})",
                    url=current,
                )
            current = target
        raise BadResponseError(
            f"{self._prefix()}more than {s.max_redirects} redirects starting at {redact_url(url)}",
            url=url,
        )

    def _send_once(
        self,
        method: str,
        url: str,
        *,
        data: Mapping[str, Any] | str | None,
        json_body: Any,
        headers: Mapping[str, str],
    ) -> HttpResponse:
        s = self.settings
        self._respect_min_interval()
        started = self._clock()
        self.requests_sent += 1
        try:
            raw = self.session.request(
                method,
                url,
                data=data,
                json=json_body,
                headers=headers,
                timeout=(s.connect_timeout, s.read_timeout),
                allow_redirects=False,
                stream=True,
            )
        except (requests.Timeout, requests.ConnectionError) as exc:
            failure = self._explain(exc, url)
            raise TransientFeedError(
                failure.message(redact_url(url)), url=url, cause=failure.cause
            ) from None
        except requests.RequestException as exc:
            raise BadResponseError(
                f"request to {redact_url(url)} failed ({type(exc).__name__})", url=url
            ) from None
        try:
            content = self._read_capped(raw, url, started)
        finally:
            raw.close()
        return HttpResponse(url=url, status=raw.status_code, headers=raw.headers, content=content)

    def _read_capped(self, raw: requests.Response, url: str, started: float) -> bytes:
        s = self.settings
        cap = s.max_response_bytes
        declared = raw.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise ResponseTooLarge(
                f"{self._prefix()}response from {redact_url(url)} declares {int(declared)} bytes, "
                f"more than the {cap}-byte cap (http.max_response_bytes)",
                url=url,
            )
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                if self._clock() - started > s.deadline:
                    raise _DeadlineExceeded
                chunk = raw.raw.read1(65536, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > cap:
                    raise ResponseTooLarge(
                        f"{self._prefix()}response from {redact_url(url)} grew past the "
                        f"{cap}-byte cap (http.max_response_bytes) while decoding; refused",
                        url=url,
                    )
                chunks.append(chunk)
        except _DeadlineExceeded:
            raise TransientFeedError(
                f"{redact_url(url)} took longer than the {s.deadline:.0f} s deadline "
                "(http.deadline)",
                url=url,
            ) from None
        except FeedError:
            raise
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            # Truncated bodies (IncompleteRead), resets mid-body, read timeouts while streaming
            # and corrupt compressed data all land here; a partial body is never parsed.
            failure = self._explain(exc, url)
            raise TransientFeedError(
                f"reading the body of {redact_url(url)} failed: {failure.text}",
                url=url,
                cause=failure.cause,
            ) from None
        return b"".join(chunks)

    def _explain(self, exc: BaseException, url: str) -> NetFailure:
        """The readable cause of a request's failure (connectors/netcause.py)."""
        try:
            parts = urlsplit(url)
            host, port = parts.hostname or "", parts.port
        except ValueError:
            host, port = "<unparseable URL>", None
        return explain(
            exc,
            host=host,
            port=port,
            connect_timeout=self.settings.connect_timeout,
            read_timeout=self.settings.read_timeout,
        )


def decode_json(response: HttpResponse, *, feed_id: str = "", api: str | None = None) -> Any:
    """Strictly decode a JSON body: UTF-8 (BOM allowed), never guessed, never an HTML page.

    ``api`` names what should have answered ("the Open edX Courses API") in the message an HTML
    page gets: a login page, a portal's home page or a maintenance notice where the API should
    be almost always means a wrong ``base_url``.
    """
    prefix = f"feed {feed_id}: " if feed_id else ""
    where = redact_url(response.url)
    if is_html(response):
        raise WrongEndpointError(
            f"{prefix}{where} answered {describe_html(response)}, not "
            f"{f'the {api}' if api else 'JSON'}: is base_url the API root (or is the site down "
            "for maintenance)?",
            url=response.url,
            status=response.status,
        )
    try:
        text = response.content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadResponseError(
            f"{prefix}{where} is not valid UTF-8 at byte {exc.start} (the declared charset does "
            "not match the bytes); nothing from this response was stored",
            url=response.url,
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadResponseError(
            f"{prefix}{where} returned invalid JSON ({exc.msg} at line {exc.lineno} column "
            f"{exc.colno})",
            url=response.url,
        ) from None


def is_html(response: HttpResponse) -> bool:
    """An HTML page, by its Content-Type or by its first bytes (servers mislabel them)."""
    head = response.content[:512].lstrip().lower()
    return response.content_type in ("text/html", "application/xhtml+xml") or head.startswith(
        (b"<!doctype html", b"<html")
    )


def describe_html(response: HttpResponse) -> str:
    """``an HTML page (HTTP 200, text/html, "Sign in")``: what a person needs to recognise it."""
    facts = [f"HTTP {response.status}", response.content_type or "no type"]
    title = _page_title(response.content)
    if title:
        facts.append(f'"{title}"')
    return f"an HTML page ({', '.join(facts)})"


def _with_params(url: str, params: Mapping[str, Any]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, str(v)) for k, v in params.items() if v is not None]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _attempts(n: int) -> str:
    return f"{n} attempt{'s' if n != 1 else ''}"


def _body_hint(response: HttpResponse) -> str:
    content = response.content[:4000]
    try:
        data = json.loads(content)
    except ValueError:
        return _html_title(content)
    if isinstance(data, dict):
        for key in ("developer_message", "detail", "message", "error_description", "error"):
            if isinstance(data.get(key), str):
                return f": {data[key][:200]}"
    return ""


def _html_title(content: bytes) -> str:
    title = _page_title(content)
    return f' ("{title}")' if title else ""


def _page_title(content: bytes) -> str | None:
    match = re.search(rb"<title[^>]*>(.*?)</title>", content[:8192], re.I | re.S)
    title = " ".join(match.group(1).decode("utf-8", "replace").split()) if match else ""
    return title[:120] or None


def conditional_headers(validators: Mapping[str, Any] | None) -> dict[str, str]:
    """``If-None-Match`` / ``If-Modified-Since`` from what a previous response said."""
    headers: dict[str, str] = {}
    if validators:
        if validators.get("etag"):
            headers["If-None-Match"] = str(validators["etag"])
        if validators.get("last_modified"):
            headers["If-Modified-Since"] = str(validators["last_modified"])
    return headers


def response_validators(response: HttpResponse) -> dict[str, str] | None:
    """The ``ETag`` and ``Last-Modified`` of a response, for the next conditional request."""
    found = {
        "etag": response.headers.get("ETag"),
        "last_modified": response.headers.get("Last-Modified"),
    }
    return {k: v for k, v in found.items() if v} or None
