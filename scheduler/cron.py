"""Crontab strings as admins write them, turned into APScheduler 3 cron triggers.

APScheduler's own ``CronTrigger.from_crontab`` numbers weekdays from Monday (0 = Monday), while
crontab numbers them from Sunday (0 and 7 = Sunday). An admin who copies ``0 2 * * 0`` ("every
Sunday") from a crontab would silently get Mondays. Numeric weekdays are therefore translated to
names first, so ``schedule`` means exactly what it means in cron.

Crontab's shorthands are accepted too (``@daily`` is ``0 0 * * *``, as in cron(8)); ``@reboot``
is refused with the reason: the service runs feeds on a clock and has no boot of its own.
"""

from __future__ import annotations

import difflib
import re
from datetime import tzinfo

from apscheduler.triggers.cron import CronTrigger

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
#: crontab(5)'s shorthands, as Vixie cron and cronie expand them.
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_DAY_NUMBERS = {name: str(number) for number, name in enumerate(_DAY_NAMES)}


def _weekday_names(field: str) -> str:
    """Translate crontab weekdays (0-7, Sunday = 0 or 7, or names) into APScheduler's day names."""
    if field == "*":
        return field
    # Names become crontab numbers first, so "mon,5" and "mon-fri/2" mean what they mean in cron
    # (APScheduler would read 5 as Saturday and silently drop a step after a range of names).
    days: set[int] = set()
    for part in field.split(","):
        numeric = re.sub(
            r"[a-z]+", lambda m: _DAY_NUMBERS.get(m[0].lower(), m[0]), part, flags=re.I
        )
        base, slash, step_text = numeric.partition("/")
        try:
            step = int(step_text) if slash else 1
            if base == "*":
                first, last = 0, 6
            elif "-" in base:
                first_text, last_text = base.split("-", 1)
                first, last = int(first_text), int(last_text)
            else:
                first = last = int(base)
        except ValueError:
            raise ValueError(
                f"weekday field {field!r}: use days 0-7 (0 and 7 are Sunday) or sun-sat, "
                "as single days, ranges (1-5), lists (1,3) and steps (*/2, 1-5/2)"
            ) from None
        if slash and base != "*" and "-" not in base:
            raise ValueError(f"weekday {part!r}: a step needs a range, e.g. 1-5/2 or */2")
        if not (0 <= first <= 7 and 0 <= last <= 7):
            raise ValueError(f"weekday field {field!r}: days run 0-7, where 0 and 7 are Sunday")
        if step < 1:
            raise ValueError(f"weekday {part!r}: the step must be 1 or more")
        if first > last:
            raise ValueError(f"weekday range {part!r} runs backwards")
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_DAY_NAMES[day] for day in sorted(days))


def cron_trigger(
    expression: str, timezone: tzinfo | str = "UTC", jitter: float | None = None
) -> CronTrigger:
    """A trigger for a crontab expression; ValueError with the reason otherwise.

    Five fields, as in crontab, or one of its ``@`` shorthands (:data:`MACROS`). Six fields put
    seconds first (``*/10 * * * * *``: every ten seconds), for tests and demos that cannot wait
    for the next minute.
    """
    fields = expand_macro(expression).split()
    second = "0"
    if len(fields) == 6:
        second, *fields = fields
    if len(fields) != 5:
        raise ValueError(
            "expected 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds "
            f"first, got {len(expression.split())}"
        )
    minute, hour, day, month, weekday = fields
    if not day.startswith("*") and not weekday.startswith("*"):
        # crontab fires when EITHER field matches; APScheduler only when both do.
        raise ValueError(
            f"day-of-month {day!r} and day-of-week {weekday!r} are both set: crontab runs on "
            "days matching either, APScheduler only on days matching both; set one of them to *"
        )
    return CronTrigger(
        second=second,
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_weekday_names(weekday),
        timezone=timezone,
        jitter=int(jitter) if jitter else None,
    )


def expand_macro(expression: str) -> str:
    """``@daily`` → ``0 0 * * *``; any other expression unchanged; ValueError for ``@reboot``
    and for an ``@`` word crontab does not know."""
    word = expression.strip()
    if not word.startswith("@"):
        return expression
    if word.lower() == "@reboot":
        raise ValueError(
            "@reboot is not supported: moocx serve runs feeds on a clock, not at boot; give a "
            "schedule such as @daily (to sync at boot, put `moocx sync` in a @reboot crontab line)"
        )
    if word.lower() not in MACROS:
        close = difflib.get_close_matches(word.lower(), list(MACROS), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ValueError(f"unknown shorthand {word}{hint}; crontab knows {', '.join(MACROS)}")
    return MACROS[word.lower()]
