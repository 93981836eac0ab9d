"""What ``moocx check`` shows about a source besides its first page: facts, one a line."""

from __future__ import annotations

import math
from dataclasses import dataclass

from connectors.records import Page


@dataclass(frozen=True, slots=True)
class Fact:
    """One line of what ``moocx check`` shows about a source: ``label: value``.

    Plain text, no markup. ``warning`` marks something the admin should look at (a metadata
    prefix the repository does not offer, a version about to be retired); it is shown, it does
    not fail the check.
    """

    label: str
    value: str
    warning: bool = False


def count_fact(first: Page | None, unit: str, note: str = "") -> list[Fact]:
    """``API count: 98 course runs on 4 pages``, from the total the first page declares.

    The page count is what the source's own page size makes of it (a server may cap the size
    asked for), so it tells how many requests a full harvest costs. Nothing when the source
    declares no total.
    """
    if first is None or first.declared_total is None:
        return []
    total = first.declared_total
    per_page = first.source_count if first.source_count is not None else len(first.items)
    pages = 1 if first.last else (math.ceil(total / per_page) if per_page else None)
    text = f"{total} {unit}"
    if pages:
        text += f" on {pages} page{'s' if pages != 1 else ''}"
    return [Fact("API count", f"{text}; {note}" if note else text)]
