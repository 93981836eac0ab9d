"""Redirects, followed by hand so that each hop obeys the harvester's rules.

At most ``max_redirects`` hops, http(s) only, never from https down to http; credentials —
the auth provider's headers and any caller header that looks like one — go only to the origin
of the first URL, and a request body (a token request carries the client secret) is never
re-sent to another origin. ``303``, and ``301`` / ``302`` after a POST, continue as a GET.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from connectors.errors import BadResponseError
from connectors.http_response import HttpResponse
from connectors.redact import redact_url

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Caller headers never sent to another origin than the request's first URL.
_CREDENTIAL_HEADER = re.compile(r"(auth|cookie|token|key|secret|password|signature)", re.I)

Origin = tuple[str, str, int | None]


def origin(url: str) -> Origin:
    """(scheme, host, port) with default ports filled in: what credentials are bound to."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


@dataclass(frozen=True, slots=True)
class Hop:
    """One request of a redirect chain."""

    method: str
    url: str
    data: Mapping[str, Any] | str | None = None
    json_body: Any = None


def refuse_unfetchable(url: str, prefix: str) -> None:
    """Only http and https URLs are fetched, the first one and every hop."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise BadResponseError(
            f"{prefix}refusing to fetch {redact_url(url)}: only http and https URLs are followed",
            url=url,
        )


def without_credentials(headers: Mapping[str, str]) -> dict[str, str]:
    """The caller's headers less those that look like credentials, for another origin
    (requests itself drops Authorization on a cross-host redirect; we follow redirects by hand)."""
    return {k: v for k, v in headers.items() if not _CREDENTIAL_HEADER.search(k)}


def redirect_target(hop: Hop, response: HttpResponse, prefix: str) -> str | None:
    """Where ``response`` redirects ``hop`` to, or None when it is the answer. Refuses a
    ``Location`` that is no URL and a step down from https to http."""
    if response.status not in REDIRECT_STATUSES:
        return None
    location = response.headers.get("Location")
    if not location:
        return None
    current = hop.url
    try:
        target = urljoin(current, location)
        origin(target)  # a Location with a bad port or host must not escape as ValueError
    except ValueError:
        raise BadResponseError(
            f"{prefix}{redact_url(current)} redirects to an invalid URL", url=current
        ) from None
    if urlsplit(current).scheme == "https" and urlsplit(target).scheme == "http":
        raise BadResponseError(
            f"{prefix}refusing redirect from {redact_url(current)} to {redact_url(target)}: it "
            "downgrades https to http",
            url=current,
        )
    return target


def follow(hop: Hop, status: int, target: str, first: Origin, prefix: str) -> Hop:
    """The next hop to ``target``: a GET after 303 (and after a POST's 301 / 302), else the
    same request, whose body is never sent to another origin than ``first``."""
    if status == 303 or (status in (301, 302) and hop.method == "POST"):
        return Hop("GET", target)
    if (hop.data is not None or hop.json_body is not None) and origin(target) != first:
        # 307/308 would re-send the body (a token request carries the client secret).
        raise BadResponseError(
            f"{prefix}refusing to re-send a request body from {redact_url(hop.url)} to another "
            f"origin ({redact_url(target)})",
            url=hop.url,
        )
    return Hop(hop.method, target, hop.data, hop.json_body)
