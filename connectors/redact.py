"""Credentials masked out of URLs and out of any text that may quote one (RELIABILITY.md K2).

Keys belong in headers, but some sources take them in the query string (``?api_key=…``), and
URLs travel into places a connector does not write itself: urllib3's DEBUG lines
(``"GET /oai?api_key=… HTTP/1.1" 500``), the text of requests' exceptions, tracebacks. So the
masking is in two forms: :func:`redact_url` for the messages connectors build, and
:func:`redact_text` for the log filter, which cannot know where a URL starts in a line.

Standard library only: the CLI's logging imports it before anything heavy is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

__all__ = ["MIN_SECRET", "SECRET_PARAM", "redact_text", "redact_url", "url_credentials"]

#: Shorter values are not treated as credentials: masking "1" or "on" would garble text.
MIN_SECRET = 4

#: Query parameter names whose values are masked: a whole name or a ``_``/``-`` separated part
#: of it (``api_key``, ``access_token``, ``X-Amz-Signature``), not any substring (``sign`` is
#: XuetangX's course id, not a signature).
SECRET_PARAM = re.compile(
    r"(^|[_-])(token|key|secret|password|passwd|signature|sig|auth)([_-]|$)|apikey|accesstoken",
    re.I,
)
#: ``name=value`` after ``?``, ``&`` or ``;``: a query parameter wherever it is quoted.
_PARAM = re.compile(r"(?<=[?&;])([A-Za-z0-9_.%-]+)=([^&#;\s\"'<>)\]]*)")
#: ``scheme://user:password@`` (or ``user@``) in front of a host.
_USERINFO = re.compile(r"\b([a-z][a-z0-9+.-]*://)[^\s/?#@\"'<>]+@", re.I)
#: An ``Authorization`` value quoted in text: the scheme stays, the credential goes.
_AUTH_VALUE = re.compile(r"\b(Bearer|JWT|Basic)\s+[A-Za-z0-9._~+/=-]{12,}")


def redact_url(url: str) -> str:
    """The URL without userinfo and with secret-looking query values masked, for messages."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port out of range
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.hostname or ""
    if ":" in netloc:  # IPv6 literal: keep its brackets
        netloc = f"[{netloc}]"
    if port:
        netloc = f"{netloc}:{port}"
    query = urlencode(
        [(k, "***" if SECRET_PARAM.search(k) else v) for k, v in parse_qsl(parts.query, True)],
        safe="*:/",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def redact_text(text: str) -> str:
    """``text`` with every URL's userinfo, secret-looking query value and quoted
    ``Authorization`` credential replaced by ``***``; anything else is left as it was."""
    if "=" in text:
        text = _PARAM.sub(_mask_param, text)
    if "@" in text:
        text = _USERINFO.sub(r"\1***@", text)
    return _AUTH_VALUE.sub(r"\1 ***", text)


def _mask_param(match: re.Match[str]) -> str:
    name = match.group(1)
    return f"{name}=***" if SECRET_PARAM.search(name) else match.group(0)


def url_credentials(texts: Iterable[str]) -> list[str]:
    """The credentials in ``texts`` that look like URLs or paths: a userinfo password (or a
    lone user name, which some sources use as the token), and the value of every query
    parameter whose name says key, token, secret, password or signature. Each as written and,
    when that differs, decoded (``t0ken+x`` and ``t0ken x``): a source may echo either."""
    found: list[str] = []
    for text in texts:
        if "?" not in text and "@" not in text:
            continue
        try:
            parts = urlsplit(text)
            candidates = [parts.password or parts.username or ""]
        except ValueError:
            continue
        for pair in parts.query.split("&"):
            name, _, value = pair.partition("=")
            if SECRET_PARAM.search(unquote_plus(name)):
                candidates.append(value)
        for candidate in candidates:
            for spelling in (candidate, unquote_plus(candidate)):
                if len(spelling) >= MIN_SECRET and spelling not in found:
                    found.append(spelling)
    return found
