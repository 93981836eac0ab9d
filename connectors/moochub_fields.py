"""MOOChub fields that servers send in more than one dialect, read into one meaning (pure).

The standard (v3 and v2.3) and what real servers send instead, each with a test:

* Moodle's MOOChub plugins (KI-Campus's ``local/open_api``) name the course page
  ``uniformResourceLocator`` and put the long text only in ``abstract``: :data:`ALIASES`.
* ``isAccessibleForFree`` as a JSON boolean or as the strings ``"true"``/``"false"``/``"1"``/``"0"``
  (any case): :func:`flag`; anything else is unknown, with a warning.
* ``workload`` beyond what a learner can spend is dropped with a warning, never shown as is:
  :func:`effort` and :data:`MAX_HOURS`.
* ``courseMode`` says where a course is taught: :func:`course_mode`.
* An offer's ``paymentFrequency`` (xikolo: ``payment_frequency``): :func:`payment_frequency`.
* ``publisher`` may be a Person, who is never the organisation: :func:`organization_value`.
* ``expires`` is a DateTimeSeries; the course is expired only after the latest: :func:`expiry`.
* Run keys take the date a start has where the source wrote it (``2016-10-15T00:00:00+02:00``
  is the 15th, not the 14th in UTC): :func:`written_day`.

Warnings go through ``warn(message, *args)``, which the mapping binds to the feed and course.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from connectors.normalize import clean_text, parse_datetime
from connectors.records import PAYMENT_FREQUENCIES

#: ``warn("workload %s dropped", value)``: one logged warning naming the feed and the course.
Warn = Callable[..., None]

#: Standard attribute → the names dialects send it under, tried in order when it is empty.
ALIASES: dict[str, tuple[str, ...]] = {
    "url": ("uniformResourceLocator",),
    "description": ("abstract",),
}

#: The most hours a learner can plan with per unit: full-time study is about 40 h a week
#: (8 h a day on 5 days, 160 h a month); a workload above it is a unit mix-up (minutes or a
#: course total sent as hours a week), so it is dropped with a warning. A ``workload`` object
#: without a unit is a course total, up to 500 h (about 17 ECTS credits).
MAX_HOURS: dict[str, float] = {"h/day": 12, "h/week": 40, "h/month": 160, "h": 500}

#: Units in minutes are hours sent in the unit the source named: converted, since it is certain.
_MINUTE_UNITS = {"min/day": "h/day", "min/week": "h/week", "min/month": "h/month", "min": "h"}

_TRUE, _FALSE = frozenset({"true", "1"}), frozenset({"false", "0"})
_EMPTY: tuple[Any, ...] = (None, "", [], {})
_FREQUENCIES = frozenset(PAYMENT_FREQUENCIES)
_PLACES = {"online": "online", "onsite": "onsite", "on-site": "onsite", "blended": "blended"}
_PACINGS = frozenset({"synchronous", "asynchronous"})


def attribute(attrs: dict[str, Any], name: str) -> Any:
    """``attrs[name]``, or the first non-empty dialect alias of it (:data:`ALIASES`)."""
    value = attrs.get(name)
    if value in _EMPTY:
        for alias in ALIASES.get(name, ()):
            if (other := attrs.get(alias)) not in _EMPTY:
                return other
    return value


def flag(value: Any, field: str, warn: Warn) -> bool | None:
    """A boolean from ``true``/``false`` or the strings ``"true"``/``"false"``/``"1"``/``"0"``."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    warn("%s %r is not a boolean; left unknown", field, value)
    return None


def course_mode(modes: set[str], warn: Warn) -> str | None:
    """``courseMode`` → ``"online"``, ``"onsite"`` or ``"blended"`` (on-site and online both).

    ``synchronous``/``asynchronous`` say how the course is paced, not where (the mapping reads
    them as pacing); v2.3's ``"MOOC"`` says nothing beyond what every MOOC is (None).
    """
    places = {_PLACES[m] for m in modes if m in _PLACES}
    unknown = sorted(m for m in modes if m not in _PLACES and m not in _PACINGS and m != "mooc")
    if unknown:
        warn("courseMode %s not understood; ignored", ", ".join(unknown))
    if "blended" in places or {"online", "onsite"} <= places:
        return "blended"
    return places.pop() if places else None


def expiry(values: list[Any]) -> datetime | None:
    """The latest of ``expires``'s date-times: a repeated course is gone only after all of them.

    Raises RecordError for an unparseable one, like every other date.
    """
    dates = [d for v in values if (d := parse_datetime(v, "expires"))]
    return max(dates) if dates else None


def written_day(value: Any, start: datetime) -> str:
    """The calendar date of a start as the source wrote it, in its own offset (for run keys).

    ``start`` is ``value`` already parsed (and validated) in UTC; a value without an offset or in
    UTC has the same date as ``start``, so those run keys stay what they were.
    """
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        return start.date().isoformat()  # UTC: the date is the same (the common case, no parse)
    return datetime.fromisoformat(text).date().isoformat()


def payment_frequency(value: Any, warn: Warn) -> str:
    """An offer's ``paymentFrequency`` in MOOChub's words; "" when absent, else "other"."""
    if value in (None, ""):
        return ""
    text = " ".join(str(value).lower().replace("_", " ").split())
    if text in _FREQUENCIES:
        return text
    dashed = text.replace(" ", "-")
    if dashed in _FREQUENCIES:  # "one time", "half yearly"
        return dashed
    warn("offer paymentFrequency %r is not a MOOChub frequency; stored as 'other'", value)
    return "other"


def organization_value(attrs: dict[str, Any], v2: bool) -> Any:
    """What names the course's organisation: a publisher or provider that is no Person, else the
    first creator of type Organization, else v2.3's ``moocProvider`` (first for v2 items)."""
    order = ("moocProvider", "publisher", "provider") if v2 else ("publisher", "provider")
    for name in order:
        for entry in _entries(attrs.get(name)):
            if not _is_person(entry):
                return entry
    for entry in _entries(attrs.get("creator")):
        if isinstance(entry, dict) and str(entry.get("type", "")).lower() == "organization":
            return entry
    return None if v2 else next(iter(_entries(attrs.get("moocProvider"))), None)


def _entries(value: Any) -> list[Any]:
    if value in _EMPTY:
        return []
    return [v for v in value if v not in _EMPTY] if isinstance(value, list) else [value]


def _is_person(entry: Any) -> bool:
    return isinstance(entry, dict) and str(entry.get("type", "")).lower() == "person"


def effort(workload: Any, warn: Warn) -> str | None:
    """v3 ``{timeValue: 4, timeUnit: "h/week"}`` or v2 hours per week ``4`` → ``"4 h/week"``.

    Minutes in a named minute unit become hours; a value above :data:`MAX_HOURS` for its unit,
    or a unit MOOChub does not have, is dropped with a warning.
    """
    if isinstance(workload, dict):
        value, unit = number(workload.get("timeValue")), clean_text(workload.get("timeUnit")) or "h"
    else:
        value, unit = number(workload), "h/week"
    if value is None or value <= 0:
        return None
    unit = unit.lower().replace(" ", "")
    if unit in _MINUTE_UNITS:
        value, unit = value / 60, _MINUTE_UNITS[unit]
    limit = MAX_HOURS.get(unit)
    if limit is None:
        warn("workload unit %r is not one of h/day, h/week, h/month; dropped", unit)
        return None
    if value > limit:
        warn("workload %g %s is more than the %g a learner can spend; dropped", value, unit, limit)
        return None
    return f"{round(value, 2):g} {unit}"


def number(value: Any) -> float | None:
    """A finite number from a JSON number or a numeric string; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        parsed = float(value)
    except ValueError:
        return None
    return parsed if math.isfinite(parsed) else None
