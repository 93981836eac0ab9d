"""Text helpers the OAI-PMH mappings share (oai_dc and IEEE LOM): an element's texts with their
language, the one in the preferred language, escaped HTML, ISO 8601 durations (pure)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from lxml import etree

from connectors.normalize import clean_text, language_tag

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_ESCAPED_TAG = re.compile(r"&lt;/?[A-Za-z][^<>]*?&gt;")
_DURATION = re.compile(
    r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$"
)
_UNITS = ("year", "month", "week", "day", "hour", "minute", "second")


def texts(
    parent: etree._Element, path: str, lang_attr: str = XML_LANG
) -> list[tuple[str, str | None]]:
    """Cleaned non-empty texts at ``path`` with their language attribute (tails excluded)."""
    found = []
    for element in parent.iterfind(path):
        text = clean_text("".join(element.itertext()))  # type: ignore[arg-type]
        if text:
            found.append((text, element.get(lang_attr)))
    return found


def values(parent: etree._Element, path: str) -> list[str]:
    return [text for text, _ in texts(parent, path)]


def pick(values: list[tuple[str, str | None]], language: str | None) -> str | None:
    """The value in ``language`` (primary subtag match) if there is one, else the first."""
    want = language_tag(language)
    if want:
        for text, lang in values:
            if (language_tag(lang) or "").split("-")[0] == want.split("-")[0]:
                return text
    return values[0][0] if values else None


def first_language(values: Iterable[str]) -> str | None:
    return next((tag for tag in map(language_tag, values) if tag), None)


def html_description(text: str | None) -> str | None:
    """Undo one level of escaping when the HTML arrived escaped twice (``&amp;lt;p&amp;gt;``)."""
    if text and "<" not in text and _ESCAPED_TAG.search(text):
        text = html.unescape(text)
    return clean_text(text)


def iso_duration(value: str | None) -> str | None:
    """``PT48H`` → ``48 hours``; text that is not an ISO 8601 duration is kept as written."""
    text = clean_text(value)
    match = _DURATION.match(text or "")
    if not match:
        return text
    parts = [
        f"{int(n)} {unit}{'' if int(n) == 1 else 's'}"
        for n, unit in zip(match.groups(), _UNITS, strict=True)
        if n is not None
    ]
    return " ".join(parts) or None
