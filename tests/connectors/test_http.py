"""The shared HTTP client: retries, waits, limits, redirects, redaction and strict JSON.

Rows N1–N14 and K2/K4/K6 of shared/RELIABILITY.md. HTTP is mocked with ``responses``, or served
by the loopback server (tests/support/loopback.py) where timing, streaming or a second host
matter. No test sleeps for real: waits go to a recorder passed as ``sleep=``.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import socket
import threading
import time
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses.registries import OrderedRegistry

from connectors.errors import (
    BadResponseError,
    FatalFeedError,
    FeedError,
    HttpStatusError,
    ResponseTooLarge,
    RetriesExhausted,
    TransientFeedError,
    WrongEndpointError,
)
from connectors.http import (
    HttpClient,
    HttpResponse,
    HttpSettings,
    decode_json,
    origin,
    parse_retry_after,
    redact_url,
)
from tests.support.loopback import LoopbackServer, Reply, loopback_pair

API = "https://api.test/api/courses/v1/courses/"
FEED = "edx-demo"
MiB = 1024 * 1024


# -- helpers -----------------------------------------------------------------------------------


class SleepRecorder:
    """Stands in for ``time.sleep``: records every wait, waits for none."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class FakeClock:
    """A monotonic clock the test moves; sleeping on it advances it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class StaticAuth:
    """An AuthProvider with fixed headers, counting how it was used."""

    def __init__(self, headers: dict[str, str]) -> None:
        self._headers = headers
        self.header_calls = 0
        self.invalidations = 0

    def headers(self, http: HttpClient) -> dict[str, str]:
        self.header_calls += 1
        return dict(self._headers)

    def invalidate(self) -> None:
        self.invalidations += 1


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


def client(sleep: Any = None, **settings: Any) -> HttpClient:
    return HttpClient(HttpSettings(**settings), feed_id=FEED, sleep=sleep)


@pytest.fixture
def ordered() -> Any:
    """``responses`` where each registration answers once, in order."""
    with responses.RequestsMock(registry=OrderedRegistry) as rsps:
        yield rsps


@pytest.fixture
def rsps() -> Any:
    """``responses`` where a registration answers every matching call."""
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def server() -> Any:
    with LoopbackServer() as srv:
        yield srv


def gzip_bytes(data: bytes) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip container
    return comp.compress(data) + comp.flush()


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """64 MiB of zeros, about 64 KiB on the wire."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * MiB
    parts = [comp.compress(chunk) for _ in range(64)]
    return b"".join(parts) + comp.flush()


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def texts_of(exc: BaseException) -> str:
    return f"{exc}\n{exc!r}\n{exc.args!r}"


# -- parse_retry_after -------------------------------------------------------------------------

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2", 2.0, id="delta-seconds"),
        pytest.param(" 120 ", 120.0, id="delta-seconds-padded"),
        pytest.param("1.5", 1.5, id="fractional-seconds"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param("Wed, 25 Nov 2026 12:00:30 GMT", 30.0, id="http-date-30s-ahead"),
        pytest.param("Wed, 25 Nov 2026 13:00:00 GMT", 3600.0, id="http-date-1h-ahead"),
        pytest.param("Wed, 25 Nov 2026 12:00:30 -0000", 30.0, id="http-date-naive-tz-is-utc"),
        pytest.param("Wed, 25 Nov 2026 13:00:30 +0100", 30.0, id="http-date-other-offset"),
        pytest.param("Wed, 25 Nov 2026 11:00:00 GMT", 0.0, id="http-date-in-past-is-zero"),
        pytest.param(
            "Thu, 01 Jan 2099 00:00:00 GMT",
            (datetime(2099, 1, 1, tzinfo=UTC) - NOW).total_seconds(),
            id="http-date-2099",
        ),
        pytest.param(None, None, id="missing"),
        pytest.param("", None, id="empty"),
        pytest.param("soon", None, id="garbage"),
        pytest.param("-5", None, id="negative"),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


# -- retries and server-requested waits (N3, N4, N5) ------------------------------------------


def test_503_retry_after_seconds_then_200_waits_that_long(
    ordered: Any, sleeps: SleepRecorder
) -> None:
    ordered.add(responses.GET, API, status=503, headers={"Retry-After": "2"})
    ordered.add(responses.GET, API, json={"results": []})

    body = client(sleeps).get_json(API)

    assert body == {"results": []}
    assert sleeps.calls == [2.0]
    assert len(ordered.calls) == 2


def test_503_retry_after_http_date_then_200(ordered: Any, sleeps: SleepRecorder) -> None:
    when = datetime.now(UTC) + timedelta(seconds=5)
    ordered.add(
        responses.GET,
        API,
        status=503,
        headers={"Retry-After": email.utils.format_datetime(when, usegmt=True)},
    )
    ordered.add(responses.GET, API, json={"ok": True})

    assert client(sleeps).get_json(API) == {"ok": True}
    assert len(sleeps.calls) == 1
    # The date has whole seconds and a little time passed; anything near 5 s is right.
    assert 2.0 <= sleeps.calls[0] <= 5.0


def test_429_openedx_throttle_message_without_retry_after(
    ordered: Any, sleeps: SleepRecorder
) -> None:
    ordered.add(
        responses.GET,
        API,
        status=429,
        json={"developer_message": "Request was throttled. Expected available in 37 seconds."},
    )
    ordered.add(responses.GET, API, json={"results": [1]})

    assert client(sleeps).get_json(API) == {"results": [1]}
    assert sleeps.calls == [37.0]


def test_429_retry_after_header_wins_over_body_hint(ordered: Any, sleeps: SleepRecorder) -> None:
    ordered.add(
        responses.GET,
        API,
        status=429,
        headers={"Retry-After": "5"},
        json={"detail": "Request was throttled. Expected available in 37 seconds."},
    )
    ordered.add(responses.GET, API, json={})

    client(sleeps).get_json(API)
    assert sleeps.calls == [5.0]


def test_429_then_429_then_200_waits_each_time(ordered: Any, sleeps: SleepRecorder) -> None:
    ordered.add(responses.GET, API, status=429, headers={"Retry-After": "1"})
    ordered.add(responses.GET, API, status=429, headers={"Retry-After": "1"})
    ordered.add(responses.GET, API, json={"ok": 1})

    assert client(sleeps).get_json(API) == {"ok": 1}
    assert sleeps.calls == [1.0, 1.0]
    assert len(ordered.calls) == 3


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_status_is_retried(ordered: Any, sleeps: SleepRecorder, status: int) -> None:
    ordered.add(responses.GET, API, status=status)
    ordered.add(responses.GET, API, json={"ok": True})

    http = client(sleeps)
    assert http.get_json(API) == {"ok": True}
    assert len(ordered.calls) == 2
    assert len(sleeps.calls) == 1
    assert http.requests_sent == 2


def test_persistent_500_exhausts_retries(rsps: Any, sleeps: SleepRecorder) -> None:
    url = "https://api.test/api/courses/v1/courses/?api_key=SENTINEL-KEY&page=2"
    rsps.add(responses.GET, url, status=500, json={"detail": "Internal error"})

    with pytest.raises(RetriesExhausted) as info:
        client(sleeps, max_retries=3).request("GET", url)

    assert len(rsps.calls) == 4  # max_retries + 1
    assert len(sleeps.calls) == 3
    message = str(info.value)
    assert "HTTP 500" in message
    assert "https://api.test/api/courses/v1/courses/?api_key=***&page=2" in message
    assert "gave up after 4 attempts" in message
    assert f"feed {FEED}" in message
    assert "SENTINEL" not in texts_of(info.value)
    assert info.value.status == 500
    assert isinstance(info.value, TransientFeedError)


def test_max_retries_zero_sends_exactly_one_request(rsps: Any, sleeps: SleepRecorder) -> None:
    rsps.add(responses.GET, API, status=502)
    with pytest.raises(RetriesExhausted, match="1 attempt\\)"):
        client(sleeps, max_retries=0).request("GET", API)
    assert len(rsps.calls) == 1
    assert sleeps.calls == []


@pytest.mark.parametrize(
    "retry_after",
    [
        pytest.param("86400", id="one-day-in-seconds"),
        pytest.param("Thu, 01 Jan 2099 00:00:00 GMT", id="http-date-2099"),
    ],
)
def test_retry_after_beyond_cap_fails_at_once_without_sleeping(
    rsps: Any, sleeps: SleepRecorder, retry_after: str
) -> None:
    rsps.add(responses.GET, API, status=503, headers={"Retry-After": retry_after})

    with pytest.raises(TransientFeedError) as info:
        client(sleeps, retry_after_max=300.0).request("GET", API)

    assert type(info.value) is TransientFeedError  # not RetriesExhausted: it never retried
    assert sleeps.calls == []
    assert len(rsps.calls) == 1
    message = str(info.value)
    assert "HTTP 503" in message
    assert "more than the 300 s" in message
    assert info.value.status == 503


def test_retry_after_exactly_at_cap_is_honoured(ordered: Any, sleeps: SleepRecorder) -> None:
    ordered.add(responses.GET, API, status=429, headers={"Retry-After": "300"})
    ordered.add(responses.GET, API, json={})
    client(sleeps, retry_after_max=300.0).get_json(API)
    assert sleeps.calls == [300.0]


def test_throttle_hint_beyond_cap_fails_at_once(rsps: Any, sleeps: SleepRecorder) -> None:
    rsps.add(
        responses.GET,
        API,
        status=429,
        json={"detail": "Request was throttled. Expected available in 86400 seconds."},
    )
    with pytest.raises(TransientFeedError, match="more than the 300 s"):
        client(sleeps, retry_after_max=300.0).request("GET", API)
    assert sleeps.calls == []


def test_backoff_grows_exponentially_with_equal_jitter_and_cap(
    rsps: Any, sleeps: SleepRecorder
) -> None:
    rsps.add(responses.GET, API, status=503)  # no Retry-After: our own backoff decides
    settings = HttpSettings(max_retries=7, backoff_base=1.0, backoff_max=8.0)
    http = HttpClient(settings, sleep=sleeps, rng=random.Random(0))

    with pytest.raises(RetriesExhausted):
        http.request("GET", API)

    assert len(sleeps.calls) == 7
    bases = [min(8.0, 2.0**attempt) for attempt in range(7)]  # 1 2 4 8 8 8 8
    for waited, base in zip(sleeps.calls, bases, strict=True):
        assert base / 2 <= waited <= base
    assert max(sleeps.calls) <= settings.backoff_max
    # Deterministic for a seeded rng: "equal jitter", base * U[0.5, 1].
    reference = random.Random(0)
    expected = [base * (0.5 + reference.random() / 2) for base in bases]
    assert sleeps.calls == pytest.approx(expected)
    # Jitter really varies the waits once the cap is reached.
    assert len({round(w, 6) for w in sleeps.calls[3:]}) > 1


def test_backoff_cap_that_is_not_a_power_of_two(rsps: Any, sleeps: SleepRecorder) -> None:
    rsps.add(responses.GET, API, status=500)
    settings = HttpSettings(max_retries=6, backoff_base=0.5, backoff_max=3.0)
    with pytest.raises(RetriesExhausted):
        HttpClient(settings, sleep=sleeps, rng=random.Random(7)).request("GET", API)
    bases = [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]
    for waited, base in zip(sleeps.calls, bases, strict=True):
        assert base / 2 <= waited <= base


# -- connection errors and fatal statuses (N6, N13, N14) ---------------------------------------


def test_connection_error_retried_then_exhausted(rsps: Any, sleeps: SleepRecorder) -> None:
    rsps.add(responses.GET, API, body=requests.ConnectionError("Name or service not known"))

    with pytest.raises(RetriesExhausted) as info:
        client(sleeps, max_retries=2).request("GET", API)

    assert len(rsps.calls) == 3
    assert len(sleeps.calls) == 2
    assert "cannot connect to https://api.test/api/courses/v1/courses/" in str(info.value)
    assert "gave up after 3 attempts" in str(info.value)


def test_connection_error_then_success(ordered: Any, sleeps: SleepRecorder) -> None:
    ordered.add(responses.GET, API, body=requests.ConnectionError("reset by peer"))
    ordered.add(responses.GET, API, json={"ok": True})
    assert client(sleeps).get_json(API) == {"ok": True}
    assert len(sleeps.calls) == 1


def test_read_timeout_is_transient_and_retried(ordered: Any, sleeps: SleepRecorder) -> None:
    ordered.add(responses.GET, API, body=requests.ReadTimeout("Read timed out."))
    ordered.add(responses.GET, API, json={"ok": True})
    assert client(sleeps).get_json(API) == {"ok": True}
    assert len(ordered.calls) == 2


def test_real_connection_refused_is_a_clear_transient_error(sleeps: SleepRecorder) -> None:
    url = f"http://127.0.0.1:{closed_port()}/courses?api_key=SENTINEL-KEY"
    with pytest.raises(RetriesExhausted) as info:
        client(sleeps, max_retries=1, connect_timeout=2.0).request("GET", url)
    assert "cannot connect to" in str(info.value)
    assert "api_key=***" in str(info.value)
    assert "SENTINEL" not in texts_of(info.value)
    assert len(sleeps.calls) == 1


def test_tls_error_fails_and_never_falls_back_to_verify_false(
    rsps: Any, sleeps: SleepRecorder
) -> None:
    rsps.add(
        responses.GET,
        API,
        body=requests.exceptions.SSLError("certificate verify failed: self-signed certificate"),
    )
    http = client(sleeps, max_retries=1)
    assert http.session.verify is True

    with pytest.raises(FeedError) as info:
        http.request("GET", API)

    assert "TLS/certificate error: certificate verify failed: self-signed certificate" in str(
        info.value
    )
    assert info.value.cause == "TLS/certificate error"
    assert [call.request.req_kwargs["verify"] for call in rsps.calls] == [True, True]


@pytest.mark.parametrize("status", [400, 403, 404, 410])
def test_fatal_status_not_retried_and_names_developer_message(
    rsps: Any, sleeps: SleepRecorder, status: int
) -> None:
    rsps.add(
        responses.GET,
        API,
        status=status,
        json={"developer_message": "Course run course-v1:X+Y+Z does not exist.", "field": 1},
    )

    with pytest.raises(HttpStatusError) as info:
        client(sleeps).request("GET", API)

    assert len(rsps.calls) == 1
    assert sleeps.calls == []
    assert info.value.status == status
    message = str(info.value)
    assert f"HTTP {status}" in message
    assert "Course run course-v1:X+Y+Z does not exist." in message
    assert f"feed {FEED}" in message
    assert isinstance(info.value, FatalFeedError)


def test_401_without_auth_provider_is_not_retried(rsps: Any, sleeps: SleepRecorder) -> None:
    rsps.add(responses.GET, API, status=401, json={"detail": "Authentication required."})
    with pytest.raises(HttpStatusError, match="Authentication required"):
        client(sleeps).request("GET", API)
    assert len(rsps.calls) == 1


def test_4xx_html_error_page_names_its_title(rsps: Any) -> None:
    rsps.add(
        responses.GET,
        API,
        status=404,
        body="<html><head><title>Page not found | edX</title></head></html>",
        content_type="text/html",
    )
    with pytest.raises(HttpStatusError, match="Page not found"):
        client().request("GET", API)


def test_accepted_status_is_returned_not_raised(rsps: Any) -> None:
    rsps.add(responses.GET, API, status=304)
    response = client().request("GET", API, accept_statuses=frozenset({304}))
    assert response.status == 304
    assert response.content == b""


def test_stop_event_interrupts_the_wait(rsps: Any, sleeps: SleepRecorder) -> None:
    rsps.add(responses.GET, API, status=503, headers={"Retry-After": "30"})
    stop = threading.Event()
    stop.set()
    http = HttpClient(HttpSettings(), sleep=sleeps, stop=stop)

    with pytest.raises(TransientFeedError, match="stopped while waiting"):
        http.request("GET", API)

    assert len(rsps.calls) == 1
    assert sleeps.calls == []  # the stop event does the waiting


# -- size cap (N8, N9) ---------------------------------------------------------------------------


def test_gzip_bomb_refused_at_decoded_cap_without_decoding_it_all(
    rsps: Any, gzip_bomb: bytes
) -> None:
    rsps.add(
        responses.GET,
        API,
        body=gzip_bomb,
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    http = client(max_response_bytes=MiB)

    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLarge) as info:
            http.request("GET", API)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(gzip_bomb) < MiB  # small on the wire…
    assert peak < 16 * MiB  # …and never decoded whole (64 MiB)
    assert "1048576-byte cap" in str(info.value)
    assert http.requests_sent == 1  # fatal: not retried


def test_gzip_bomb_in_a_redirect_body_is_capped_too(rsps: Any, gzip_bomb: bytes) -> None:
    # requests reads a redirect's whole body even with allow_redirects=False, unless the client
    # stops it: the cap must hold for every hop.
    rsps.add(
        responses.GET,
        API,
        status=302,
        body=gzip_bomb,
        headers={"Location": "/elsewhere", "Content-Encoding": "gzip"},
    )
    rsps.add(responses.GET, "https://api.test/elsewhere", json={"ok": True})
    rsps.assert_all_requests_are_fired = False

    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLarge):
            client(max_response_bytes=MiB).request("GET", API)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MiB


def test_brotli_bomb_refused_at_decoded_cap(rsps: Any) -> None:
    try:
        import brotli  # type: ignore[import-not-found]
    except ImportError:
        pytest.skip("the brotli package is not installed, so urllib3 cannot decode br")
    bomb = brotli.compress(b"\0" * (64 * MiB), quality=5)
    rsps.add(responses.GET, API, body=bomb, headers={"Content-Encoding": "br"})

    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLarge):
            client(max_response_bytes=MiB).request("GET", API)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MiB


def test_small_gzip_body_is_decoded(rsps: Any) -> None:
    rsps.add(
        responses.GET,
        API,
        body=gzip_bytes(b'{"results": ["ok"]}'),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert client().get_json(API) == {"results": ["ok"]}


def test_declared_content_length_over_cap_refused_before_reading(rsps: Any) -> None:
    # The body is empty: had the client tried to read 10 GiB it would have failed as a truncated
    # (transient) body, not as ResponseTooLarge naming the declared size.
    rsps.add(responses.GET, API, body=b"", headers={"Content-Length": str(10 * 1024 * MiB)})
    http = client(max_response_bytes=MiB)

    with pytest.raises(ResponseTooLarge) as info:
        http.request("GET", API)

    assert "declares 10737418240 bytes" in str(info.value)
    assert http.requests_sent == 1


def test_plain_body_without_content_length_over_cap(rsps: Any) -> None:
    rsps.add(responses.GET, API, body=b"[" + b"0," * MiB + b"0]")
    with pytest.raises(ResponseTooLarge, match="grew past the 1048576-byte cap"):
        client(max_response_bytes=MiB).request("GET", API)


def test_body_exactly_at_cap_is_accepted(rsps: Any) -> None:
    rsps.add(responses.GET, API, body=b"x" * 4096)
    assert len(client(max_response_bytes=4096).request("GET", API).content) == 4096


def test_body_one_byte_over_cap_is_refused(rsps: Any) -> None:
    rsps.add(responses.GET, API, body=b"x" * 4097)
    with pytest.raises(ResponseTooLarge):
        client(max_response_bytes=4096).request("GET", API)


# -- timeouts and the total deadline (N1, N2), truncation (N7) — real sockets ------------------


def test_drip_feed_stopped_by_total_deadline(server: LoopbackServer) -> None:
    # One byte every 0.3 s never trips a 5 s read timeout; only the total deadline stops it.
    http = client(read_timeout=5.0, deadline=1.0, max_retries=0)
    started = time.monotonic()

    with pytest.raises(TransientFeedError) as info:
        http.request("GET", server.url("/drip"))

    assert time.monotonic() - started < 10
    assert "deadline" in str(info.value)
    assert "http.deadline" in str(info.value)
    assert server.hits("/drip") == 1


def test_silent_server_hits_read_timeout(server: LoopbackServer) -> None:
    http = client(read_timeout=0.5, deadline=30.0, max_retries=0)
    started = time.monotonic()

    with pytest.raises(TransientFeedError) as info:
        http.request("GET", server.url("/slow"))

    assert time.monotonic() - started < 10
    assert "timed out" in str(info.value)
    assert server.hits("/slow") == 1


def test_read_timeout_is_retried_on_a_real_socket(
    server: LoopbackServer, sleeps: SleepRecorder
) -> None:
    http = client(sleeps, read_timeout=0.3, max_retries=1)
    with pytest.raises(RetriesExhausted, match="timed out"):
        http.request("GET", server.url("/slow"))
    assert server.wait_for_hits(2, "/slow")
    assert len(sleeps.calls) == 1


def test_truncated_body_is_retried_and_never_returned(
    server: LoopbackServer, sleeps: SleepRecorder
) -> None:
    with pytest.raises(RetriesExhausted) as info:
        client(sleeps, max_retries=2).get_json(server.url("/lying-length"))

    assert server.hits("/lying-length") == 3
    assert "reading the body" in str(info.value)
    assert "body cut short" in str(info.value) and "10 bytes read" in str(info.value)


def test_truncated_body_then_full_body_returns_only_the_full_one(
    ordered: Any, sleeps: SleepRecorder
) -> None:
    ordered.add(responses.GET, API, body=b'{"results": [1, 2', headers={"Content-Length": "100"})
    ordered.add(responses.GET, API, json={"results": [1, 2, 3]})

    assert client(sleeps).get_json(API) == {"results": [1, 2, 3]}
    assert len(ordered.calls) == 2


# -- redirects (N10, N11, K4) ----------------------------------------------------------------------


def test_cross_host_redirect_drops_credentials_on_real_sockets() -> None:
    auth = StaticAuth({"Authorization": "Bearer SENTINEL-TOKEN", "X-Api-Key": "SENTINEL-KEY"})
    with loopback_pair() as (server, other):
        body = client().get_json(
            server.url("/redirect-other-host?to=/echo-headers"),
            headers={"Accept": "application/json"},
            auth=auth,
        )
        first, second = server.requests[0], other.requests[0]
        other_host = f"localhost:{other.port}"

    assert second.header("Host") == other_host  # really another origin: other name, other port
    assert first.header("Authorization") == "Bearer SENTINEL-TOKEN"
    assert first.header("X-Api-Key") == "SENTINEL-KEY"
    assert second.path == "/echo-headers"
    assert second.header("Authorization") is None
    assert second.header("X-Api-Key") is None
    assert "SENTINEL" not in json.dumps(body)
    # Ordinary headers still travel.
    assert second.header("Accept") == "application/json"
    assert (second.header("User-Agent") or "").startswith("mooc-exchange/")


def test_same_origin_redirect_keeps_credentials_on_real_sockets(server: LoopbackServer) -> None:
    auth = StaticAuth({"Authorization": "Bearer SENTINEL-TOKEN"})
    client().get_json(server.url("/redirect?to=/echo-headers&status=301"), auth=auth)

    first, second = server.requests
    assert first.path == "/redirect"
    assert second.path == "/echo-headers"
    assert first.header("Authorization") == "Bearer SENTINEL-TOKEN"
    assert second.header("Authorization") == "Bearer SENTINEL-TOKEN"


CROSS_ORIGIN = [
    pytest.param("https://api.test/a", "https://cdn.test/b", id="other-host"),
    pytest.param("https://api.test/a", "https://api.test:8443/b", id="other-port"),
    pytest.param("http://api.test/a", "https://api.test/b", id="scheme-upgrade"),
    pytest.param("https://api.test/a", "https://files.api.test/b", id="subdomain"),
]


@pytest.mark.parametrize(("start", "target"), CROSS_ORIGIN)
def test_cross_origin_redirect_drops_provider_credentials(
    rsps: Any, start: str, target: str
) -> None:
    rsps.add(responses.GET, start, status=302, headers={"Location": target})
    rsps.add(responses.GET, target, json={"ok": True})
    auth = StaticAuth({"Authorization": "JWT SENTINEL-JWT", "X-Api-Key": "SENTINEL-KEY"})

    client().get_json(start, auth=auth)

    first, second = (call.request.headers for call in rsps.calls)
    assert first["Authorization"] == "JWT SENTINEL-JWT"
    assert first["X-Api-Key"] == "SENTINEL-KEY"
    assert "SENTINEL" not in repr(dict(second))
    assert auth.header_calls == 1  # never even asked for the other origin


@pytest.mark.parametrize(("start", "target"), CROSS_ORIGIN)
def test_cross_origin_redirect_drops_caller_credential_headers(
    rsps: Any, start: str, target: str
) -> None:
    # Credentials passed as plain headers= belong to the first origin too (requests drops a
    # caller's Authorization on a cross-host redirect; a hand-rolled redirect loop must as well).
    rsps.add(responses.GET, start, status=302, headers={"Location": target})
    rsps.add(responses.GET, target, json={"ok": True})
    caller_headers = {
        "Accept": "application/json",
        "Authorization": "Basic SENTINEL-BASIC",
        "X-Api-Key": "SENTINEL-KEY",
        "Cookie": "session=SENTINEL-COOKIE",
        "X-Auth-Token": "SENTINEL-TOK",
    }

    client().get_json(start, headers=caller_headers)

    first, second = (call.request.headers for call in rsps.calls)
    assert first["X-Api-Key"] == "SENTINEL-KEY"
    assert first["Cookie"] == "session=SENTINEL-COOKIE"
    assert "SENTINEL" not in repr(dict(second))
    assert second["Accept"] == "application/json"  # ordinary headers still travel


@pytest.mark.parametrize(
    "location",
    [
        pytest.param("/b", id="relative"),
        pytest.param("https://api.test:443/b", id="explicit-default-port"),
        pytest.param("https://API.test/b", id="host-case"),
    ],
)
def test_same_origin_redirect_keeps_auth(rsps: Any, location: str) -> None:
    rsps.add(responses.GET, "https://api.test/a", status=307, headers={"Location": location})
    # responses compares URLs literally; the client sends the Location as given.
    rsps.add(responses.GET, re.compile(r"https://(?i:api\.test)(:443)?/b"), json={"ok": True})
    auth = StaticAuth({"Authorization": "JWT tok"})

    client().get_json("https://api.test/a", auth=auth)

    assert [c.request.headers.get("Authorization") for c in rsps.calls] == ["JWT tok"] * 2


def test_https_to_http_downgrade_refused(rsps: Any) -> None:
    rsps.add(
        responses.GET,
        "https://api.test/a",
        status=301,
        headers={"Location": "http://api.test/b?token=SENTINEL-TOK"},
    )
    http = client()
    with pytest.raises(BadResponseError) as info:
        http.request("GET", "https://api.test/a")
    assert "downgrades https to http" in str(info.value)
    assert "token=***" in str(info.value)
    assert "SENTINEL" not in texts_of(info.value)
    assert http.requests_sent == 1


@pytest.mark.parametrize(
    "location",
    [
        pytest.param("file:///etc/passwd", id="file"),
        pytest.param("ftp://api.test/pub/courses.json", id="ftp"),
        pytest.param("gopher://api.test/", id="gopher"),
        pytest.param("data:application/json,{}", id="data"),
    ],
)
def test_redirect_to_non_http_scheme_refused(rsps: Any, location: str) -> None:
    rsps.add(responses.GET, API, status=302, headers={"Location": location})
    http = client()
    with pytest.raises(BadResponseError, match="only http and https URLs are followed"):
        http.request("GET", API)
    assert http.requests_sent == 1


@pytest.mark.parametrize(
    "location",
    [
        pytest.param("http://api.test:99999/x", id="port-out-of-range"),
        pytest.param("http://[broken/x", id="bad-ipv6-literal"),
    ],
)
def test_redirect_to_malformed_url_is_a_bad_response(rsps: Any, location: str) -> None:
    rsps.add(responses.GET, API, status=302, headers={"Location": location})
    with pytest.raises(BadResponseError, match="invalid URL"):
        client().request("GET", API)


def test_redirect_loop_stops_after_max_redirects(rsps: Any) -> None:
    rsps.add(responses.GET, "https://api.test/loop", status=302, headers={"Location": "/loop"})
    http = client(max_redirects=3)

    with pytest.raises(BadResponseError, match="more than 3 redirects"):
        http.request("GET", "https://api.test/loop")

    assert len(rsps.calls) == 4  # the first request and three redirects followed
    assert http.requests_sent == 4


def test_exactly_max_redirects_is_allowed(rsps: Any) -> None:
    for hop in range(3):
        rsps.add(
            responses.GET,
            f"https://api.test/r{hop}",
            status=302,
            headers={"Location": f"/r{hop + 1}"},
        )
    rsps.add(responses.GET, "https://api.test/r3", json={"hop": 3})
    assert client(max_redirects=3).get_json("https://api.test/r0") == {"hop": 3}


def test_redirect_without_location_is_an_error(rsps: Any) -> None:
    rsps.add(responses.GET, API, status=302)
    with pytest.raises(HttpStatusError, match="HTTP 302"):
        client().request("GET", API)


@pytest.mark.parametrize(
    ("status", "method", "body"),
    [
        pytest.param(303, "GET", None, id="303-becomes-get"),
        pytest.param(302, "GET", None, id="302-post-becomes-get"),
        pytest.param(307, "POST", "a=1", id="307-keeps-post"),
        pytest.param(308, "POST", "a=1", id="308-keeps-post"),
    ],
)
def test_redirect_method_rewriting(rsps: Any, status: int, method: str, body: str | None) -> None:
    rsps.add(responses.POST, "https://api.test/form", status=status, headers={"Location": "/b"})
    rsps.add(method, "https://api.test/b", json={})

    client().request("POST", "https://api.test/form", data={"a": "1"})

    second = rsps.calls[1].request
    assert second.method == method
    assert second.body == body


# -- redaction (K2) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "https://api.test/c?api_key=K1&token=T1&page=2",
            "https://api.test/c?api_key=***&token=***&page=2",
            id="api_key-and-token",
        ),
        pytest.param(
            "https://user:hunter2@api.test:8443/x?q=1",
            "https://api.test:8443/x?q=1",
            id="userinfo",
        ),
        pytest.param(
            "https://api.test/o?access_token=A&client_secret=B&password=C&X-Amz-Signature=D",
            "https://api.test/o?access_token=***&client_secret=***&password=***"
            "&X-Amz-Signature=***",
            id="other-secret-names",
        ),
        pytest.param("https://api.test/p?page=2#frag", "https://api.test/p?page=2", id="fragment"),
        pytest.param("https://api.test/p?key=", "https://api.test/p?key=***", id="blank-key"),
        pytest.param("http://api.test:99999/p?key=x", "<unparseable URL>", id="bad-port"),
        pytest.param("http://[::1/p", "<unparseable URL>", id="bad-ipv6"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_origin_fills_default_ports_and_lowercases() -> None:
    assert origin("https://API.test/x") == ("https", "api.test", 443)
    assert origin("http://api.test/x") == ("http", "api.test", 80)
    assert origin("http://api.test:8080/x") == ("http", "api.test", 8080)


SECRET_URL = (
    "https://harvester:SENTINEL-PW@api.test/api/courses/v1/courses/"
    "?api_key=SENTINEL-KEY&token=SENTINEL-TOK&page=3"
)
SECRET_URL_RE = re.compile(r"https://.*api\.test/api/courses/v1/courses/.*")
URLLIB3_TEXT = (
    "HTTPSConnectionPool(host='api.test', port=443): Max retries exceeded with url: "
    "/api/courses/v1/courses/?api_key=SENTINEL-KEY&token=SENTINEL-TOK&page=3 "
    "(Caused by NameResolutionError('Failed to resolve'))"
)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"status": 500}, id="retries-exhausted"),
        pytest.param({"status": 404}, id="fatal-status"),
        pytest.param({"status": 503, "headers": {"Retry-After": "86400"}}, id="retry-after-cap"),
        pytest.param({"body": requests.ConnectionError(URLLIB3_TEXT)}, id="connection-error"),
        pytest.param({"body": requests.ReadTimeout(URLLIB3_TEXT)}, id="read-timeout"),
        pytest.param({"body": requests.exceptions.SSLError(URLLIB3_TEXT)}, id="tls-error"),
        pytest.param(
            {"status": 302, "headers": {"Location": "http://api.test/x?token=SENTINEL-TOK"}},
            id="downgrade",
        ),
        pytest.param({"status": 302, "headers": {"Location": "file:///x"}}, id="bad-scheme"),
        pytest.param({"headers": {"Content-Length": str(10**12)}, "body": b""}, id="too-large"),
        pytest.param(
            {"body": "<html><title>Down</title></html>", "content_type": "text/html"},
            id="html-instead-of-json",
        ),
        pytest.param({"body": "{not json"}, id="invalid-json"),
    ],
)
def test_no_secret_in_exception_text_or_client_logs(
    rsps: Any, caplog: pytest.LogCaptureFixture, answer: dict[str, Any]
) -> None:
    caplog.set_level(logging.DEBUG)
    rsps.add(responses.GET, SECRET_URL_RE, **answer)
    rsps.add(responses.GET, re.compile(r"(http|file)://.*"), status=500)
    rsps.assert_all_requests_are_fired = False

    with pytest.raises(FeedError) as info:
        client(max_retries=1).get_json(SECRET_URL)

    assert "SENTINEL" not in texts_of(info.value)
    assert f"feed {FEED}" in str(info.value)
    client_logs = [r.getMessage() for r in caplog.records if r.name.startswith("connectors")]
    assert not [line for line in client_logs if "SENTINEL" in line]


# -- strict JSON decoding ------------------------------------------------------------------------


def response(content: bytes, content_type: str = "application/json", status: int = 200) -> Any:
    return HttpResponse(
        url="https://api.test/courses?token=SENTINEL-TOK",
        status=status,
        headers=requests.structures.CaseInsensitiveDict({"Content-Type": content_type}),
        content=content,
    )


@pytest.mark.parametrize(
    ("content", "content_type", "title"),
    [
        pytest.param(
            b"<!DOCTYPE html><html><head><title>Maintenance</title></head>"
            b"<body>Back soon</body></html>",
            "text/html; charset=utf-8",
            "Maintenance",
            id="text-html",
        ),
        pytest.param(
            b"\n  <!doctype html><html><head><title>Maintenance</title></head></html>",
            "application/json",
            "Maintenance",
            id="html-labelled-json",
        ),
        pytest.param(b"<html><body>Login</body></html>", "", None, id="html-no-type-no-title"),
    ],
)
def test_decode_json_refuses_html(content: bytes, content_type: str, title: str | None) -> None:
    with pytest.raises(BadResponseError) as info:
        decode_json(response(content, content_type), feed_id=FEED, api="Open edX Courses API")
    message = str(info.value)
    assert "HTML page" in message
    assert "not the Open edX Courses API: is base_url the API root" in message
    assert f"feed {FEED}" in message
    if title:
        assert f', "{title}")' in message
    assert "SENTINEL" not in message
    assert isinstance(info.value, WrongEndpointError)


def test_get_json_maintenance_page_with_200(rsps: Any) -> None:
    rsps.add(
        responses.GET,
        API,
        body="<html><head><title>Maintenance</title></head><body>Down</body></html>",
        content_type="text/html",
    )
    with pytest.raises(BadResponseError, match=r"HTML page .*Maintenance"):
        client().get_json(API)


def test_decode_json_invalid_json_names_line_and_column() -> None:
    with pytest.raises(BadResponseError) as info:
        decode_json(response(b'{"results": [1, 2,\n  ]}'))
    assert "invalid JSON" in str(info.value)
    assert "line 2 column 3" in str(info.value)


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param("application/json", id="no-charset"),
        pytest.param("application/json; charset=utf-8", id="utf-8-declared"),
        pytest.param("application/json; charset=gbk", id="gbk-declared-still-refused"),
    ],
)
def test_decode_json_refuses_non_utf8_bytes(content_type: str) -> None:
    text = json.dumps({"title": "机器学习导论"}, ensure_ascii=False)
    gbk = text.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")  # the sample really is not UTF-8

    with pytest.raises(BadResponseError) as info:
        decode_json(response(gbk, content_type))

    message = str(info.value)
    assert "not valid UTF-8" in message
    assert message.isascii()  # no mojibake, no replacement characters


def test_decode_json_accepts_utf8_bom() -> None:
    data = {"title": "Nhập môn Khoa học Máy tính", "org": "清华大学"}
    content = b"\xef\xbb\xbf" + json.dumps(data, ensure_ascii=False).encode("utf-8")
    assert decode_json(response(content)) == data


def test_get_json_decodes_utf8(rsps: Any) -> None:
    rsps.add(responses.GET, API, body=json.dumps({"t": "Ünïcødé ✓"}, ensure_ascii=False).encode())
    assert client().get_json(API) == {"t": "Ünïcødé ✓"}


# -- identity, environment and politeness (K6) --------------------------------------------------


def test_user_agent_names_the_project(rsps: Any) -> None:
    rsps.add(responses.GET, API, json={})
    client().get_json(API, headers={"Accept": "application/json"})
    assert rsps.calls[0].request.headers["User-Agent"].startswith("mooc-exchange/")


def test_user_agent_on_the_wire(server: LoopbackServer) -> None:
    echoed = client().get_json(server.url("/echo-headers"))
    assert echoed["User-Agent"].startswith("mooc-exchange/")
    assert (server.requests[0].header("User-Agent") or "").startswith("mooc-exchange/")


def test_every_request_has_timeouts_and_streams(rsps: Any) -> None:
    rsps.add(responses.GET, API, json={})
    client(connect_timeout=3.05, read_timeout=7.0).get_json(API)
    kwargs = rsps.calls[0].request.req_kwargs
    assert kwargs["timeout"] == (3.05, 7.0)
    assert kwargs["stream"] is True
    assert kwargs["verify"] is True


def test_trust_env_is_off() -> None:
    assert client().session.trust_env is False


def test_netrc_and_proxy_environment_are_ignored(
    server: LoopbackServer,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login harvester password SENTINEL-NETRC\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    dead_proxy = f"http://127.0.0.1:{closed_port()}"
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.setenv(name, dead_proxy)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)

    echoed = client(max_retries=0).get_json(server.url("/echo-headers"))

    assert server.hits("/echo-headers") == 1  # reached directly, not through the dead proxy
    assert "Authorization" not in echoed


def test_explicit_proxy_setting_is_used(rsps: Any) -> None:
    rsps.add(responses.GET, API, json={})
    http = client(proxy="http://proxy.test:3128")
    http.get_json(API)
    assert http.session.proxies == {
        "http": "http://proxy.test:3128",
        "https": "http://proxy.test:3128",
    }
    assert rsps.calls[0].request.req_kwargs["proxies"]["https"] == "http://proxy.test:3128"


def test_min_interval_spaces_requests(rsps: Any) -> None:
    rsps.add(responses.GET, API, json={})
    clock = FakeClock()
    http = HttpClient(HttpSettings(min_interval=1.0), sleep=clock.sleep, clock=clock)

    http.get_json(API)
    assert clock.sleeps == []  # the first request never waits

    clock.advance(0.4)
    http.get_json(API)
    assert clock.sleeps == [pytest.approx(0.6)]

    clock.advance(5.0)
    http.get_json(API)
    assert clock.sleeps == [pytest.approx(0.6)]  # enough time passed on its own

    http.get_json(API)
    assert clock.sleeps == [pytest.approx(0.6), pytest.approx(1.0)]


def test_params_are_appended_and_none_dropped(rsps: Any) -> None:
    rsps.add(responses.GET, re.compile(r"https://api\.test/c.*"), json={})
    client().get_json("https://api.test/c?org=MITx", params={"page": 2, "search": None})
    query = parse_qs(urlsplit(rsps.calls[0].request.url).query)
    assert query == {"org": ["MITx"], "page": ["2"]}


def test_requests_sent_counts_retries_and_redirects(ordered: Any, sleeps: SleepRecorder) -> None:
    ordered.add(responses.GET, API, status=503)
    ordered.add(responses.GET, API, status=302, headers={"Location": "/moved"})
    ordered.add(responses.GET, "https://api.test/moved", json={})
    http = client(sleeps)
    http.get_json(API)
    assert http.requests_sent == 3


def test_loopback_route_helper_serves_canned_replies(server: LoopbackServer) -> None:
    # The helper other test files rely on: canned replies in order, the last one repeats.
    server.route("/feed", Reply.json({"n": 1}), Reply(503), Reply.json({"n": 2}))
    http = client(max_retries=3)
    assert http.get_json(server.url("/feed")) == {"n": 1}
    assert http.get_json(server.url("/feed?page=2")) == {"n": 2}
    assert http.get_json(server.url("/feed")) == {"n": 2}
    assert [r.target for r in server.requests] == ["/feed", "/feed?page=2", "/feed?page=2", "/feed"]
