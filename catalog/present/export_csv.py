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
columns by position keeps working. The last ones: the offered run's own page (``run_url``; ``url``
is the course's), its ``run_availability`` as the source says it, its ``price`` as the source
gives it (a decimal string) with its ``currency`` and ``payment_frequency`` (MOOChub's words,
``monthly`` …; empty: once, or not said) — a price is never shown without them — then the
course's ``course_credits`` as the source states them (``host_credits`` are the offer's),
``mode`` (``online`` / ``blended`` / ``onsite``), ``source_modified`` (when the source last
changed it; not the catalog's own time) and ``expires`` (when the source stops offering it).

**Formula injection** (OWASP "CSV Injection", shared/RELIABILITY.md H7): a cell starting with
``= + - @``, a tab or a carriage return (or their full-width forms) is prefixed with ``'`` so a
spreadsheet shows it as text instead of running it; the JSON export keeps the original.

Streamed: rows are written as the course documents arrive. Like the other exports it never owns
the file it writes.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from catalog.memo import Memo, cached
from catalog.present.course_document import (
    CourseDocument,
    Equivalence,
    OfferDocument,
    RunDocument,
)
from catalog.present.document_json import TimeText

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
    # the run's own link and price, then the course's source facts (added with mooc-exchange/1's
    # later fields; empty for a course offered as a whole where they are a run's)
    "run_url",
    "run_availability",
    "price",
    "currency",
    "payment_frequency",
    "course_credits",
    "mode",
    "source_modified",
    "expires",
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
    courses: Iterable[CourseDocument],
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


def rows(course: CourseDocument, *, audience: str, language: str) -> Iterator[dict[str, str]]:
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
        self._time = TimeText()

    def rows(self, course: CourseDocument) -> Iterator[list[str]]:
        """One row per offer to the audience: its run's cells (empty for a whole course)."""
        audience, cell, time = self.audience, self.cell, self._time
        offers = [o for o in course.offers if o.audience == audience]
        if not offers:
            return
        runs = {run.key: run for run in course.runs}
        head = [
            cell(course.id),
            cell(_text(course.institution)),
            cell(_text(course.title)),
            cell(_text(course.language)),
            cell(_text(course.organization)),
            cell("; ".join(_subject_labels(course, self.language))),
            cell(_text(course.level)),
        ]
        tail = [
            cell(_yes_no(course.is_free)),
            cell(_yes_no(course.certificate)),
            cell(_text(course.url)),
        ]
        facts = [
            cell(_text(course.credits)),
            cell(_text(course.mode)),
            cell(_text(time(course.modified))),
            cell(_text(time(course.expires))),
        ]
        for offer in offers:
            run = runs.get(offer.run) if offer.run is not None else None
            run_cells = (
                [
                    cell(_text(run.pacing or course.pacing)),
                    cell(_text(offer.run)),
                    cell(_text(time(run.start))),
                    cell(_text(time(run.end))),
                    cell(_text(time(run.enrollment_start))),
                    cell(_text(time(run.enrollment_end))),
                ]
                if run is not None
                else [cell(_text(course.pacing)), cell(_text(offer.run)), "", "", "", ""]
            )
            yield [
                *head,
                *run_cells,
                *self._offer_cells(offer),
                *tail,
                cell(_yes_no(offer.whole_course)),
                *(_NO_RUN if run is None else self._run_cells(run)),
                *facts,
            ]

    def _run_cells(self, run: RunDocument) -> list[str]:
        """The run's link, availability and price (the columns after ``whole_course``)."""
        cell = self.cell
        return [
            cell(_text(run.url)),
            cell(_text(run.availability)),
            cell(_text(run.price)),
            cell(_text(run.currency)),
            cell(_text(run.payment_frequency)),
        ]

    def _offer_cells(self, offer: OfferDocument) -> list[str]:
        credits, equivalence, time = offer.credits, offer.equivalence, self._time
        values = (
            offer.term,
            time(offer.application_start),
            time(offer.application_end),
            offer.open_now,
            offer.seats,
            *(
                (credits.host, credits.host_system, credits.home, credits.home_system)
                if credits
                else (None,) * 4
            ),
            *((equivalence.status, equivalence.home_course) if equivalence else (None, None)),
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


_NO_EQUIVALENCE = Equivalence("", None, ())
#: The run cells of a row without a run (:meth:`_Cells._run_cells`).
_NO_RUN = ("",) * 5


def _subject_labels(course: CourseDocument, language: str) -> list[str]:
    lang = language.split("-", maxsplit=1)[0].lower()
    labels = []
    for subject in course.subjects_isced:
        names = subject.labels
        label = names.get(lang) or names.get("en") or subject.code
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
