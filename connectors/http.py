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

The client and its request loop live here; its parts have modules of their own:
:mod:`~connectors.http_settings` (the limits), :mod:`~connectors.http_retry` (when and how long
to wait), :mod:`~connectors.http_redirects` (each hop's rules), :mod:`~connectors.http_body`
(the capped, deadlined body) and :mod:`~connectors.http_response` (JSON, HTML pages, conditional
GET). Connectors import all of their names from here.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from connectors.errors import (
    BadResponseError,
    HttpStatusError,
    RetriesExhausted,
    TransientFeedError,
)
from connectors.feedlog import FeedLog, feed_prefix
from connectors.http_body import explain_failure, read_capped
from connectors.http_redirects import (
    Hop,
    follow,
    origin,
    redirect_target,
    refuse_unfetchable,
    without_credentials,
)
from connectors.http_response import (
    HttpResponse,
    body_hint,
    conditional_headers,
    decode_json,
    describe_html,
    is_html,
    response_validators,
)
from connectors.http_retry import RETRY_STATUSES, attempts, backoff, parse_retry_after, server_wait
from connectors.http_settings import HttpSettings
from connectors.redact import redact_url  # connectors import it from here too
from connectors.version import USER_AGENT

__all__ = [
    "RETRY_STATUSES",
    "AuthProvider",
    "HttpClient",
    "HttpResponse",
    "HttpSettings",
    "conditional_headers",
    "decode_json",
    "describe_html",
    "is_html",
    "origin",
    "parse_retry_after",
    "redact_url",
    "response_validators",
    "sleep_for",
]

log = logging.getLogger(__name__)

Body = Mapping[str, Any] | str | None


class AuthProvider(Protocol):
    """Supplies credential headers for requests to its own origin."""

    def headers(self, http: HttpClient) -> dict[str, str]: ...

    def invalidate(self) -> None: ...


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
        self.log = FeedLog(log, feed_id)
        self._prefix = feed_prefix(feed_id)
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
        data: Body = None,
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
        first = Hop(method, _with_params(url, params) if params else url, data, json_body)
        attempt = 0
        refreshed_auth = False
        while True:
            try:
                response = self._send_following_redirects(first, headers or {}, auth)
            except RetriesExhausted:
                raise  # already retried where it happened (a token request)
            except TransientFeedError as exc:
                self._wait_after_failure(exc, attempt)
                attempt += 1
                continue
            status = response.status
            if 200 <= status < 300 or status in accept_statuses:
                return response
            if status == 401 and auth is not None and not refreshed_auth:
                # A token may expire between our check and the server's; fetch a new one once.
                self.log.info("401 from %s; fetching a new token", redact_url(first.url))
                auth.invalidate()
                refreshed_auth = True
                continue
            if status not in RETRY_STATUSES:
                raise HttpStatusError(
                    f"{self._prefix}HTTP {status} from {redact_url(response.url)}"
                    f"{body_hint(response)}",
                    url=response.url,
                    status=status,
                )
            self._wait_after_status(response, attempt)
            attempt += 1

    # -- retries ----------------------------------------------------------------------------

    def _wait_after_failure(self, exc: TransientFeedError, attempt: int) -> None:
        """Wait before retrying a request that failed on the way (no connection, a timeout, a
        body cut short); :class:`RetriesExhausted` when no retry is left."""
        if attempt >= self.settings.max_retries:
            raise RetriesExhausted(
                f"{self._prefix}{exc} (gave up after {attempts(attempt + 1)})",
                url=exc.url,
                cause=exc.cause,
            ) from None
        delay = backoff(self.settings, attempt, self._rng)
        self.log.warning("%s; retrying in %.1f s", exc, delay)
        self._pause(delay)

    def _wait_after_status(self, response: HttpResponse, attempt: int) -> None:
        """Wait before retrying a 408, 429 or 5xx answer, as long as the server asks if it
        says; refuses a wait past ``retry_after_max`` and a retry past ``max_retries``."""
        s, status, where = self.settings, response.status, redact_url(response.url)
        wait = server_wait(response)
        if wait is not None and wait > s.retry_after_max:
            raise TransientFeedError(
                f"{self._prefix}HTTP {status} from {where}: the server asks to wait {wait:.0f} s, "
                f"more than the {s.retry_after_max:.0f} s this feed may wait "
                "(http.retry_after_max); the run stops here and the next one tries again",
                url=response.url,
                status=status,
            )
        if attempt >= s.max_retries:
            raise RetriesExhausted(
                f"{self._prefix}HTTP {status} from {where} "
                f"(gave up after {attempts(attempt + 1)}){body_hint(response)}",
                url=response.url,
                status=status,
            )
        delay = wait if wait is not None else backoff(s, attempt, self._rng)
        self.log.warning("HTTP %s from %s; retrying in %.1f s", status, where, delay)
        self._pause(delay)

    def _pause(self, seconds: float) -> None:
        if self._stop is not None:
            # The stop event does the waiting, so a shutdown never sits out a long Retry-After.
            if sleep_for(seconds, self._stop):
                raise TransientFeedError(f"{self._prefix}stopped while waiting to retry")
        else:
            (self._sleep or sleep_for)(seconds)

    def _respect_min_interval(self) -> None:
        interval = self.settings.min_interval
        if interval > 0 and self._last_request_at is not None:
            wait = self._last_request_at + interval - self._clock()
            if wait > 0:
                self._pause(wait)
        self._last_request_at = self._clock()

    # -- one attempt ------------------------------------------------------------------------

    def _send_following_redirects(
        self, first: Hop, headers: Mapping[str, str], auth: AuthProvider | None
    ) -> HttpResponse:
        """One attempt: the request and the redirects it leads to (connectors/http_redirects.py)."""
        auth_origin = origin(first.url)
        hop = first
        for _hop in range(self.settings.max_redirects + 1):
            refuse_unfetchable(hop.url, self._prefix)
            if origin(hop.url) != auth_origin:
                sent = without_credentials(headers)
            else:
                sent = {**headers, **(auth.headers(self) if auth is not None else {})}
            response = self._send_once(hop, sent)
            target = redirect_target(hop, response, self._prefix)
            if target is None:
                return response
            if origin(target) != auth_origin and auth is not None:
                self.log.info(
                    "redirect to another origin (%s); credentials are not sent there",
                    redact_url(target),
                )
            hop = follow(hop, response.status, target, auth_origin, self._prefix)
        raise BadResponseError(
            f"{self._prefix}more than {self.settings.max_redirects} redirects starting at "
            f"{redact_url(first.url)}",
            url=first.url,
        )

    def _send_once(self, hop: Hop, headers: Mapping[str, str]) -> HttpResponse:
        s = self.settings
        self._respect_min_interval()
        started = self._clock()
        self.requests_sent += 1
        url = hop.url
        try:
            raw = self.session.request(
                hop.method,
                url,
                data=hop.data,
                json=hop.json_body,
                headers=headers,
                timeout=(s.connect_timeout, s.read_timeout),
                allow_redirects=False,
                stream=True,
            )
        except (requests.Timeout, requests.ConnectionError) as exc:
            failure = explain_failure(exc, url, s)
            raise TransientFeedError(
                failure.message(redact_url(url)), url=url, cause=failure.cause
            ) from None
        except requests.RequestException as exc:
            raise BadResponseError(
                f"request to {redact_url(url)} failed ({type(exc).__name__})", url=url
            ) from None
        try:
            content = read_capped(
                raw, url, settings=s, started=started, clock=self._clock, prefix=self._prefix
            )
        finally:
            raw.close()
        return HttpResponse(url=url, status=raw.status_code, headers=raw.headers, content=content)


def _with_params(url: str, params: Mapping[str, Any]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, str(v)) for k, v in params.items() if v is not None]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
