"""Crontab strings as admins write them, turned into APScheduler 3 cron triggers.

APScheduler's own ``CronTrigger.from_crontab`` numbers weekdays from Monday (0 = Monday), while
crontab numbers them from Sunday (0 and 7 = Sunday). An admin who copies ``0 2 * * 0`` ("every
Sunday") from a crontab would silently get Mondays. Numeric weekdays are therefore translated to
names first, so ``schedule`` means exactly what it means in cron.
"""

from __future__ import annotations

import re
from datetime import tzinfo

from apscheduler.triggers.cron import CronTrigger

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _weekday_names(field: str) -> str:
    """Translate crontab weekdays (0-7, Sunday = 0 or 7) into APScheduler's day names."""
    if field == "*" or re.search(r"[a-z]", field, re.I):
        return field  # "*" and names mean the same in both
    days: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            first_text, last_text = base.split("-", 1)
            first, last = int(first_text), int(last_text)
        else:
            first = last = int(base)
        if not (0 <= first <= 7 and 0 <= last <= 7) or step < 1:
            raise ValueError(f"weekday field {field!r}: days run 0-7, where 0 and 7 are Sunday")
        if first > last:
            raise ValueError(f"weekday range {base!r} runs backwards")
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_DAY_NAMES[day] for day in sorted(days))


def cron_trigger(expression: str, timezone: tzinfo | str = "UTC") -> CronTrigger:
    """A trigger for a five-field crontab expression; ValueError with the reason otherwise."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}"
        )
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_weekday_names(weekday),
        timezone=timezone,
    )
