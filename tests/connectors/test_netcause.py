"""A request that gets no answer fails in one readable line naming its cause and its URL, never
in urllib3's ``HTTPConnectionPool(host=…): Max retries exceeded…`` repr. Real sockets where a
test can make the failure happen; urllib3's own exception chains where it cannot (no internet,
no certificate authority)."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
import urllib3.exceptions as u3
from urllib3 import HTTPSConnectionPool
from urllib3.connection import HTTPConnection

from connectors.errors import FeedError, RetriesExhausted
from connectors.http import HttpClient, HttpSettings
from tests.support.loopback import LoopbackServer

FEED = "hou-oai"
URLLIB3_NOISE = ("ConnectionPool", "Max retries", "NewConnectionError", "object at 0x")


def client(**settings: Any) -> HttpClient:
    return HttpClient(HttpSettings(**{"max_retries": 0, **settings}), feed_id=FEED)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def failure(http: HttpClient, url: str) -> FeedError:
    with pytest.raises(FeedError) as info:
        http.request("GET", url)
    message = str(info.value)
    assert "\n" not in message
    for noise in URLLIB3_NOISE:
        assert noise not in message
    return info.value


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(slow_seconds=3.0) as srv:
        yield srv


def test_refused() -> None:
    url = f"http://127.0.0.1:{closed_port()}/oai?verb=Identify"
    error = failure(client(max_retries=1), url)
    assert str(error) == (
        f"feed {FEED}: cannot connect to {url}: connection refused (gave up after 2 attempts)"
    )
    assert isinstance(error, RetriesExhausted) and error.cause == "connection refused"


def test_name_not_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_host(*args: object, **kwargs: object) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)  # urllib3 resolves through it
    error = failure(client(), "https://oai.hou.invalid/oai?verb=Identify")
    assert str(error) == (
        f"feed {FEED}: cannot connect to https://oai.hou.invalid/oai?verb=Identify: "
        "name not resolved (gave up after 1 attempt)"
    )
    assert error.cause == "name not resolved"


def test_tls_to_a_plain_http_port(server: LoopbackServer) -> None:
    url = f"https://127.0.0.1:{server.port}/echo-headers"
    error = failure(client(), url)
    assert f"cannot connect to {url}: TLS/certificate error: handshake failed" in str(error)
    assert f"does 127.0.0.1:{server.port} speak plain http?" in str(error)
    assert error.cause == "TLS/certificate error"


def test_read_timeout(server: LoopbackServer) -> None:
    error = failure(client(read_timeout=0.3), server.url("/slow"))
    assert str(error) == (
        f"feed {FEED}: no answer from {server.url('/slow')}: timed out after 0.3 s "
        "(http.read_timeout) (gave up after 1 attempt)"
    )
    assert error.cause == "timed out"


def _wrapped(reason: Exception, kind: type[requests.RequestException]) -> Exception:
    """What requests raises: its error around urllib3's MaxRetryError around the reason."""
    pool = HTTPSConnectionPool("oai.hou.edu.vn", 443)
    return kind(u3.MaxRetryError(pool, "/oai?verb=ListRecords", reason=reason))


def _certificate_error() -> Exception:
    verify = ssl.SSLCertVerificationError(
        1,
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired "
        "(_ssl.c:1006)",
    )
    verify.verify_message = "certificate has expired"
    return _wrapped(u3.SSLError(verify), requests.exceptions.SSLError)


def _connect_timeout() -> Exception:
    conn = HTTPConnection("oai.hou.edu.vn", 443)
    reason = u3.ConnectTimeoutError(conn, "Connection to oai.hou.edu.vn timed out. (timeout=10)")
    return _wrapped(reason, requests.ConnectTimeout)


@pytest.mark.parametrize(
    ("raised", "text", "cause"),
    [
        pytest.param(
            _certificate_error(),
            "cannot connect to https://oai.hou.edu.vn/oai: TLS/certificate error: certificate "
            "verify failed: certificate has expired",
            "TLS/certificate error",
            id="certificate-expired",
        ),
        pytest.param(
            _connect_timeout(),
            "cannot connect to https://oai.hou.edu.vn/oai: timed out after 10 s "
            "(http.connect_timeout)",
            "timed out",
            id="connect-timeout",
        ),
        pytest.param(
            requests.ConnectionError(ConnectionResetError(104, "Connection reset by peer")),
            "no answer from https://oai.hou.edu.vn/oai: connection reset",
            "connection reset",
            id="reset",
        ),
        pytest.param(
            requests.ConnectionError(OSError(101, "Network is unreachable")),
            "cannot connect to https://oai.hou.edu.vn/oai: network unreachable",
            "network unreachable",
            id="network-unreachable",
        ),
        pytest.param(
            requests.exceptions.ProxyError("Unable to connect to proxy"),
            "cannot connect to https://oai.hou.edu.vn/oai: proxy error: the proxy (http.proxy) "
            "failed: Unable to connect to proxy",
            "proxy error",
            id="proxy",
        ),
    ],
)
@responses.activate
def test_causes_from_urllib3_chains(raised: Exception, text: str, cause: str) -> None:
    responses.get("https://oai.hou.edu.vn/oai", body=raised)
    error = failure(client(), "https://oai.hou.edu.vn/oai")
    assert str(error) == f"feed {FEED}: {text} (gave up after 1 attempt)"
    assert error.cause == cause


@responses.activate
def test_an_unknown_network_error_keeps_its_innermost_text_without_the_pool_repr() -> None:
    noise = (
        "HTTPSConnectionPool(host='oai.hou.edu.vn', port=443): Max retries exceeded with url: "
        "/oai?token=SENTINEL (Caused by ProtocolWeirdness('something odd'))"
    )
    responses.get("https://oai.hou.edu.vn/oai", body=requests.ConnectionError(noise))
    error = failure(client(), "https://oai.hou.edu.vn/oai")
    assert "network error: " in str(error)
    assert "SENTINEL" not in str(error) and "something odd" in str(error)
    assert error.cause == "network error"
