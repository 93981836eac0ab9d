"""Why a request got no answer, in the few words an admin needs.

``requests`` wraps urllib3, which wraps the socket's error, and the text it shows is urllib3's
pool repr: ``HTTPConnectionPool(host='oai.hou.edu.vn', port=80): Max retries exceeded with url:
/oai?verb=ListRecords (Caused by NewConnectionError("…: Failed to establish a new connection:
[Errno 111] Connection refused"))`` — long, cut off in a table, and the cause at its very end.
The cause is at the bottom of the exception chain (``args``, urllib3's ``reason``,
``__cause__``), so :func:`explain` walks it and names one of a few causes:

========================  ==========================================================
``connection refused``    the host is up, nothing listens on that port
``name not resolved``     DNS has no address for the host (a typo, an internal name)
``timed out``             no connection within ``http.connect_timeout``, or no answer
                          within ``http.read_timeout``
``TLS/certificate error`` the certificate was not accepted, or the handshake failed
``connection reset``      the server (or something on the way) dropped the connection
``connection closed``     the server closed the connection without answering
``body cut short``        the connection closed before the body's declared end
``network unreachable``   no route to the network (``host unreachable``: to the host)
``proxy error``           the configured ``http.proxy`` failed
``network error``         anything else, with the innermost message, cleaned
========================  ==========================================================

Mocked exceptions (``requests.ConnectionError("Name or service not known")``) have no chain, so
the texts are read too.
"""

from __future__ import annotations

import errno
import http.client
import re
import socket
import ssl
from dataclasses import dataclass

import requests
import urllib3.exceptions as u3

__all__ = ["NetFailure", "explain"]

_REFUSED = re.compile(r"connection refused|actively refused", re.I)
_UNRESOLVED = re.compile(
    r"name or service not known|nodename nor servname|failed to resolve|getaddrinfo failed|"
    r"temporary failure in name resolution|no address associated with hostname",
    re.I,
)
_CERTIFICATE = re.compile(r"certificate verify failed|CERTIFICATE_VERIFY_FAILED", re.I)
_RESET = re.compile(r"reset by peer|connection reset|ECONNRESET", re.I)
_CLOSED = re.compile(r"RemoteDisconnected|closed connection without response", re.I)
_UNREACHABLE = {errno.ENETUNREACH: "network", errno.EHOSTUNREACH: "host"}  # "… unreachable"
_SSL_TEXT = re.compile(r"\[SSL(?:: \w+)?\]\s*([^(\]]+?)\s*(?:\(_ssl\.c:\d+\))?\s*$")
_CAUSED_BY = re.compile(r"\(Caused by (\w+)\((.*)\)\)\s*$")
_POOL_REPR = re.compile(r"\w+ConnectionPool\(host=[^)]*\):\s*|\w*Connection\(host=[^)]*\):\s*")


@dataclass(frozen=True, slots=True)
class NetFailure:
    """One request's failure to get an answer: its ``cause`` and the ``text`` that says it."""

    #: One of the causes in the table above.
    cause: str
    #: The cause as a phrase, with what helps: ``timed out after 10 s (http.connect_timeout)``.
    text: str
    #: True when a connection was made and the failure came after (no answer, a reset).
    connected: bool = False

    def message(self, url: str) -> str:
        """``cannot connect to URL: connection refused``, ``no answer from URL: timed out…``."""
        return f"{'no answer from' if self.connected else 'cannot connect to'} {url}: {self.text}"


def explain(
    exc: BaseException,
    *,
    host: str,
    port: int | None,
    connect_timeout: float,
    read_timeout: float,
) -> NetFailure:
    """The cause of ``exc`` (a requests, urllib3 or socket error) for a request to host:port."""
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain)
    where = f"{host}:{port}" if port else host
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or _CERTIFICATE.search(text):
        return _failure("TLS/certificate error", _certificate_detail(chain, text))
    if any(isinstance(e, (requests.exceptions.ProxyError, u3.ProxyError)) for e in chain):
        return _failure("proxy error", f"the proxy (http.proxy) failed: {_innermost(chain)}")
    if any(_is_tls(e) for e in chain):
        return _failure("TLS/certificate error", _tls_detail(chain, where))
    if any(isinstance(e, (socket.gaierror, u3.NameResolutionError)) for e in chain) or (
        _UNRESOLVED.search(text)
    ):
        return _failure("name not resolved")
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or _REFUSED.search(text):
        return _failure("connection refused")
    if any(_is_connect_timeout(e) for e in chain):
        return NetFailure(
            "timed out", f"timed out after {connect_timeout:g} s (http.connect_timeout)"
        )
    if any(_is_read_timeout(e) for e in chain):
        text = f"timed out after {read_timeout:g} s (http.read_timeout)"
        return NetFailure("timed out", text, connected=True)
    if any(isinstance(e, ConnectionResetError) for e in chain) or _RESET.search(text):
        return NetFailure("connection reset", "connection reset", connected=True)
    short = re.search(r"IncompleteRead\(([^)]*)\)", text)
    if short or any(isinstance(e, (http.client.IncompleteRead, u3.IncompleteRead)) for e in chain):
        read = f": {short.group(1)}" if short else ""
        text = f"body cut short (the connection closed before its end{read})"
        return NetFailure("body cut short", text, connected=True)
    if _CLOSED.search(text) or any(isinstance(e, u3.ProtocolError) for e in chain):
        text = "connection closed without an answer"
        return NetFailure("connection closed", text, connected=True)
    for e in chain:
        if isinstance(e, OSError) and e.errno in _UNREACHABLE:
            return _failure(f"{_UNREACHABLE[e.errno]} unreachable")
    return _failure("network error", _innermost(chain))


def _failure(cause: str, detail: str = "") -> NetFailure:
    return NetFailure(cause, f"{cause}: {detail}" if detail else cause)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and everything it wraps, outermost first (urllib3 nests three or four deep)."""
    found: list[BaseException] = []
    todo = [exc]
    while todo and len(found) < 16:
        current = todo.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        todo.extend(a for a in current.args if isinstance(a, BaseException))
        for attr in ("reason", "__cause__", "__context__"):
            inner = getattr(current, attr, None)
            if isinstance(inner, BaseException):
                todo.append(inner)
    return found


def _is_tls(e: BaseException) -> bool:
    return isinstance(e, (ssl.SSLError, u3.SSLError, requests.exceptions.SSLError))


def _is_connect_timeout(e: BaseException) -> bool:
    # urllib3's NewConnectionError subclasses ConnectTimeoutError: a refused connection is not
    # a timeout (requests draws the same line when it picks ConnectTimeout).
    return isinstance(e, requests.ConnectTimeout) or (
        isinstance(e, u3.ConnectTimeoutError) and not isinstance(e, u3.NewConnectionError)
    )


def _is_read_timeout(e: BaseException) -> bool:
    return isinstance(e, (requests.Timeout, u3.ReadTimeoutError, TimeoutError, socket.timeout))


def _certificate_detail(chain: list[BaseException], text: str) -> str:
    for e in chain:
        if isinstance(e, ssl.SSLCertVerificationError) and e.verify_message:
            return f"certificate verify failed: {e.verify_message}"
    match = re.search(r"certificate verify failed:?\s*([^()'\"]*)", text, re.I)
    reason = match.group(1).strip(" .") if match else ""
    return f"certificate verify failed: {reason}" if reason else "certificate verify failed"


def _tls_detail(chain: list[BaseException], where: str) -> str:
    for e in chain:
        if isinstance(e, ssl.SSLError) and not isinstance(e, ssl.SSLCertVerificationError):
            reason = _ssl_reason(e)
            if "WRONG_VERSION_NUMBER" in str(e) or "wrong version number" in reason:
                return f"handshake failed ({reason}): does {where} speak plain http?"
            return f"handshake failed: {reason}"
    return f"handshake failed: {_innermost(chain)}"


def _ssl_reason(e: ssl.SSLError) -> str:
    match = _SSL_TEXT.search(str(e.args[1]) if len(e.args) > 1 else str(e))
    return match.group(1).strip() if match else (e.reason or str(e)).lower().replace("_", " ")


def _innermost(chain: list[BaseException]) -> str:
    """The deepest message of the chain, without urllib3's pool repr and without URLs."""
    for e in reversed(chain):
        text = str(e).strip()
        if text:
            caused = _CAUSED_BY.search(text)  # a wrapper's text only: keep what it wraps
            if caused:
                text = f"{caused.group(1)}: {caused.group(2).strip(chr(34) + chr(39))}"
            text = _POOL_REPR.sub("", text)
            text = re.sub(r"https?://\S+", "<url>", text)
            text = re.sub(r"(url: )\S+", r"\1<url>", text)
            return text[:160]
    return type(chain[-1]).__name__
