"""Small pure helpers every connector's mapping uses: text, dates, URLs, language.

They raise :class:`~connectors.errors.RecordError` for values that cannot be trusted (an
unparseable date is rejected, never guessed).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from connectors.errors import RecordError
from connectors.records import CourseRecord, Item, Rejected, is_http_url

# Characters XML 1.0 forbids and databases mishandle (PostgreSQL rejects NUL outright).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
# Anything clean_text would change inside a line: a control or line-break character, a space
# other than U+0020, a run of spaces. Text without it (and NFC already) is returned as it is.
_UNCLEAN = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000]|  "
)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Letters only Vietnamese uses among Latin scripts (horn, breve, stroke d, and dot-below tones).
_VIETNAMESE = re.compile(r"[ăâđêôơưĂÂĐÊÔƠƯạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)


def clean_text(value: object) -> str | None:
    """Text with control characters removed, odd spaces folded, NFC-normalised; ``None`` if empty.

    Full-width (U+3000) and non-breaking spaces become plain spaces: XuetangX and edX both emit
    them, and a student's search should not care.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    if (
        value
        and not value[0].isspace()
        and not value[-1].isspace()
        and not _UNCLEAN.search(value)
        and unicodedata.is_normalized("NFC", value)
    ):
        return value  # the common case, and what the steps below would give back
    value = unicodedata.normalize("NFC", _CONTROL.sub("", value))
    lines = [_SPACES.sub(" ", line).strip() for line in value.splitlines()]
    text = "\n".join(line for line in lines if line)
    return text or None


def parse_datetime(value: object, field: str, *, default_tz: tzinfo = UTC) -> datetime | None:
    """An aware datetime from an ISO 8601 string; naive values are read in ``default_tz``.

    ``None`` and ``""`` give ``None``. Anything else that is not a date raises RecordError naming
    the field, so the record is rejected instead of being stored with a guessed date.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RecordError(f"{field}: expected an ISO 8601 date string, got {type(value).__name__}")
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise RecordError(f"{field}: unparseable date {value[:40]!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    elif parsed.tzinfo is UTC:
        return parsed
    return parsed.astimezone(UTC)


def utc_iso(when: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 in UTC with ``Z`` (``2025-01-10T03:15:42.120511Z``)."""
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z") if when else None


def from_epoch_millis(value: object, field: str) -> datetime | None:
    """An aware UTC datetime from epoch milliseconds (XuetangX), ``None`` for null."""
    if value is None or value == "":
        return None
    if not isinstance(value, int | float | str):
        raise RecordError(f"{field}: not an epoch-milliseconds timestamp: {value!r}")
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise RecordError(f"{field}: not an epoch-milliseconds timestamp: {value!r}") from None


def zone(name: str) -> tzinfo:
    """The IANA zone ``name`` (validated by the config loader before we get here)."""
    return UTC if name.upper() == "UTC" else ZoneInfo(name)


def absolute_url(base: str, value: object) -> str | None:
    """``value`` resolved against ``base``; ``None`` for empty values."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if _PLAIN_PATH.match(value):
        # What urljoin gives for an absolute path with no dot segment, without its parsing
        # (two URLs per course run: the harvest's largest cost in the connectors).
        origin = _origin(base)
        if origin is not None:
            return origin + value
    return urljoin(base if base.endswith("/") else base + "/", value)


#: An absolute path (not ``//host``) with no ``.`` or ``..`` segment, no query, fragment or
#: ``;params``, no backslash, space or control character: urljoin would keep it as it is.
_PLAIN_PATH = re.compile(r"/(?![/.])(?:[^\x00-\x20\x7f\\./?#;]|\.(?![./]|\Z)|/(?![/.]))*\Z")
_ORIGIN = re.compile(r"(https?://[^/?#@\\\s]+)(?:[/?#].*)?\Z", re.S)


@lru_cache(maxsize=64)
def _origin(base: str) -> str | None:
    """``scheme://host[:port]`` of a plain http(s) ``base``, else None (urljoin decides)."""
    match = _ORIGIN.match(base)
    return match.group(1) if match else None


def http_url(base: str, value: object) -> str | None:
    """``value`` resolved against ``base`` when that gives an http(s) URL with a host, else None."""
    url = absolute_url(base, value)
    return url if url and is_http_url(url) else None


def guess_language(*texts: str | None, default: str | None = None) -> str | None:
    """``"zh"`` for Han text, ``"vi"`` for Vietnamese letters, else ``default``.

    Only for sources whose API does not say (the Open edX Courses API has no language field);
    a connector that knows the language never calls this.
    """
    joined = " ".join(t for t in texts if t)
    if _CJK.search(joined):
        return "zh"
    if _VIETNAMESE.search(joined):
        return "vi"
    return default


#: ISO 639-2/B and /T codes and language names that sources write instead of BCP 47 tags.
_LANGUAGE_NAMES = {
    "vie": "vi", "zho": "zh", "chi": "zh", "eng": "en", "fra": "fr", "fre": "fr", "deu": "de",
    "ger": "de", "spa": "es", "jpn": "ja", "kor": "ko", "rus": "ru", "por": "pt", "ita": "it",
    "tha": "th", "ind": "id", "msa": "ms", "may": "ms", "lao": "lo", "khm": "km",
    "vietnamese": "vi", "chinese": "zh", "english": "en", "tiếng việt": "vi", "中文": "zh",
}  # fmt: skip
_TAG_SHAPE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|blockquote)\b[^>]*>", re.I)
_ANY_TAG = re.compile(r"<[^>]*>")


def language_tag(value: object) -> str | None:
    """A BCP 47 tag from what sources write: ``en-us`` → ``en-US``, ``zh_hans`` → ``zh-Hans``,
    ``vie`` → ``vi``, ``Vietnamese`` → ``vi``. Undetermined (``und``, ``mul``) and junk → None."""
    text = (clean_text(value) or "") if isinstance(value, str) else ""
    if text.lower() in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[text.lower()]
    if not _TAG_SHAPE.match(text):
        return None
    primary, *subtags = text.replace("_", "-").split("-")
    primary = _LANGUAGE_NAMES.get(primary.lower(), primary.lower())
    if primary in ("und", "mul", "zxx", "mis"):
        return None
    out, private = [primary], False
    for part in subtags:
        private = private or len(part) == 1  # after a singleton (x-…) casing is free-form
        if not private and len(part) == 4 and part.isalpha():
            out.append(part.title())  # script: Hans
        elif not private and ((len(part) == 2 and part.isalpha()) or part.isdigit()):
            out.append(part.upper())  # region: US, 419
        else:
            out.append(part.lower())
    return "-".join(out)


def summary(text: object, limit: int = 300) -> str | None:
    """Plain text of an HTML (or Markdown) snippet, cut at a word near ``limit`` characters."""
    if not isinstance(text, str):
        return None
    stripped = _ANY_TAG.sub("", _BLOCK_TAG.sub(" ", text))  # "<b>AI</b>:" stays "AI:"
    plain = clean_text(" ".join(html.unescape(stripped).split()))
    if not plain or len(plain) <= limit:
        return plain
    cut = plain[:limit].rsplit(" ", 1)[0]
    return f"{cut.rstrip(' ,;:.')}…"


def map_each(
    raws: Iterable[Any], map_one: Callable[[Any], CourseRecord], *, twice: str | None = None
) -> list[Item]:
    """One page's raw items → records, or Rejected with the reason map_one's RecordError gives.

    With ``twice`` (a reason; ``{key}`` is filled in), a key seen before on the page is rejected
    and the first kept: a source that lists one course twice on a page contradicts itself.
    """
    items: list[Item] = []
    seen: set[str] = set()
    for raw in raws:
        try:
            record = map_one(raw)
        except RecordError as exc:
            items.append(Rejected(reason=exc.reason, key=exc.key, raw=raw))
            continue
        if twice is not None:
            if record.key in seen:
                items.append(Rejected(twice.format(key=record.key), key=record.key, raw=raw))
                continue
            seen.add(record.key)
        items.append(record)
    return items
