"""Bulk writes straight to the database driver: the harvest's hot path.

A full harvest inserts tens of thousands of rows per table. SQLAlchemy's Core ``insert()`` runs
every value through its type processors and builds its statements per call, which cost more
than the database itself (profiled: more than 5× the raw ``executemany``). This module writes
plain tuples with one ``executemany`` per table and page, converting the few non-plain values
itself exactly as the models' column types would store them, so rows written here and rows
written through the ORM are the same bytes:

* timestamps: UTC. SQLite stores the text SQLAlchemy's ``DateTime`` writes
  (``YYYY-MM-DD HH:MM:SS.ffffff``, the UTC wall time: ``catalog.store.tables.UTCDateTime``);
  PostgreSQL gets the aware datetime.
* JSON columns: ``json.dumps`` as SQLAlchemy's ``JSON`` type does (its default serializer).

Statements still go through SQLAlchemy's connection (``exec_driver_sql``), so they share the
caller's transaction, its events and its error handling. Only the ingest uses it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeAlias, overload

from sqlalchemy import Connection, Row

#: Rows per ``executemany`` call and keys per ``IN (...)`` list: well under every backend's
#: parameter limit (SQLite's is 32,766 since 3.32; PostgreSQL's 65,535).
CHUNK = 500

#: A row of any columns, read by attribute (``row.key``).
AnyRow: TypeAlias = Row[*tuple[Any, ...]]
#: A timestamp as the driver is given it: UTC wall-time text on SQLite, an aware datetime else.
Stamp = str | datetime


class Bulk:
    """Plain-tuple writes and reads on one connection, in the placeholders of its driver.

    Table names are the catalog's own (never quoted); column names are quoted (``end``).
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        self.mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"

    @overload
    def when(self, value: datetime) -> Stamp: ...
    @overload
    def when(self, value: None) -> None: ...
    @overload
    def when(self, value: datetime | None) -> Stamp | None: ...

    def when(self, value: datetime | None) -> Stamp | None:
        """A timestamp as its column stores it (see the module docstring)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the catalog; attach a zone first")
        if not self.sqlite:
            return value
        if value.utcoffset():
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")

    @staticmethod
    def json(value: Any) -> str:
        return json.dumps(value)

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
        """``INSERT`` every row (tuples in ``columns`` order); returns how many."""
        if not rows:
            return 0
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join([self.mark] * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
        for start in range(0, len(rows), CHUNK):
            self.conn.exec_driver_sql(sql, list(rows[start : start + CHUNK]))
        return len(rows)

    def upsert(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, key: str
    ) -> int:
        """``INSERT`` every row, or overwrite the other columns of the row ``key`` already names
        (``ON CONFLICT … DO UPDATE``: SQLite 3.24+ and PostgreSQL spell it alike)."""
        if not rows:
            return 0
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join([self.mark] * len(columns))
        sets = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c != key)
        sql = (
            f"INSERT INTO {table} ({names}) VALUES ({marks}) "
            f'ON CONFLICT ("{key}") DO UPDATE SET {sets}'
        )
        for start in range(0, len(rows), CHUNK):
            self.conn.exec_driver_sql(sql, list(rows[start : start + CHUNK]))
        return len(rows)

    def update(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, key: str = "id"
    ) -> int:
        """``UPDATE table SET columns… WHERE key = …``: each row is its values, then its key."""
        if not rows:
            return 0
        sets = ", ".join(f'"{c}" = {self.mark}' for c in columns)
        sql = f'UPDATE {table} SET {sets} WHERE "{key}" = {self.mark}'
        for start in range(0, len(rows), CHUNK):
            self.conn.exec_driver_sql(sql, list(rows[start : start + CHUNK]))
        return len(rows)

    def select_in(
        self, sql: str, values: Sequence[Any], *, before: Sequence[Any] = ()
    ) -> list[AnyRow]:
        """Rows of ``sql`` whose ``{in}`` placeholder takes ``values`` (in chunks).

        ``sql`` uses ``{mark}`` for its other placeholders, bound to ``before`` in order.
        """
        rows: list[AnyRow] = []
        for start in range(0, len(values), CHUNK):
            chunk = list(values[start : start + CHUNK])
            text = sql.format(mark=self.mark, **{"in": ", ".join([self.mark] * len(chunk))})
            rows.extend(self.conn.exec_driver_sql(text, (*before, *chunk)).all())
        return rows
