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
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["SECRET_PARAM", "redact_text", "redact_url"]

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
