"""The admin's list of courses that are, or are not, one course: it wins over every rule but one.

A small CSV the admin keeps, one pair a line::

    course_a,course_b,same|not same,note
    tsinghua-edx:course-v1:TsinghuaX+30240184X,tsinghua-xtx:TH12345,same,same lecturer
    vnu-lms:VNU+PHY1,vnu-lms:VNU+PHY2,not same,two semesters of a series

A header line (``course_a,…``), blank lines and lines starting with ``#`` are skipped; the note
is optional (quote it when it has commas). ``same`` joins two courses however different their
titles; ``not same`` keeps them apart even when they share an identity — but no override joins
two institutions' courses (:func:`catalog.derive.clusters.cluster` says which line tries).
Every problem is collected and reported with its line, so the admin fixes the file in one go.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from catalog.errors import CatalogError

_VERDICTS = {"same": True, "not same": False}


@dataclass(frozen=True, slots=True)
class Override:
    """The admin's word on one pair (``a`` < ``b``), with the line of the file that says it."""

    a: str
    b: str
    same: bool
    note: str = ""
    line: int = 0

    def why(self) -> str:
        """The reason ``explain`` gives."""
        verdict = "same" if self.same else "not same"
        note = f": {self.note}" if self.note else ""
        return f"override line {self.line} says {verdict}{note}"


class OverrideError(CatalogError):
    """The override file has errors; ``problems`` are its messages, each naming its line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


def parse_overrides(text: str) -> list[Override]:
    """The overrides of ``text``, in file order; :class:`OverrideError` lists every bad line."""
    overrides: list[Override] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], Override] = {}
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    for row in reader:
        line = reader.line_num
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#") or cells[:2] == ["course_a", "course_b"]:
            continue
        override = _override(cells, line, problems)
        if override is None:
            continue
        earlier = seen.get((override.a, override.b))
        if earlier is not None and earlier.same != override.same:
            problems.append(
                f"overrides line {line}: {override.a} and {override.b} contradict line "
                f"{earlier.line}"
            )
            continue
        seen[(override.a, override.b)] = override
        overrides.append(override)
    if problems:
        raise OverrideError(problems)
    return overrides


def _override(cells: list[str], line: int, problems: list[str]) -> Override | None:
    """One line's override, or None with its problem appended."""
    where = f"overrides line {line}"
    if len(cells) not in (3, 4):
        problems.append(
            f"{where}: {len(cells)} fields, expected course_a,course_b,same|not same[,note]"
            " (quote a note that has commas)"
        )
        return None
    a, b, verdict = cells[0], cells[1], " ".join(cells[2].lower().split())
    for name, value in (("course_a", a), ("course_b", b)):
        if ":" not in value.strip(":"):
            problems.append(f"{where}: {name} {value!r} is not a course id (feed:key)")
            return None
    if a == b:
        problems.append(f"{where}: course_a and course_b are both {a}")
        return None
    if verdict not in _VERDICTS:
        problems.append(f"{where}: {cells[2]!r} is neither 'same' nor 'not same'")
        return None
    a, b = sorted((a, b))
    return Override(a, b, _VERDICTS[verdict], cells[3] if len(cells) == 4 else "", line)
