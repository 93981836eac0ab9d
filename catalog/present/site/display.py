"""Values as the site shows them: numbers, language codes, times in the audience's zone.

**Times** are shown in the audience's time zone — a VNU student reads a Tsinghua deadline and a
run's start as Hanoi time, labelled ``UTC+07:00`` — whatever offset the document gives them in
(application windows arrive in the offering institution's zone, runs in UTC). A site has one
audience, so :func:`time_text` makes one remembering formatter per site; without a zone (an audience
the site knows nothing of) each time keeps the offset it came with.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any

from catalog.memo import cached


def number_text(value: Any) -> str:
    """A number as a student reads it: ``2.0`` → ``2``, None → ``""``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 string as an aware datetime (naive means UTC); None when unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def epoch(value: Any) -> int | None:
    """Epoch seconds of an ISO 8601 time; None when unreadable."""
    moment = parse_time(value)
    return int(moment.timestamp()) if moment else None


def offset_label(moment: datetime) -> str:
    """``UTC``, ``UTC+07:00``, ``UTC-03:30``: the offset of an aware moment."""
    offset = moment.strftime("%z")
    return "UTC" if offset in ("+0000", "-0000") else f"UTC{offset[:3]}:{offset[3:]}"


def moment_text(moment: datetime) -> str:
    """``2026-01-05 00:00 UTC+07:00``: an aware moment in its own offset."""
    return f"{moment:%Y-%m-%d %H:%M} {offset_label(moment)}"


def time_text(zone: tzinfo | None) -> Callable[[Any], str]:
    """A remembering ``value → "2026-01-05 00:00 UTC+07:00"`` in ``zone`` (None: the value's own
    offset); ``""`` when absent or unreadable. The result holds digits, ``-``, ``:``, spaces
    and ``UTC±hh:mm`` only: nothing to escape."""

    def show(value: Any) -> str:
        moment = parse_time(value)
        if moment is None:
            return ""
        return moment_text(moment.astimezone(zone) if zone is not None else moment)

    return cached(show)


def language_code(value: Any) -> str:
    """The primary subtag, lowercased (``zh-CN`` → ``zh``), for facets and translations."""
    return str(value).split("-")[0].split("_")[0].lower() if value else ""
