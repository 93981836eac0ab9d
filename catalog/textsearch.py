"""Text search over the catalog, with the folding rules the static site uses.

**Folding** (:func:`fold`) is the reference rule, the same step for step as the site's
JavaScript (``catalog/site/assets/app.js``) so a query finds the same courses everywhere:
lower case, Unicode NFKD, every combining mark (category M) removed, ``đ`` → ``d``, whitespace
(JavaScript's ``\\s`` set) collapsed and trimmed. So ``giao duc``, ``Giao Duc`` and ``giáo dục``
are all ``giao duc`` and ``Đại học`` is ``dai hoc``; Chinese is left as it is (Han characters
carry no marks), and the fullwidth ``ＡＩ`` a Chinese input method types is ``ai``. In
JavaScript: ``s.toLowerCase().normalize("NFKD").replace(/\\p{M}/gu, "").replace(/đ/g, "d")``
then the whitespace collapse.

**The index** is a table ``course_search`` with, per course, the folded text of its title,
organisation, subjects (the source's names and the ISCED labels in vi / zh / en, so
``giáo dục`` also finds a Chinese 教育 course) and short description, plus its title lower-cased
and folded for ranking. The ingest writes the rows of the courses a page created or changed
(:func:`index_row`, :func:`store_index_rows`); :func:`refresh_index` rebuilds them from
``courses``. The text is folded here in Python, never in SQL, so both
databases and the site agree.

* SQLite: an FTS5 virtual table with the ``trigram`` tokenizer (SQLite ≥ 3.34) over the folded
  text, kept in step with ``course_search``: new rows by :func:`store_index_rows` (one
  ``executemany``: an insert trigger costs four times as much), updates and deletes by
  triggers. Trigrams match any substring of three or more characters, which is what Chinese
  (no spaces between words) and folded Vietnamese both need. The table keeps no positions
  (``detail=none``): a query asks it for the rows holding every trigram of its terms (``MATCH
  "gia" AND "iao" AND …``) and checks the terms themselves with ``LIKE`` on the folded column
  of those rows. Positions would let FTS5 match whole phrases, but they made the index four
  times larger and its writes two and a half times slower, a large share of the catalog's own
  write cost in a full harvest; the trigram intersection costs about the same as a phrase
  match (bench, issue 7). Query terms shorter than three characters, and SQLite builds without
  FTS5 or trigram, have only the ``LIKE``.
* PostgreSQL: the folded column with a ``pg_trgm`` GIN index when the extension can be created,
  which serves ``LIKE '%term%'``; without the extension the same ``LIKE`` scans. (The folded text
  is lower case already, so ``LIKE`` does what ``ILIKE`` would.)

:func:`ddl_statements` gives the statements for a migration. **Ranking**: titles containing the
query as typed (case-insensitive, accents kept) first, then titles containing the folded query,
then titles containing every folded word, then matches in the other fields only; within a tier,
titles starting with the query, then shorter titles. Each hit says how it matched
(:attr:`SearchHit.match`): ``title-exact`` (the title is the query as typed), ``title-prefix``
(it starts with it), ``title-as-typed`` (it contains it), ``title`` (the folded title contains
the folded query), ``title-words``, ``other``.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    case,
    delete,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.sql.elements import ColumnElement

from catalog import renames, tables
from catalog.bulk import Bulk
from catalog.documents import course_id
from catalog.site.fold import fold
from catalog.subjects import load_subjects

#: Shortest query term the trigram index can match.
TRIGRAM = 3
BATCH = 500
INDEX_TABLE = "course_search"
FTS_TABLE = "course_search_fts"
#: FTS5's ``detail`` option of the trigram table: no positions (see the module docstring).
FTS_DETAIL = "none"
#: Which courses an audience may see. The exchange's offers table answers it; a caller with a
#: different table passes its own query to :func:`search` (one ``:audience`` parameter).
OFFERS_SQL = "SELECT course_id FROM offers WHERE audience = :audience"

#: JavaScript's ``\\s`` (ECMA-262 WhiteSpace + LineTerminator), so Python and the site agree.
_WHITESPACE = re.compile(
    "[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+"
)
_SEPARATOR = " | "  # between fields, so a trigram rarely spans two of them

# Its own metadata: the table is created by a migration from ddl_statements(), not by models.
_metadata = MetaData()
course_search = Table(
    INDEX_TABLE,
    _metadata,
    Column("course_id", Integer, primary_key=True),
    Column("title_lower", Text, nullable=False),
    Column("title_folded", Text, nullable=False),
    Column("folded", Text, nullable=False),
)


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
    return _document_text(
        title, fold(title), organization, subjects, short_description, mapping=subject_mapping
    )


def _document_text(
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
        _subjects_text(names, signature) if names else "",
        fold(short_description) if short_description and short_description.strip() else "",
    )
    if any(value and not part for value, part in zip(given, parts, strict=True)):
        # A part that folds to nothing: fold the whole text, as the definition says.
        return _document_text_whole(title, organization, names, short_description, mapping)
    return _SEPARATOR.join(part for part in parts if part)


@lru_cache(maxsize=4096)
def _fold_repeated(text: str) -> str:
    return fold(text)


@lru_cache(maxsize=4096)
def _subjects_text(names: tuple[str, ...], signature: tuple[tuple[str, str], ...]) -> str:
    parts = _subject_parts(names, dict(signature))
    folded = [fold(part) for part in parts]
    return _SEPARATOR.join(folded) if all(folded) else fold(_SEPARATOR.join(parts))


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


# --------------------------------------------------------------------------- DDL


def trigram_available() -> bool:
    """True when this SQLite has FTS5 with the ``trigram`` tokenizer (3.34 and later)."""
    if sqlite3.sqlite_version_info < (3, 34, 0):
        return False
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()
    return True


def ddl_statements(dialect_name: str, *, trigram: bool | None = None) -> list[str]:
    """Statements creating the search index, for a migration (run them in order).

    ``trigram`` None detects it: on SQLite whether FTS5 has the trigram tokenizer, on
    PostgreSQL the statements try ``pg_trgm`` and go on without it when it cannot be created.
    False leaves the trigram index out (the ``LIKE`` fallback alone).
    """
    table = (
        f"CREATE TABLE {INDEX_TABLE} ("
        "course_id INTEGER NOT NULL PRIMARY KEY REFERENCES courses (id) ON DELETE CASCADE, "
        "title_lower TEXT NOT NULL, title_folded TEXT NOT NULL, folded TEXT NOT NULL)"
    )
    if dialect_name == "sqlite":
        if not (trigram_available() if trigram is None else trigram):
            return [table]
        new = f"INSERT INTO {FTS_TABLE} (rowid, folded) VALUES (new.course_id, new.folded);"
        # No AFTER INSERT trigger: :func:`store_index_rows` adds new rows to the FTS table itself,
        # with one executemany (a trigger per row costs four times as much: bench, issue 7).
        old = (
            f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, folded) "
            "VALUES ('delete', old.course_id, old.folded);"
        )
        return [
            table,
            fts_table_statement(),
            f"CREATE TRIGGER {INDEX_TABLE}_ad AFTER DELETE ON {INDEX_TABLE} BEGIN {old} END",
            f"CREATE TRIGGER {INDEX_TABLE}_au AFTER UPDATE ON {INDEX_TABLE} BEGIN {old} {new} END",
        ]
    if dialect_name == "postgresql":
        if trigram is False:
            return [table]
        return [
            table,
            # Optional: a role without CREATE on the database, or a server without the contrib
            # package, gets the unindexed LIKE. The block's own savepoint keeps the migration's
            # transaction alive when the extension cannot be created.
            "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; "
            "EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported "
            "THEN RAISE NOTICE 'pg_trgm is not available, so course search scans'; END $$",
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN "
            f"EXECUTE 'CREATE INDEX ix_{INDEX_TABLE}_folded_trgm ON {INDEX_TABLE} "
            "USING gin (folded gin_trgm_ops)'; END IF; END $$",
        ]
    raise ValueError(f"no course search for the {dialect_name!r} database")


def fts_table_statement(*, detail: str = FTS_DETAIL) -> str:
    """The SQLite trigram table over ``course_search.folded`` (``detail``: see the module)."""
    return (
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(folded, content='{INDEX_TABLE}', "
        f"content_rowid='course_id', tokenize='trigram', detail={detail})"
    )


def drop_statements(dialect_name: str) -> list[str]:
    """The reverse of :func:`ddl_statements` (a migration's downgrade)."""
    if dialect_name == "sqlite":
        return [f"DROP TABLE IF EXISTS {FTS_TABLE}", f"DROP TABLE IF EXISTS {INDEX_TABLE}"]
    return [f"DROP TABLE IF EXISTS {INDEX_TABLE}"]  # its index and triggers go with it


# --------------------------------------------------------------------------- index


def refresh_index(
    conn: Connection,
    course_ids: Sequence[int] | None = None,
    *,
    subject_mapping: Mapping[str, str] | None = None,
) -> int:
    """Re-index the given courses (None: all of them); returns the number of rows written.

    Runs in the caller's transaction. An id whose course no longer exists is dropped from the
    index. ``subject_mapping`` is the config's extra subject mapping (see catalog.subjects).
    """
    c = tables.courses.c
    if course_ids is None:
        conn.execute(delete(course_search))
        written, last_id = 0, 0
        while True:
            rows = conn.execute(
                _source_rows().where(c.id > last_id).order_by(c.id).limit(BATCH)
            ).all()
            if not rows:
                return written
            last_id = rows[-1].id
            written += _insert(conn, rows, subject_mapping)
    written = 0
    for chunk in _chunks(sorted(set(course_ids)), BATCH):
        conn.execute(delete(course_search).where(course_search.c.course_id.in_(chunk)))
        rows = conn.execute(_source_rows().where(c.id.in_(chunk))).all()
        written += _insert(conn, rows, subject_mapping)
    return written


def _source_rows() -> Any:
    c = tables.courses.c
    return select(c.id, c.title, c.organization, c.subjects, c.short_description)


def _insert(conn: Connection, rows: Sequence[Any], mapping: Mapping[str, str] | None) -> int:
    return store_index_rows(
        conn,
        [
            index_row(
                row.id,
                row.title,
                row.organization,
                row.subjects or [],
                row.short_description,
                subject_mapping=mapping,
            )
            for row in rows
        ],
    )


def index_row(
    course_id: int,
    title: str,
    organization: str | None,
    subjects: Iterable[str],
    short_description: str | None,
    *,
    subject_mapping: Mapping[str, str] | None = None,
) -> tuple[int, str, str, str]:
    """One course's index row from its stored fields, for :func:`store_index_rows`."""
    title_folded = fold(title)
    return (
        course_id,
        lower(title),
        title_folded,
        _document_text(
            title, title_folded, organization, subjects, short_description, mapping=subject_mapping
        ),
    )


def store_index_rows(
    conn: Connection, rows: Sequence[tuple[int, str, str, str]], *, replace: bool = False
) -> int:
    """Write :func:`index_row` rows in the caller's transaction; ``replace`` drops old ones first.

    The one writer of new index rows: it keeps the SQLite trigram table in step (updates and
    deletes keep it in step through triggers).
    """
    if not rows:
        return 0
    bulk = Bulk(conn)
    if replace:
        for chunk in _chunks([row[0] for row in rows], BATCH):
            conn.execute(delete(course_search).where(course_search.c.course_id.in_(chunk)))
    bulk.insert(INDEX_TABLE, ("course_id", "title_lower", "title_folded", "folded"), rows)
    if has_fts(conn):
        bulk.insert(FTS_TABLE, ("rowid", "folded"), [(row[0], row[3]) for row in rows])
    return len(rows)


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --------------------------------------------------------------------------- search


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


def has_fts(conn: Connection) -> bool:
    """True when the SQLite trigram index exists (the migration made it)."""
    if conn.dialect.name != "sqlite":
        return False
    found = conn.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": FTS_TABLE},
    ).first()
    return found is not None


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
    terms = folded.split(" ")
    s, c, f = course_search.c, tables.courses.c, tables.feeds.c
    conditions: list[ColumnElement[bool]] = []
    if has_fts(conn) and any(len(t) >= TRIGRAM for t in terms):
        # The rows holding every trigram of every term; the LIKE below keeps those that hold
        # the terms themselves (the table has no positions to tell: module docstring).
        trigrams = dict.fromkeys(
            t[i : i + TRIGRAM] for t in terms for i in range(len(t) - TRIGRAM + 1)
        )
        match = " AND ".join(_fts_string(t) for t in trigrams)
        fts = text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :fts_query")
        conditions.append(s.course_id.in_(fts.bindparams(fts_query=match).columns(rowid=Integer)))
    conditions += [s.folded.like(_contains(t), escape="\\") for t in terms]
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
        conditions.append(s.course_id.in_(offered))

    phrase, typed = " ".join(terms), lower(query)
    tier = case(
        (s.title_lower.like(_contains(typed), escape="\\"), 0),
        (s.title_folded.like(_contains(phrase), escape="\\"), 1),
        (and_(*(s.title_folded.like(_contains(t), escape="\\") for t in terms)), 2),
        else_=3,
    )
    starts = case((s.title_folded.like(_escape(phrase) + "%", escape="\\"), 0), else_=1)
    statement = (
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
        .limit(limit)
    )
    return [
        SearchHit(
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
        for row in conn.execute(statement)
    ]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(value: str) -> str:
    return f"%{_escape(value)}%"


def _fts_string(token: str) -> str:
    """One FTS5 string: inside double quotes everything is literal but a doubled quote."""
    return '"' + token.replace('"', '""') + '"'
