"""A course's effort as a student reads it, from the free text platforms send (pure).

Open edX's ``effort`` is whatever the author typed into Studio's "Hours of Effort per Week"
box: ``"2:00"`` (the box's own ``HH:MM`` hint), ``"4-6 hours/week"``, ``"4 giờ/tuần"``,
``"每周3小时"``, ``"TBD"``, or values only the platform's own front end decodes (K-MOOC's
``"09:08@07#04:03$06:05"``). A catalog shows effort only when its meaning is certain, in one
form per language — the course's own (Vietnamese, Chinese, else English), the language its
students read the rest of the course in — so that every platform's courses read alike:

* hours a week — ``"2 hours per week"``, ``"4–6 giờ mỗi tuần"``, ``"每周3小时"`` (an en dash
  for a range);
* hours a day — ``"1 hour per day"``, ``"1 giờ mỗi ngày"``, ``"每天1小时"``;
* total hours (no period said) — ``"10 hours"``, ``"10 giờ"``, ``"10小时"``;
* minutes — ``"45 minutes per week"``, ``"1 giờ 30 phút mỗi tuần"`` (never rounded).

``h:mm`` alone (``"2:00"``, ``"1:30"``) is hours and minutes *per week*: that is what the Studio
field asks for and the only thing its hint allows. Anything else (words around the numbers, a
range backwards, more hours than a week has) gives ``None``: the raw text stays in the record's
``raw`` payload, and the connector says once per page how many values it could not read.

``parse_effort`` is cached: a platform repeats the same few effort texts on thousands of runs.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["describe_effort", "parse_effort"]

#: The most hours a period can hold; more is a typo or a code, not an effort.
_LIMITS = {"week": 168, "day": 24, None: 10_000}

_NUM = r"\d{1,5}(?:[.,]\d{1,2})?"
_RANGE = rf"(?P<lo>{_NUM})(?:\s*(?:-|–|—|~|to|đến|至|到)\s*(?P<hi>{_NUM}))?"
_HOURS = r"h|hrs?|hours?|giờ|tiếng|小时|小時|时|時間|시간"
_MINUTES = r"mins?|minutes?|phút|分钟|分鐘|分|분"
_UNIT = rf"(?P<unit>{_HOURS}|{_MINUTES})(?![a-z])\.?"
_WEEK = r"weeks?|wk|wks|tuần|周|週|星期|주"
_DAY = r"days?|ngày|天|日|일"
_ABOUT = r"(?:(?:about|approx\.?|approximately|around|~|khoảng|约|大约|약)\s*)?"
#: ``3 hours per week``, ``4-6 hrs/wk``, ``2 giờ/tuần``, ``3小时/周``, ``5h``, ``10 hours``.
_SUFFIXED = re.compile(
    rf"{_ABOUT}{_RANGE}\s*{_UNIT}\s*"
    rf"(?:(?:/|per\b|an?\b|each\b|every\b|mỗi|một|每|一)?\s*(?:(?P<week>{_WEEK})|(?P<day>{_DAY}))"
    r"|(?P<weekly>weekly|hàng tuần|hằng tuần)|(?P<daily>daily|hàng ngày|hằng ngày))?\.?",
    re.IGNORECASE,
)
#: ``每周3小时``, ``주당 3시간``, ``mỗi tuần 4 giờ``, ``weekly 3 hours``: the period first.
_PREFIXED = re.compile(
    rf"(?:(?P<week>每周|每週|每星期|주당|주|mỗi tuần|weekly|per week)"
    rf"|(?P<day>每天|每日|하루|mỗi ngày|daily|per day))\s*:?\s*{_ABOUT}{_RANGE}\s*{_UNIT}\.?",
    re.IGNORECASE,
)
#: ``2:00``, ``01:30``: hours and minutes per week (Studio's ``HH:MM`` hint).
_CLOCK = re.compile(r"(\d{1,3}):([0-5]\d)")
_MINUTE_WORDS = frozenset(["min", "mins", "minute", "minutes", "phút", "分钟", "分鐘", "分", "분"])


def parse_effort(text: object, language: str | None = None) -> str | None:
    """The normalised effort of a free-text value in ``language`` (a BCP 47 tag: the course's),
    or ``None`` when its meaning is not certain."""
    return _parse(text, _words(language)) if isinstance(text, str) else None


@lru_cache(maxsize=2048)
def _parse(text: str, words: str) -> str | None:
    value = " ".join(unicodedata.normalize("NFKC", text).split()).strip()
    if not value:
        return None
    clock = _CLOCK.fullmatch(value)
    if clock:
        minutes = int(clock[1]) * 60 + int(clock[2])
        return describe_effort(minutes, period="week", minutes=True, language=words)
    match = _SUFFIXED.fullmatch(value) or _PREFIXED.fullmatch(value)
    if match is None:
        return None
    groups = match.groupdict()
    period = "week" if groups.get("week") or groups.get("weekly") else None
    period = "day" if groups.get("day") or groups.get("daily") else period
    in_minutes = _is_minutes(groups["unit"])
    low = _number(groups["lo"])
    high = _number(groups["hi"]) if groups["hi"] else low
    if high < low:
        return None  # "6-4 hours": a typo whose meaning nobody can be sure of
    return describe_effort(low, high, period=period, minutes=in_minutes, language=words)


#: How each language says an amount of time and its period: (hour, hours, minute, minutes,
#: joiner between number and unit, {period: (before, after)}).
_SAY = {
    "en": ("hour", "hours", "minute", "minutes", " ",
           {"week": ("", " per week"), "day": ("", " per day"), None: ("", "")}),
    "vi": ("giờ", "giờ", "phút", "phút", " ",
           {"week": ("", " mỗi tuần"), "day": ("", " mỗi ngày"), None: ("", "")}),
    "zh": ("小时", "小时", "分钟", "分钟", "",
           {"week": ("每周", ""), "day": ("每天", ""), None: ("", "")}),
}  # fmt: skip


def _words(language: str | None) -> str:
    """The language effort is said in: the tag's primary language if it has words, else en."""
    primary = (language or "").split("-", 1)[0].lower()
    return primary if primary in _SAY else "en"


def describe_effort(
    low: float,
    high: float | None = None,
    *,
    period: str | None = "week",
    minutes: bool = False,
    language: str | None = None,
) -> str | None:
    """The normalised text for ``low``–``high`` hours (or minutes) per ``period``, in
    ``language`` (the course's; English when it has no words here).

    ``period`` is ``"week"``, ``"day"`` or ``None`` (a total). ``None`` for nothing (zero) or for
    more than the period can hold. Minutes that make whole hours are said in hours.
    """
    hour, hours, minute, mins, gap, periods = _SAY[_words(language)]
    before, after = periods[period]
    high = low if high is None else high
    scale = 60 if minutes else 1
    if low <= 0 or high / scale > _LIMITS[period]:
        return None
    if minutes and not (low % 60 == 0 and high % 60 == 0):
        if low != high:
            amount = f"{_figure(low)}–{_figure(high)}{gap}{mins}"
        elif low == int(low) and low > 60:
            whole, rest = divmod(int(low), 60)
            amount = f"{whole}{gap}{hour if whole == 1 else hours}{gap}{rest}{gap}{mins}"
        else:
            amount = f"{_figure(low)}{gap}{minute if low == 1 else mins}"
        return f"{before}{amount}{after}"
    low, high = low / scale, high / scale
    if low == high:
        return f"{before}{_figure(low)}{gap}{hour if low == 1 else hours}{after}"
    return f"{before}{_figure(low)}–{_figure(high)}{gap}{hours}{after}"


def _is_minutes(unit: str) -> bool:
    return unit.lower().rstrip(".") in _MINUTE_WORDS


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _figure(value: float) -> str:
    """``2.0`` → ``2``, ``1.5`` → ``1.5``: a number as a person writes it."""
    return str(int(value)) if value == int(value) else f"{value:g}"
