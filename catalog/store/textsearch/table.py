"""The search index's tables: their names, the ``course_search`` table, and whether FTS exists.

``course_search`` holds, per course, its title lower-cased (for the as-typed ranking tier), its
title folded, and the folded text it is found by (:mod:`catalog.derive.search_text`). On SQLite
an FTS5 table with the ``trigram`` tokenizer (``course_search_fts``) indexes the folded text
when the build has it; on PostgreSQL a ``pg_trgm`` GIN index does, when the extension exists.
The migrations create them (:func:`catalog.store.textsearch.ddl_statements`), never the models.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, Integer, MetaData, Table, Text, text

INDEX_TABLE = "course_search"
FTS_TABLE = "course_search_fts"
#: FTS5's ``detail`` option of the trigram table: no positions (see
#: :mod:`catalog.store.textsearch`).
FTS_DETAIL = "none"
#: The index's columns, in the order :func:`catalog.store.textsearch.index.index_row` gives them.
INDEX_COLUMNS = ("course_id", "title_lower", "title_folded", "folded")

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


def has_fts(conn: Connection) -> bool:
    """True when the SQLite trigram index exists (the migration made it)."""
    if conn.dialect.name != "sqlite":
        return False
    found = conn.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": FTS_TABLE},
    ).first()
    return found is not None
