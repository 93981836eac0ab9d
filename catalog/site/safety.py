"""Everything that stands between untrusted course text and the student's browser.

Every field of a course document may be hostile (a harvested title can hold ``</script>``, a URL
can be ``JaVa&#x09;ScRiPt:``). Four rules, one function each (shared/RELIABILITY.md H1–H6):

* HTML descriptions go through nh3, an allow-list sanitizer, with a small tag set, http/https/
  mailto links only, relative links denied and ``rel="noopener noreferrer nofollow"`` added;
  its output is the only thing templates mark ``|safe``.
* Every other text is plain text, escaped by Jinja2 autoescape (or set with ``textContent`` in
  JavaScript); ``plain_text`` turns markup found in a plain-text field into its words.
* A URL field is rendered only if it is an absolute http(s) URL without control characters.
* JSON inside ``<script>`` has ``<``, ``>``, ``&`` (and U+2028/2029) as ``\\u`` escapes, so no
  value can close the script element; ``json.loads`` still gives back the same data.

Page file names are slugs of the course id plus a hash, so they are safe on every file system.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from typing import Any
from urllib.parse import urlsplit

import nh3

ALLOWED_TAGS = frozenset(
    {"p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "a", "h3", "h4", "blockquote", "code"}
)
LINK_REL = "noopener noreferrer nofollow"

_DESCRIPTION = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style"},
    attributes={"a": {"href", "title"}},
    url_schemes={"http", "https", "mailto"},
    url_relative="deny",
    link_rel=LINK_REL,
    strip_comments=True,
)
_TEXT_ONLY = nh3.Cleaner(tags=set(), clean_content_tags={"script", "style"}, attributes={})

_SPACES = re.compile(r"\s+")
_UNSAFE_IN_URL = re.compile(r"[\x00-\x20\x7f-\x9f\"'<>\\`]")
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


def sanitize_html(fragment: str | None) -> str:
    """The description's HTML reduced to the allow-list; "" for nothing left."""
    if not fragment:
        return ""
    cleaned = _DESCRIPTION.clean(fragment).strip()
    return cleaned if plain_text(cleaned) else ""


def plain_text(value: str | None) -> str:
    """The words of ``value`` with any markup removed and whitespace collapsed (not escaped)."""
    if not value:
        return ""
    if "<" in value or "&" in value:
        value = html.unescape(_TEXT_ONLY.clean(value))
    return _SPACES.sub(" ", value).strip()


def safe_url(value: Any) -> str | None:
    """``value`` if it is an absolute http(s) URL a browser will read the same way, else None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > 2048 or _UNSAFE_IN_URL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def script_json(value: Any) -> str:
    """``value`` as JSON that is safe inside a ``<script>`` element (RELIABILITY H5)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def page_slug(course_id: str) -> str:
    """A file name stem for the course page: ASCII, lowercase, short, unique per course id.

    The hash keeps ids apart that differ only in case or punctuation (case-insensitive disks)
    and names courses whose id has no Latin letters at all.
    """
    digest = hashlib.blake2b(course_id.encode("utf-8"), digest_size=5).hexdigest()
    stem = _SLUG_JUNK.sub("-", course_id.lower()).strip("-")[:60].strip("-")
    return f"{stem}-{digest}" if stem else f"course-{digest}"
