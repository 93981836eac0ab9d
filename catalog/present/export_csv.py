"""The CSV export: one row per offer to one audience — per offered course run, and one for a
course without runs offered as a whole — for spreadsheet programs.

**Encoding.** UTF-8 with a byte order mark — without it Excel reads UTF-8 as the local ANSI code
page and shows Vietnamese and Chinese as mojibake. :func:`write_csv` writes the BOM itself, so the
caller opens the file with ``encoding="utf-8", newline=""`` (the ``newline=""`` keeps the csv
module's ``\\r\\n`` row ends from being translated to ``\\r\\r\\n`` on Windows). A stream opened
with ``encoding="utf-8-sig"`` writes its own BOM, so none is added then; a stream in another
encoding is refused, since it cannot hold the text.

**Columns** (:data:`COLUMNS`, in this order, a stable contract for scripts): English names; the
values as the course document has them (ISO 8601 times with their offsets), subjects as ISCED
labels in the audience's language joined by ``"; "``, credits as plain numbers, booleans
``yes`` / ``no`` (empty when unknown). A course without runs is offered as a whole: its row has
empty run cells (``run_key`` … ``enrollment_end``; the platform sets its dates) and
``whole_course`` = ``yes``. New columns are added at the end, so a script that reads the
columns by position keeps working.

**Formula injection** (OWASP "CSV Injection", shared/RELIABILITY.md H7): a cell starting with
``= + - @``, a tab or a carriage return (or their full-width forms) is prefixed with ``'`` so a
spreadsheet shows it as text instead of running it; the JSON export keeps the original.

Streamed: rows are written as the course documents arrive. Like the other exports it never owns
the file it writes.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TextIO

from catalog.memo import Memo, cached

COLUMNS = (
    "course_id",
    "institution",
    "title",
    "language",
    "organization",
    "subjects",
    "level",
    "pacing",
    "run_key",
    "start",
    "end",
    "enrollment_start",
    "enrollment_end",
    "term",
    "application_start",
    "application_end",
    "open_now",
    "seats",
    "host_credits",
    "host_credit_system",
    "home_credits",
    "home_credit_system",
    "equivalence_status",
    "equivalence_home_course",
    "free",
    "certificate",
    "url",
    "whole_course",
)


BOM = "\ufeff"
_FORMULA_START = frozenset(("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"))
# C0 controls other than tab / line feed / carriage return: no spreadsheet wants them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: control characters dropped, formulas defused."""
    if not value.isprintable():  # printable text has no control character: skip the regex
        value = _CONTROL.sub("", value)
    return "'" + value if value[:1] in _FORMULA_START else value


def write_csv(
    out: TextIO,
    courses: Iterable[Mapping[str, Any]],
    *,
    audience: str,
    language: str = "en",
) -> int:
    """Write the offers to ``audience`` in ``courses`` to ``out``; returns the rows written.

    ``courses`` are course documents already filtered to what the audience may see; an offer
    for another audience is skipped all the same. ``language`` picks the subject labels: the
    audience's reading language (``[[institutions]] language``, else from its country), which
    the caller knows from the config; English when it gives none.
    """
    encoding = (getattr(out, "encoding", None) or "utf-8").lower().replace("_", "-")
    if encoding not in ("utf-8", "utf8", "utf-8-sig", "utf8-sig"):
        raise ValueError(f"the CSV export is UTF-8; the output stream is {encoding}")
    if not encoding.endswith("sig"):
        out.write(BOM)
    lang = language or "en"
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    # Most cells of an export repeat (institutions, terms, windows, credits, yes / no): each
    # distinct value is made safe once.
    cells = _Cells(audience, lang, cached(safe_cell))
    count = 0
    for course in courses:
        lines = list(cells.rows(course))
        if lines:  # each course is written before the next is read
            writer.writerows(lines)
            count += len(lines)
    return count


def rows(course: Mapping[str, Any], *, audience: str, language: str) -> Iterator[dict[str, str]]:
    """The rows of one course: one per offer to ``audience`` (a run's, or the whole course's),
    values as text."""
    for cells in _Cells(audience, language, str).rows(course):
        yield dict(zip(COLUMNS, cells, strict=True))


class _Cells:
    """The rows of a course as cells in :data:`COLUMNS` order, each passed through ``cell``
    (:func:`safe_cell` for the file). The offer's own cells — term, window, seats, credits,
    equivalence, the same for every run a rule offers — are made once per distinct offer."""

    def __init__(self, audience: str, language: str, cell: Callable[[str], str]) -> None:
        self.audience, self.language, self.cell = audience, language, cell
        self._offers: Memo[list[str]] = Memo()

    def rows(self, course: Mapping[str, Any]) -> Iterator[list[str]]:
        """One row per offer to the audience: its run's cells (empty for a whole course)."""
        audience, cell = self.audience, self.cell
        offers = [o for o in course.get("offers") or () if o.get("audience") == audience]
        if not offers:
            return
        runs = {run.get("key"): run for run in course.get("runs") or ()}
        head = [
            cell(_text(course.get("id"))),
            cell(_text(course.get("institution"))),
            cell(_text(course.get("title"))),
            cell(_text(course.get("language"))),
            cell(_text(course.get("organization"))),
            cell("; ".join(_subject_labels(course, self.language))),
            cell(_text(course.get("level"))),
        ]
        tail = [
            cell(_yes_no(course.get("is_free"))),
            cell(_yes_no(course.get("certificate"))),
            cell(_text(course.get("url"))),
        ]
        course_pacing = course.get("pacing")
        for offer in offers:
            run_key = offer.get("run")
            run = runs.get(run_key) or _EMPTY
            whole = offer.get("whole_course", run_key is None)
            yield [
                *head,
                cell(_text(run.get("pacing") or course_pacing)),
                cell(_text(offer.get("run"))),
                cell(_text(run.get("start"))),
                cell(_text(run.get("end"))),
                cell(_text(run.get("enrollment_start"))),
                cell(_text(run.get("enrollment_end"))),
                *self._offer_cells(offer),
                *tail,
                cell(_yes_no(whole)),
            ]

    def _offer_cells(self, offer: Mapping[str, Any]) -> list[str]:
        credits = offer.get("credits") or _EMPTY
        equivalence = offer.get("equivalence") or _EMPTY
        values = (
            offer.get("term"),
            offer.get("application_start"),
            offer.get("application_end"),
            offer.get("open_now"),
            offer.get("seats"),
            credits.get("host"),
            credits.get("host_system"),
            credits.get("home"),
            credits.get("home_system"),
            equivalence.get("status"),
            equivalence.get("home_course"),
        )
        return self._offers.get(values, self._convert, values)

    def _convert(self, values: tuple[Any, ...]) -> list[str]:
        cell = self.cell
        term, start, end, open_now, *rest = values
        return [
            cell(_text(term)),
            cell(_text(start)),
            cell(_text(end)),
            cell(_yes_no(open_now)),
            *(cell(_text(v)) for v in rest),
        ]


_EMPTY: Mapping[str, Any] = {}


def _subject_labels(course: Mapping[str, Any], language: str) -> list[str]:
    entries = course.get("subjects_isced")
    if entries is None:  # a document from before subjects were mapped: map with the defaults
        from catalog.derive.subjects import load_subjects

        entries = load_subjects().entries(course.get("subjects") or [])
    lang = language.split("-", maxsplit=1)[0].lower()
    labels = []
    for entry in entries:
        names = entry.get("labels") or {}
        label = names.get(lang) or names.get("en") or entry.get("code")
        if label and label not in labels:
            labels.append(str(label))
    return labels


def _text(value: Any) -> str:
    if value is None:
        return ""
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".")  # 3.0 → "3", 1.5 → "1.5", never 1e+06
    return str(value)


def _yes_no(value: Any) -> str:
    return "" if value is None else ("yes" if value else "no")
