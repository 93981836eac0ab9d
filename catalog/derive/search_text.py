"""The text a course is found by, folded by the rule the static site uses.

**Folding** (:func:`catalog.derive.fold.fold`) is the reference rule, the same step for step as
the site's JavaScript (``catalog/present/site/assets/app.js``) so a query finds the same courses
everywhere: lower case, Unicode NFKD, every combining mark (category M) removed, ``đ`` → ``d``,
whitespace (JavaScript's ``\\s`` set) collapsed and trimmed. So ``giao duc``, ``Giao Duc`` and
``giáo dục`` are all ``giao duc`` and ``Đại học`` is ``dai hoc``; Chinese is left as it is (Han
characters carry no marks), and the fullwidth ``ＡＩ`` a Chinese input method types is ``ai``.

A course's document text is its title, organisation, subjects (the source's names and the
ISCED labels in vi / zh / en, so ``giáo dục`` also finds a Chinese 教育 course) and short
description, folded here in Python, never in SQL, so both databases and the site agree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from catalog.derive.fold import fold
from catalog.derive.subjects import load_subjects
from catalog.memo import cached

#: JavaScript's ``\\s`` (ECMA-262 WhiteSpace + LineTerminator), so Python and the site agree.
_WHITESPACE = re.compile(
    "[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+"
)
_SEPARATOR = " | "  # between fields, so a trigram rarely spans two of them


def lower(text: str | None) -> str:
    """Text as the exact tier compares it: accents kept, case and spacing ignored (NFC)."""
    if not text:
        return ""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text.lower())).strip(" ")


def document_text(
    title: str,
    organization: str | None = None,
    subjects: Iterable[str] = (),
    short_description: str | None = None,
    *,
    subject_mapping: Mapping[str, str] | None = None,
) -> str:
    """The folded text a course is found by (title, organisation, subjects, summary).

    It is ``fold`` of the parts joined by `` | ``. Folding part by part gives the same text
    (every step works within a part: the separator is neither a mark nor a cased letter), so the
    parts that repeat from course to course — the organisation, the subjects with their labels
    in three languages — are folded once and remembered.
    """
    return folded_document_text(
        title, fold(title), organization, subjects, short_description, mapping=subject_mapping
    )


def folded_document_text(
    title: str,
    title_folded: str,
    organization: str | None,
    subjects: Iterable[str],
    short_description: str | None,
    *,
    mapping: Mapping[str, str] | None,
) -> str:
    """:func:`document_text` with the title folded already (the index row needs it too)."""
    names = tuple(s for s in subjects if isinstance(s, str) and s.strip())
    signature = tuple(mapping.items()) if mapping else ()
    given = (title.strip(), organization, names, short_description)
    parts = (
        title_folded,
        _fold_repeated(organization) if organization and organization.strip() else "",
        _subjects_text((names, signature)) if names else "",
        fold(short_description) if short_description and short_description.strip() else "",
    )
    if any(value and not part for value, part in zip(given, parts, strict=True)):
        # A part that folds to nothing: fold the whole text, as the definition says.
        return _document_text_whole(title, organization, names, short_description, mapping)
    return _SEPARATOR.join(part for part in parts if part)


def _fold_subjects(key: tuple[tuple[str, ...], tuple[tuple[str, str], ...]]) -> str:
    """The folded subjects part for ``(names, the subject mapping's items)``."""
    names, signature = key
    parts = _subject_parts(names, dict(signature))
    folded = [fold(part) for part in parts]
    return _SEPARATOR.join(folded) if all(folded) else fold(_SEPARATOR.join(parts))


#: Folded once and remembered (catalog.memo): an institution's organisation and its few subject
#: sets recur on course after course.
_fold_repeated = cached(fold)
_subjects_text = cached(_fold_subjects)


def _subject_parts(names: Sequence[str], mapping: Mapping[str, str] | None) -> list[str]:
    """A course's subject names, then the labels of their ISCED fields in every language."""
    catalog = load_subjects()
    labels = [
        label
        for code in catalog.map(names, mapping or None)
        for label in catalog.labels(code).values()
    ]
    return [p for p in (*names, *labels) if p.strip()]


def _document_text_whole(
    title: str,
    organization: str | None,
    names: Sequence[str],
    short_description: str | None,
    mapping: Mapping[str, str] | None,
) -> str:
    """:func:`document_text` by its definition, for text with a part that folds to nothing."""
    parts = [title, organization or "", *_subject_parts(names, mapping), short_description or ""]
    return fold(_SEPARATOR.join(p for p in parts if p.strip()))
