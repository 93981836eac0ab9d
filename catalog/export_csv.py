"""The CSV export: one row per offered course run for one audience, for spreadsheet programs.

**Encoding.** UTF-8 with a byte order mark — without it Excel reads UTF-8 as the local ANSI code
page and shows Vietnamese and Chinese as mojibake. :func:`write_csv` writes the BOM itself, so the
caller opens the file with ``encoding="utf-8", newline=""`` (the ``newline=""`` keeps the csv
module's ``\\r\\n`` row ends from being translated to ``\\r\\r\\n`` on Windows). A stream opened
with ``encoding="utf-8-sig"`` writes its own BOM, so none is added then; a stream in another
encoding is refused, since it cannot hold the text.

**Columns** (:data:`COLUMNS`, in this order, a stable contract for scripts): English names; the
values as the course document has them (ISO 8601 times with their offsets), subjects as ISCED
labels in the audience's language joined by ``"; "``, credits as plain numbers, booleans
``yes`` / ``no`` (empty when unknown).

**Formula injection** (OWASP "CSV Injection", shared/RELIABILITY.md H7): a cell starting with
``= + - @``, a tab or a carriage return (or their full-width forms) is prefixed with ``'`` so a
spreadsheet shows it as text instead of running it; the JSON export keeps the original.

Streamed: rows are written as the course documents arrive. Like the other exports it never owns
the file it writes.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TextIO

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
)

#: The interface language of the two founding institutions' students, used for subject labels
#: when the caller does not say (the CLI passes the audience institution's language).
AUDIENCE_LANGUAGES = {"vnu": "vi", "tsinghua": "zh"}

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# C0 controls other than tab / line feed / carriage return: no spreadsheet wants them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: control characters dropped, formulas defused."""
    value = _CONTROL.sub("", value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def write_csv(
    out: TextIO,
    courses: Iterable[Mapping[str, Any]],
    *,
    audience: str,
    language: str | None = None,
) -> int:
    """Write the offers to ``audience`` in ``courses`` to ``out``; returns the rows written.

    ``courses`` are course documents already filtered to what the audience may see; an offer
    for another audience is skipped all the same. ``language`` picks the subject labels
    (default: the audience's, see :data:`AUDIENCE_LANGUAGES`, else English).
    """
    encoding = (getattr(out, "encoding", None) or "utf-8").lower().replace("_", "-")
    if encoding not in ("utf-8", "utf8", "utf-8-sig", "utf8-sig"):
        raise ValueError(f"the CSV export is UTF-8; the output stream is {encoding}")
    if not encoding.endswith("sig"):
        out.write(BOM)
    lang = language or AUDIENCE_LANGUAGES.get(audience, "en")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for course in courses:
        for row in rows(course, audience=audience, language=lang):
            writer.writerow([safe_cell(row[name]) for name in COLUMNS])
            count += 1
    return count


def rows(course: Mapping[str, Any], *, audience: str, language: str) -> Iterator[dict[str, str]]:
    """The rows of one course: one per (run, offer) to ``audience``, values as text."""
    offers = [o for o in course.get("offers") or [] if o.get("audience") == audience]
    if not offers:
        return
    runs = {run.get("key"): run for run in course.get("runs") or []}
    shared = {
        "course_id": _text(course.get("id")),
        "institution": _text(course.get("institution")),
        "title": _text(course.get("title")),
        "language": _text(course.get("language")),
        "organization": _text(course.get("organization")),
        "subjects": "; ".join(_subject_labels(course, language)),
        "level": _text(course.get("level")),
        "free": _yes_no(course.get("is_free")),
        "certificate": _yes_no(course.get("certificate")),
        "url": _text(course.get("url")),
    }
    for offer in offers:
        run = runs.get(offer.get("run")) or {}
        credits = offer.get("credits") or {}
        equivalence = offer.get("equivalence") or {}
        yield {
            **shared,
            "pacing": _text(run.get("pacing") or course.get("pacing")),
            "run_key": _text(offer.get("run")),
            "start": _text(run.get("start")),
            "end": _text(run.get("end")),
            "enrollment_start": _text(run.get("enrollment_start")),
            "enrollment_end": _text(run.get("enrollment_end")),
            "term": _text(offer.get("term")),
            "application_start": _text(offer.get("application_start")),
            "application_end": _text(offer.get("application_end")),
            "open_now": _yes_no(offer.get("open_now")),
            "seats": _text(offer.get("seats")),
            "host_credits": _text(credits.get("host")),
            "host_credit_system": _text(credits.get("host_system")),
            "home_credits": _text(credits.get("home")),
            "home_credit_system": _text(credits.get("home_system")),
            "equivalence_status": _text(equivalence.get("status")),
            "equivalence_home_course": _text(equivalence.get("home_course")),
        }


def _subject_labels(course: Mapping[str, Any], language: str) -> list[str]:
    entries = course.get("subjects_isced")
    if entries is None:  # a document from before subjects were mapped: map with the defaults
        from catalog.subjects import load_subjects

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
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".")  # 3.0 → "3", 1.5 → "1.5", never 1e+06
    return str(value)


def _yes_no(value: Any) -> str:
    return "" if value is None else ("yes" if value else "no")
