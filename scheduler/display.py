"""How numbers and times are shown to a person: "1 page", "2 pages", "2026-12-02 09:30 +07:00".

One place for both, so no output says "1 pages" and no time is shown without its zone: an admin
in Hanoi reading a server that runs in UTC must never have to guess which clock a time is on.
Cheap to import (the standard library only): ``moocx status`` loads it.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

__all__ = ["duration", "iso", "offset", "plural", "when", "zone"]


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` with the noun that agrees with it: ``plural(1, "page")`` is ``"1 page"``."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count} {word}"


def zone(name: str | tzinfo | None) -> tzinfo:
    """The time zone named in the config (``"UTC"``, ``"Asia/Ho_Chi_Minh"``); UTC when None."""
    if name is None:
        return UTC
    if isinstance(name, tzinfo):
        return name
    return UTC if name.upper() == "UTC" else ZoneInfo(name)


def _aware(value: datetime | str | None) -> datetime | None:
    """A timezone-aware datetime; naive values are UTC (the catalog stores UTC)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def offset(value: datetime) -> str:
    """``+07:00``, ``-03:30``, ``+00:00``: the value's UTC offset as ISO 8601 writes it."""
    delta = value.utcoffset()
    minutes = round(delta.total_seconds() / 60) if delta is not None else 0
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def when(value: datetime | str | None, tz: str | tzinfo | None, *, seconds: bool = False) -> str:
    """``2026-12-02 09:30 +07:00`` in zone ``tz`` (``-`` for no value); ISO strings accepted."""
    moment = _aware(value)
    if moment is None:
        return "-" if value is None else str(value)
    local = moment.astimezone(zone(tz))
    return f"{local:%Y-%m-%d %H:%M{':%S' if seconds else ''}} {offset(local)}"


def iso(value: datetime | str | None, tz: str | tzinfo | None) -> str | None:
    """ISO 8601 in zone ``tz`` to the second (``2026-12-02T09:30:00+07:00``): for JSON lines."""
    moment = _aware(value)
    if moment is None:
        return None
    return moment.astimezone(zone(tz)).isoformat(timespec="seconds")


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3 h 02 min``, ``2 d 4 h``: how long, as precisely as it matters."""
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:.0f} s"
    minutes, hours, days = whole // 60, whole // 3600, whole // 86400
    if hours == 0:
        return f"{minutes} min"
    if days == 0:
        return f"{hours} h {minutes % 60:02d} min"
    return f"{days} d {hours % 24} h"
