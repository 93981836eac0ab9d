"""Reading a response body within the limits: the size cap on the *decoded* bytes and the
attempt's deadline, both checked while the body streams.

A server that drips one byte every few seconds never trips a read timeout, and a gzip bomb is
small on the wire: only a check per chunk stops them. A body cut short is never returned
(a partial page must not be parsed), and every failure says why in words
(connectors/netcause.py).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

from connectors.errors import FeedError, ResponseTooLarge, TransientFeedError
from connectors.http_settings import HttpSettings
from connectors.netcause import NetFailure, explain
from connectors.redact import redact_url

CHUNK = 65536


class _DeadlineExceeded(Exception):
    pass


def read_capped(
    raw: requests.Response,
    url: str,
    *,
    settings: HttpSettings,
    started: float,
    clock: Callable[[], float],
    prefix: str,
) -> bytes:
    """The whole decoded body of ``raw``, or :class:`ResponseTooLarge` past
    ``max_response_bytes`` and :class:`TransientFeedError` past the deadline or on a broken
    stream."""
    cap = settings.max_response_bytes
    declared = raw.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise ResponseTooLarge(
            f"{prefix}response from {redact_url(url)} declares {int(declared)} bytes, "
            f"more than the {cap}-byte cap (http.max_response_bytes)",
            url=url,
        )
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            if clock() - started > settings.deadline:
                raise _DeadlineExceeded
            chunk = raw.raw.read1(CHUNK, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > cap:
                raise ResponseTooLarge(
                    f"{prefix}response from {redact_url(url)} grew past the "
                    f"{cap}-byte cap (http.max_response_bytes) while decoding; refused",
                    url=url,
                )
            chunks.append(chunk)
    except _DeadlineExceeded:
        raise TransientFeedError(
            f"{redact_url(url)} took longer than the {settings.deadline:.0f} s deadline "
            "(http.deadline)",
            url=url,
        ) from None
    except FeedError:
        raise
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        # Truncated bodies (IncompleteRead), resets mid-body, read timeouts while streaming
        # and corrupt compressed data all land here; a partial body is never parsed.
        failure = explain_failure(exc, url, settings)
        raise TransientFeedError(
            f"reading the body of {redact_url(url)} failed: {failure.text}",
            url=url,
            cause=failure.cause,
        ) from None
    return b"".join(chunks)


def explain_failure(exc: BaseException, url: str, settings: HttpSettings) -> NetFailure:
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
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
    )
