"""Querying the search index: every folded word of the query, ranked by where it matched.

SQLite asks the trigram table for the rows holding every trigram of the query's terms (``MATCH
"gia" AND "iao" AND …``) and checks the terms themselves with ``LIKE`` on the folded column of
those rows (the table keeps no positions: :mod:`catalog.store.textsearch`). Terms shorter than three
characters, and SQLite builds without FTS5 or trigram, have only the ``LIKE``; PostgreSQL's
``pg_trgm`` index serves the ``LIKE`` directly (the folded text is lower case already, so
``LIKE`` does what ``ILIKE`` would).

**Ranking**: titles containing the query as typed (case-insensitive, accents kept) first, then
titles containing the folded query, then titles containing every folded word, then matches in
the other fields only; within a tier, titles starting with the query, then shorter titles. Each
hit says how it matched (:attr:`SearchHit.match`): ``title-exact`` (the title is the query as
typed), ``title-prefix`` (it starts with it), ``title-as-typed`` (it contains it), ``title``
(the folded title contains the folded query), ``title-words``, ``other``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Integer, Select, and_, case, func, or_, select, text
from sqlalchemy.sql.elements import ColumnElement

from catalog.derive.fold import fold
from catalog.derive.search_text import lower
from catalog.ids import course_id
from catalog.store import renames, tables
from catalog.store.bulk import AnyRow
from catalog.store.textsearch.table import FTS_TABLE, course_search, has_fts

#: Shortest query term the trigram index can match.
TRIGRAM = 3
#: Which courses an audience may see. The exchange's offers table answers it; a caller with a
#: different table passes its own query to :func:`search` (one ``:audience`` parameter).
OFFERS_SQL = "SELECT course_id FROM offers WHERE audience = :audience"

#: How a hit matched, by tier; tier 0 (the title holds the query as typed) is told apart further
#: by :func:`_label`.
_TIER_LABELS = ("title-as-typed", "title", "title-words", "other")


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One course found. ``tier``: 0 title as typed, 1 folded title, 2 title words, 3 elsewhere;
    ``match`` names it for a reader (module docstring), splitting tier 0 into the title being
    the query, starting with it, or holding it."""

    id: str
    course_id: int
    institution: str
    feed: str
    key: str
    title: str
    language: str | None
    organization: str | None
    url: str | None
    tier: int
    match: str


def search(
    conn: Connection,
    query: str,
    *,
    institution: str | None = None,
    language: str | None = None,
    audience: str | None = None,
    limit: int = 20,
    include_withdrawn: bool = False,
    offers_sql: str = OFFERS_SQL,
) -> list[SearchHit]:
    """Courses matching every word of ``query`` (folded), best first.

    ``institution`` is the offering institution; ``language`` a BCP 47 tag or its primary
    subtag (``zh`` matches ``zh-Hans``); ``audience`` keeps courses offered to that institution
    (``offers_sql`` says where offers live). Withdrawn courses are left out unless asked for.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    folded = fold(query)
    if not folded:
        return []
    terms, typed = folded.split(" "), lower(query)
    conditions = [
        *_matching(terms, fts=has_fts(conn)),
        *_filters(institution, language, audience, include_withdrawn, offers_sql),
    ]
    statement = _ranked(conditions, terms, typed).limit(limit)
    return [_hit(row, typed) for row in conn.execute(statement)]


def _matching(terms: Sequence[str], *, fts: bool) -> list[ColumnElement[bool]]:
    """The index rows whose folded text holds every term."""
    s = course_search.c
    conditions: list[ColumnElement[bool]] = []
    if fts and any(len(t) >= TRIGRAM for t in terms):
        # The rows holding every trigram of every term; the LIKE below keeps those that hold
        # the terms themselves (the table has no positions to tell: module docstring).
        trigrams = dict.fromkeys(
            t[i : i + TRIGRAM] for t in terms for i in range(len(t) - TRIGRAM + 1)
        )
        match = " AND ".join(_fts_string(t) for t in trigrams)
        fts_rows = text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :fts_query")
        conditions.append(
            s.course_id.in_(fts_rows.bindparams(fts_query=match).columns(rowid=Integer))
        )
    conditions += [s.folded.like(_contains(t), escape="\\") for t in terms]
    return conditions


def _filters(
    institution: str | None,
    language: str | None,
    audience: str | None,
    include_withdrawn: bool,
    offers_sql: str,
) -> list[ColumnElement[bool]]:
    """The courses a search may return: status, institution, language, audience."""
    c, f = tables.courses.c, tables.feeds.c
    conditions: list[ColumnElement[bool]] = []
    if not include_withdrawn:
        conditions.append(c.status == "active")
    # A held course that reappeared under a new key is found once, under the new one (C15).
    conditions.append(c.id.not_in(renames.superseded()))
    if institution is not None:
        conditions.append(f.institution_id == institution)
    if language is not None:
        tag = language.strip().lower()
        conditions.append(
            or_(func.lower(c.language) == tag, func.lower(c.language).like(_escape(tag) + "-%"))
        )
    if audience is not None:
        offered = text(offers_sql).bindparams(audience=audience).columns(course_id=Integer)
        conditions.append(course_search.c.course_id.in_(offered))
    return conditions


def _ranked(
    conditions: Sequence[ColumnElement[bool]], terms: Sequence[str], typed: str
) -> Select[Any]:
    """The matching courses with their tier, in ranking order (module docstring)."""
    s, c, f = course_search.c, tables.courses.c, tables.feeds.c
    phrase = " ".join(terms)
    tier = case(
        (s.title_lower.like(_contains(typed), escape="\\"), 0),
        (s.title_folded.like(_contains(phrase), escape="\\"), 1),
        (and_(*(s.title_folded.like(_contains(t), escape="\\") for t in terms)), 2),
        else_=3,
    )
    starts = case((s.title_folded.like(_escape(phrase) + "%", escape="\\"), 0), else_=1)
    return (
        select(
            c.id,
            c.feed_id,
            c.key,
            c.title,
            c.language,
            c.organization,
            c.url,
            f.institution_id,
            tier.label("tier"),
        )
        .select_from(
            course_search.join(tables.courses, c.id == s.course_id).join(
                tables.feeds, f.id == c.feed_id
            )
        )
        .where(*conditions)
        .order_by(tier, starts, func.length(c.title), c.title, c.id)
    )


def _hit(row: AnyRow, typed: str) -> SearchHit:
    return SearchHit(
        id=course_id(row.feed_id, row.key),
        course_id=row.id,
        institution=row.institution_id,
        feed=row.feed_id,
        key=row.key,
        title=row.title,
        language=row.language,
        organization=row.organization,
        url=row.url,
        tier=row.tier,
        match=_label(row.tier, row.title, typed),
    )


def _label(tier: int, title: str, typed: str) -> str:
    """The :attr:`SearchHit.match` of a hit (``typed`` is ``lower(query)``). The ranking is the
    SQL's; this only names what it found, so a prefix is not called exact."""
    if tier == 0:
        title_lower = lower(title)
        if title_lower == typed:
            return "title-exact"
        if title_lower.startswith(typed):
            return "title-prefix"
    return _TIER_LABELS[tier]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(value: str) -> str:
    return f"%{_escape(value)}%"


def _fts_string(token: str) -> str:
    """One FTS5 string: inside double quotes everything is literal but a doubled quote."""
    return '"' + token.replace('"', '""') + '"'
