"""Text search over the catalog, with the folding rules the static site uses.

The parts, each in its own module:

* :mod:`~catalog.derive.search_text` — the folded text a course is found by (:func:`fold` is
  the site's rule, step for step, so a query finds the same courses everywhere);
* :mod:`~catalog.store.textsearch.table` — the index's tables (``course_search`` and, on SQLite, its
  trigram table);
* :mod:`~catalog.store.textsearch.index` — writing index rows (the ingest, :func:`refresh_index`);
* :mod:`~catalog.store.textsearch.query` — :func:`search` and its ranking;
* here — the statements a migration runs to create or drop the index (:func:`ddl_statements`),
  and the names the rest of the tree imports from ``catalog.store.textsearch``.

The index on each backend:

* SQLite: an FTS5 virtual table with the ``trigram`` tokenizer (SQLite ≥ 3.34) over the folded
  text, kept in step with ``course_search``: new rows by :func:`store_index_rows` (one
  ``executemany``, far cheaper than an insert trigger), updates and deletes by triggers.
  Trigrams match any substring of three or more characters, which is what Chinese (no spaces
  between words) and folded Vietnamese both need. The table keeps no positions
  (``detail=none``): a query asks it for the rows holding every trigram of its terms and checks
  the terms themselves with ``LIKE`` on the folded column of those rows. Positions would let
  FTS5 match whole phrases, but they make the index several times larger and its writes much
  slower — a large share of the catalog's own write cost in a full harvest — for a query cost
  about the same as the trigram intersection. Query terms shorter than three characters, and
  SQLite builds without FTS5 or trigram, have only the ``LIKE``.
* PostgreSQL: the folded column with a ``pg_trgm`` GIN index when the extension can be created,
  which serves ``LIKE '%term%'``; without the extension the same ``LIKE`` scans.
"""

from __future__ import annotations

import sqlite3

from catalog.derive.fold import fold
from catalog.derive.search_text import document_text, lower
from catalog.store.textsearch.index import IndexRow, index_row, refresh_index, store_index_rows
from catalog.store.textsearch.query import OFFERS_SQL, TRIGRAM, SearchHit, search
from catalog.store.textsearch.table import (
    FTS_DETAIL,
    FTS_TABLE,
    INDEX_TABLE,
    course_search,
    has_fts,
)

__all__ = [
    "FTS_DETAIL",
    "FTS_TABLE",
    "INDEX_TABLE",
    "OFFERS_SQL",
    "TRIGRAM",
    "IndexRow",
    "SearchHit",
    "course_search",
    "ddl_statements",
    "document_text",
    "drop_statements",
    "fold",
    "fts_table_statement",
    "has_fts",
    "index_row",
    "lower",
    "refresh_index",
    "search",
    "store_index_rows",
    "trigram_available",
]


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
        # with one executemany (far cheaper than a trigger per row).
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
