"""The one hardened XML parser every connector uses (shared/RELIABILITY.md rows X1–X14, c1).

Policy, and why:

* **lxml ≥ 6.1**, asserted at import: 6.0.x ``iterparse()`` resolves ``SYSTEM "file://…"``
  entities by default, so a feed could make us read local files.
* **Bytes in**, already capped by the HTTP client. Never a ``str`` (decoding was someone's guess;
  with an encoding declaration lxml raises anyway) and never a path or URL (libxml2 would
  decompress a ``.gz`` path or try to fetch the URL).
* **No DTD at all.** A feed never needs one, and every entity attack (XXE, external DTD,
  parameter entities, billion laughs, quadratic blowup) lives in it. A cheap scan of the prolog
  refuses ``<!DOCTYPE`` before libxml2 sees it; the parsed document's ``docinfo`` is checked as
  well (it catches what the byte scan cannot read, such as UTF-16), before anything is returned.
* **Strict parser options** behind that: no entity resolution, no network, no DTD loading,
  no ``huge_tree`` (depth 256 and 10 MB text-node limits stay on), no ``recover`` (a truncated
  or mislabelled document is an error, never a silently partial or mojibake tree). XInclude is
  never processed (nothing here calls ``.xinclude()``).
* **Streaming** (:func:`iter_elements`) for pages with thousands of records: ``iterparse`` over
  the body, each wanted element cleared once the caller is done with it, with the siblings
  before it, so memory stays flat however many records a page holds.

Every failure is one exception, :class:`XmlError`, carrying libxml2's own words ("Entity 'x' not
defined", "Invalid bytes in character encoding", "Text node too long"…) — without its advice to
lift a limit (``XML_PARSE_HUGE``), which no config can do; the connector adds the feed and the
URL.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from io import BytesIO
from typing import Any

from lxml import etree

if etree.LXML_VERSION < (6, 1):  # pragma: no cover - guarded by the pyproject pin
    raise ImportError(
        f"lxml {etree.__version__} is too old: 6.0.x iterparse() resolves external file "
        "entities; mooc-exchange needs lxml >= 6.1"
    )

#: Options for every parser built here; ``iterparse`` takes the same keywords.
PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "recover": False,
    "remove_pis": True,
    "remove_comments": True,
}

_SPACE = re.compile(rb"[ \t\r\n]*")
_ENCODING_HINT = " (the bytes do not match the document's declared encoding)"
#: libxml2 advises programmers to lift its limits ("try XML_PARSE_HUGE"); an admin cannot, and
#: mooc-exchange never does (X7, X8): say what the limit is for instead.
_HUGE_ADVICE = re.compile(r",? (?:try|use) XML_PARSE_HUGE(?: option)?")
_LIMIT_HINT = (
    " (a limit of libxml2 that mooc-exchange keeps: at most 10,000,000 bytes of text in one "
    "node and 256 levels of nesting)"
)


class XmlError(ValueError):
    """The bytes are not a well-formed, DTD-free XML document of the expected kind."""


def make_parser() -> etree.XMLParser:
    """A fresh strict parser (parsers are not thread-safe, so never share one)."""
    return etree.XMLParser(**PARSER_OPTIONS)


def parse_document(body: bytes, *, root: str | None = None) -> etree._Element:
    """The root element of a whole (small) document, or XmlError.

    ``root``, when given, is the Clark-notation tag the document element must have.
    """
    _check_input(body)
    parser = make_parser()
    try:
        element = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise XmlError(_describe(exc, parser.error_log)) from None
    _check_tree(element, root)
    return element


def iter_elements(
    body: bytes, tags: Collection[str], *, root: str | None = None
) -> Iterator[etree._Element]:
    """Yield each complete element whose Clark-notation tag is in ``tags``, in document order.

    Each element is valid only until the caller asks for the next one: it is then cleared, and
    siblings before a wanted element are detached. An element enclosing other wanted elements
    arrives after them, with them cleared. Nothing is yielded from a document with a DTD or the
    wrong ``root``; a syntax error raises XmlError when the parser reaches it, so a caller that
    must not act on a partial document collects everything before acting.
    """
    if not tags:
        raise ValueError("iter_elements needs at least one tag")
    _check_input(body)
    context = etree.iterparse(BytesIO(body), events=("end",), tag=tuple(tags), **PARSER_OPTIONS)
    events = iter(context)
    checked = False
    while True:
        try:
            _event, element = next(events)
        except StopIteration:
            break
        except etree.XMLSyntaxError as exc:
            raise XmlError(_describe(exc, context.error_log)) from None
        if not checked:
            _check_tree(element.getroottree().getroot(), root)
            checked = True
        yield element
        element.clear(keep_tail=True)
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]
    if not checked and context.root is not None:
        _check_tree(context.root, root)


def has_doctype_prolog(body: bytes) -> bool:
    """True when a ``<!DOCTYPE`` follows the XML declaration, comments and PIs of ``body``.

    A byte scan, so ASCII-compatible encodings only; ``<!DOCTYPE`` inside a comment is skipped.
    """
    pos = 3 if body.startswith(b"\xef\xbb\xbf") else 0
    while True:
        pos = _SPACE.match(body, pos).end()  # type: ignore[union-attr]  # `*` always matches
        for opener, closer in ((b"<?", b"?>"), (b"<!--", b"-->")):
            if body.startswith(opener, pos):
                end = body.find(closer, pos + len(opener))
                if end < 0:
                    return False  # unterminated: the parser reports it
                pos = end + len(closer)
                break
        else:
            return body[pos : pos + 9].upper() == b"<!DOCTYPE"


def _check_input(body: object) -> None:
    if not isinstance(body, bytes):
        raise TypeError(
            f"xmlsafe parses bytes (a size-capped response body), not {type(body).__name__}; "
            "never a decoded str, a path or a URL"
        )
    if has_doctype_prolog(body):
        raise XmlError("DTD not allowed: the document declares a DOCTYPE")
    if not body.strip():
        raise XmlError("empty document")


def _check_tree(element: etree._Element, root: str | None) -> None:
    docinfo = element.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # type: ignore[attr-defined]
        raise XmlError("DTD not allowed: the document declares a DOCTYPE")
    if root is not None and element.tag != root:
        raise XmlError(f"the document element is {element.tag}, expected {root}")


def _describe(exc: etree.XMLSyntaxError, log: Any) -> str:
    """libxml2's first error with its position; lxml's own text can hide it under iterparse."""
    entry = next((e for e in log if e.level >= etree.ErrorLevels.ERROR), None)
    if entry is None:
        return str(exc)
    message = _HUGE_ADVICE.sub("", entry.message.strip())
    text = f"{message} (line {entry.line}, column {entry.column})"
    if entry.message.startswith(("Invalid bytes in character encoding", "Document labelled")):
        text += _ENCODING_HINT
    elif message != entry.message.strip():
        text += _LIMIT_HINT
    return text
