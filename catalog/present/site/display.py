"""Values as the site shows them: numbers, language codes, times in the audience's zone.

**Times** are shown in the audience's time zone — a VNU student reads a Tsinghua deadline and a
run's start as Hanoi time, labelled ``UTC+07:00`` — whatever offset the document gives them in
(application windows arrive in the offering institution's zone, runs in UTC). A site has one
audience, so :func:`time_text` makes one remembering formatter per site; without a zone (an audience
the site knows nothing of) each time keeps the offset it came with.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from catalog.memo import Memo


def number_text(value: Any) -> str:
    """A number as a student reads it: ``2.0`` → ``2``, None → ``""``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def epoch(moment: datetime | None) -> int | None:
    """Epoch seconds of a moment; None for none."""
    return int(moment.timestamp()) if moment is not None else None


def offset_label(moment: datetime) -> str:
    """``UTC``, ``UTC+07:00``, ``UTC-03:30``: the offset of an aware moment."""
    offset = moment.strftime("%z")
    return "UTC" if offset in ("+0000", "-0000") else f"UTC{offset[:3]}:{offset[3:]}"


def moment_text(moment: datetime) -> str:
    """``2026-01-05 00:00 UTC+07:00``: an aware moment in its own offset."""
    return f"{moment:%Y-%m-%d %H:%M} {offset_label(moment)}"


def time_text(zone: tzinfo | None) -> Callable[[datetime | None], str]:
    """A remembering ``moment → "2026-01-05 00:00 UTC+07:00"`` in ``zone`` (None: the moment's
    own offset); ``""`` for none. The result holds digits, ``-``, ``:``, spaces and
    ``UTC±hh:mm`` only: nothing to escape."""
    memo: Memo[str] = Memo()

    def text(moment: datetime) -> str:
        return moment_text(moment.astimezone(zone) if zone is not None else moment)

    def show(moment: datetime | None) -> str:
        if moment is None:
            return ""
        # keyed by the zone too: equal instants in two offsets print apart when zone is None
        return memo.get((moment, moment.tzinfo), text, moment)

    return show


def language_code(value: Any) -> str:
    """The primary subtag, lowercased (``zh-CN`` → ``zh``), for facets and translations."""
    return str(value).split("-")[0].split("_")[0].lower() if value else ""
