"""The search index's columns on their way to ``data/index.js`` and ``data/first.js``.

Each course is a row of values already written as JSON, one per column
(catalog/present/site/index.py makes them). Rows are buffered for :data:`FLUSH_ROWS` courses and
appended to one scratch file per column, and each course's key in the default order goes to a
private on-disk SQLite table, so nothing grows with the catalog; the first :data:`FIRST_PAGE`
courses of that order are kept for ``data/first.js``. At the end the column files are concatenated
into the index and the order is read back sorted by SQLite.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from bisect import insort
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from catalog.present.site.safety import script_safe

#: Courses in ``data/first.js``: one page of results (``M.PAGE`` in assets/core.js).
FIRST_PAGE = 50
#: Courses buffered before their values are appended to the column files.
FLUSH_ROWS = 256

#: A course's place in the default order: (withdrawn, undated, start, UTF-16 title, position).
Key = tuple[int, int, str, bytes, int]
_ORDER = "SELECT pos FROM k ORDER BY w, n, s, t, pos"


class ColumnFiles:
    """The columns ``names`` of the index, a row per course (``keep``), written out by ``write``.

    Scratch files go to ``scratch`` (the system's temporary folder if None) and are gone after
    ``close``, the way out of every path.
    """

    def __init__(self, names: Sequence[str], scratch: Path | None = None) -> None:
        self.names = tuple(names)
        self.count = 0
        self._columns = [
            tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n", dir=scratch)  # noqa: SIM115
            for _ in self.names
        ]
        self._rows: list[tuple[str, ...]] = []
        self._keys: list[Key] = []
        self._flushed = 0
        self._top: list[tuple[Key, tuple[str, ...]]] = []  # the first page, sorted
        self._order = sqlite3.connect("")  # a private temporary database, on disk
        self._order.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-256;"
            "CREATE TABLE k (w INTEGER, n INTEGER, s TEXT, t BLOB, pos INTEGER);"
        )

    def keep(self, row: tuple[str, ...], key: Key) -> None:
        """Buffer a course's values and its place in the default order; keep it for
        ``data/first.js`` while it is among the first :data:`FIRST_PAGE`."""
        top = self._top
        if len(top) < FIRST_PAGE or key < top[-1][0]:
            insort(top, (key, row))
            if len(top) > FIRST_PAGE:
                top.pop()
        self._rows.append(row)
        self._keys.append(key)
        self.count += 1
        if len(self._rows) >= FLUSH_ROWS:
            self._flush()

    def write(self, out: TextIO, first: TextIO, head: str, tables: str) -> None:
        """The rest of the index after its ``head`` (written already) to ``out``, and the whole
        first page to ``first``; ``tables`` is the tables' JSON."""
        self._flush()
        out.write(f',"n":{self.count}')
        for name, column in zip(self.names, self._columns, strict=True):
            out.write(f',"{name}":[')
            column.seek(0)
            shutil.copyfileobj(column, out)
            out.write("]")
        out.write(',"order":[')
        cursor = self._order.execute(_ORDER)
        sep = ""
        while batch := cursor.fetchmany(2048):
            out.write(sep + ",".join([str(pos) for (pos,) in batch]))
            sep = ","
        out.write('],"tables":' + tables + "};\n")
        top = [row for _, row in self._top]
        first.write("window.MOOCX_FIRST=" + head + f',"n":{self.count}')
        for at, name in enumerate(self.names):
            first.write(f',"{name}":[' + script_safe(",".join([row[at] for row in top])) + "]")
        first.write(f',"order":[{",".join(map(str, range(len(top))))}],"tables":{tables}')
        first.write("};\n")

    def close(self) -> None:
        """Drop the scratch files."""
        for column in self._columns:
            column.close()
        self._order.close()

    def _flush(self) -> None:
        if not self._rows:
            return
        sep = "," if self._flushed else ""
        for column, values in zip(self._columns, zip(*self._rows, strict=True), strict=True):
            column.write(sep + script_safe(",".join(values)))
        self._order.executemany("INSERT INTO k VALUES (?, ?, ?, ?, ?)", self._keys)
        self._flushed += len(self._rows)
        self._rows.clear()
        self._keys.clear()
