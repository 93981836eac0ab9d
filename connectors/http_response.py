"""A fully read HTTP response and what connectors ask of it: strict JSON, "is this an HTML page
where an API should be?", a short hint from an error body, and the validators of a conditional
GET (``ETag`` / ``Last-Modified``)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.errors import BadResponseError, WrongEndpointError
from connectors.feedlog import feed_prefix
from connectors.redact import redact_url


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


def decode_json(response: HttpResponse, *, feed_id: str = "", api: str | None = None) -> Any:
    """Strictly decode a JSON body: UTF-8 (BOM allowed), never guessed, never an HTML page.

    ``api`` names what should have answered ("the Open edX Courses API") in the message an HTML
    page gets: a login page, a portal's home page or a maintenance notice where the API should
    be almost always means a wrong ``base_url``.
    """
    prefix = feed_prefix(feed_id)
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


def body_hint(response: HttpResponse) -> str:
    """What an error body says, for the error's message: ``: Rate limit exceeded`` from a JSON
    error, `` ("Maintenance")`` from an HTML page's title, else nothing."""
    content = response.content[:4000]
    try:
        data = json.loads(content)
    except ValueError:
        title = _page_title(content)
        return f' ("{title}")' if title else ""
    if isinstance(data, dict):
        for key in ("developer_message", "detail", "message", "error_description", "error"):
            if isinstance(data.get(key), str):
                return f": {data[key][:200]}"
    return ""


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
