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
#: Tags without attributes whose removal leaves exactly the words an HTML parser finds.
_SIMPLE_TAG = re.compile(
    r"</?(?:p|br|b|i|u|em|strong|span|div|ul|ol|li|h[1-6]|small|sub|sup|code|blockquote)\s*/?>",
    re.IGNORECASE,
)
_UNSAFE_IN_URL = re.compile(r"[\x00-\x20\x7f-\x9f\"'<>\\`]")
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
#: ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` without building an encoder
#: per call, and the same for one string.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_ENCODE_STRING = json.encoder.encode_basestring
#: ``http(s)://`` and a plain host name (and port): what ``urlsplit`` accepts with a hostname.
_PLAIN_HTTP_URL = re.compile(r"[hH][tT][tT][pP][sS]?://[A-Za-z0-9.-]+(?::[0-9]*)?(?:[/?#]|\Z)")


def sanitize_html(fragment: str | None) -> str:
    """The description's HTML reduced to the allow-list; "" for nothing left."""
    return sanitize_description(fragment)[0]


def sanitize_description(fragment: str | None) -> tuple[str, str]:
    """(:func:`sanitize_html`, the words of that HTML) of a description, for the pages that
    show both: nh3 parses the description twice (to the allow-list, then to its words), never
    more."""
    if not fragment:
        return "", ""
    cleaned = _DESCRIPTION.clean(fragment).strip()
    text = plain_text(cleaned)
    return (cleaned if text else ""), text


def plain_text(value: str | None) -> str:
    """The words of ``value`` with any markup removed and whitespace collapsed (not escaped).

    A short description is mostly a few plain tags (``<p>…<strong>…</strong></p>``): when
    every ``<`` opens such a tag and there is no character reference, the words are the text
    between the tags, and nh3 (an HTML parser per call) is not needed. Anything else — an
    attribute, a comment, ``&``, a table (the parser moves stray text out of those), script or
    style — goes through nh3 as always.
    """
    if not value:
        return ""
    if "<" in value or "&" in value:
        bare = None if "&" in value or "\x00" in value else _SIMPLE_TAG.sub("", value)
        if bare is None or "<" in bare:
            bare = html.unescape(_TEXT_ONLY.clean(value))
        value = bare
    return _SPACES.sub(" ", value).strip()


def safe_url(value: Any) -> str | None:
    """``value`` if it is an absolute http(s) URL a browser will read the same way, else None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > 2048 or _UNSAFE_IN_URL.search(url):
        return None
    if _PLAIN_HTTP_URL.match(url):  # the common case, decided without urlsplit
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def script_json(value: Any) -> str:
    """``value`` as JSON that is safe inside a ``<script>`` element (RELIABILITY H5)."""
    return script_safe(json_text(value))


def json_text(value: Any) -> str:
    """``value`` as compact UTF-8 JSON, not yet :func:`script_safe` — for JSON written piece by
    piece (the pages' JSON-LD, the index rows), made script-safe once when whole."""
    if type(value) is str:
        return _ENCODE_STRING(value)
    return _ENCODE(value)


def script_safe(text: str) -> str:
    """JSON text with ``<``, ``>``, ``&``, U+2028 and U+2029 as ``\\u`` escapes: no value can
    close the script element, and ``json.loads`` still gives back the same data (the characters
    appear only inside JSON strings, where the escapes mean the same)."""
    if not (
        "<" in text or ">" in text or "&" in text or "\u2028" in text or "\u2029" in text
    ):  # five substring scans beat one regex character class here, by ten times
        return text
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
