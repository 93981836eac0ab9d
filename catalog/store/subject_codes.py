"""A course's ISCED codes, decided once with the config's mapping and stored in ``courses.isced``.

The codes of a course depend on its source subjects *and* on the config's extra ``[subjects]``
mapping (catalog.derive.subjects). The ingest decides them as it writes a course row
(:class:`SubjectCodes`, each distinct subject list mapped once); everyone else — the exchange,
explanations, ``moocx course``, the exports — reads the stored column and maps nothing.

A change of the mapping (or of the shipped subject data) would leave every stored code stale,
so ``derivations`` keeps the signature the codes were decided with, and :func:`ensure_codes`
compares it with the current one: when they differ it decides every course's codes again, in
batches by id (flat memory, one short transaction each when given an engine), and refreshes the
search index of those courses, whose text holds the ISCED labels. The signature is written after
the last batch, so an interrupted recode is done again in full next time. The ingest calls it
when a harvest starts, the scheduler before the exchange, explanations, views and exports.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import NamedTuple

from sqlalchemy import Connection, Engine, select

from catalog.derive.subjects import load_subjects
from catalog.memo import Memo
from catalog.store import tables, textsearch
from catalog.store.bulk import Bulk
from catalog.store.db import read_only, serialize
from catalog.store.tables import utcnow

log = logging.getLogger(__name__)

#: The ``derivations`` row of the stored codes.
NAME = "isced"
#: What concurrent recodes take turns on (``catalog.store.db.serialize``).
LOCK = "moocx:subject-codes"
#: Courses decided again per batch (and per transaction, given an engine).
BATCH = 500


class SubjectCodes:
    """ISCED codes of subject lists under one extra mapping, each distinct list mapped once."""

    __slots__ = ("_catalog", "_lists", "mapping", "signature")

    def __init__(self, mapping: Mapping[str, str] | None = None) -> None:
        self._catalog = load_subjects()
        #: The config's extra mapping (the search index's labels are decided with it too).
        self.mapping = dict(mapping or {})
        #: What the codes are decided with (``derivations.signature``); ValueError on a bad
        #: mapping, before anything is written.
        self.signature = self._catalog.signature(self.mapping)
        self._lists: Memo[str] = Memo()

    def codes(self, subjects: Sequence[str]) -> list[str]:
        """The broad fields of a course's subjects (``["06"]``)."""
        return self._catalog.map(subjects, self.mapping)

    def stored(self, subjects: Sequence[str]) -> str:
        """The codes as ``courses.isced`` stores them (JSON text), remembered per subject list."""
        return self._lists.get(tuple(subjects), self._stored, subjects)

    def _stored(self, subjects: Sequence[str]) -> str:
        return Bulk.json(self.codes(subjects))


class Recoded(NamedTuple):
    """What :func:`ensure_codes` did: courses whose codes were decided again, and of those, how
    many now have other codes than before."""

    courses: int = 0
    changed: int = 0


def ensure_codes(
    target: Engine | Connection, mapping: Mapping[str, str] | SubjectCodes | None
) -> Recoded:
    """Make ``courses.isced`` current for ``mapping``: every course decided again when the
    stored signature differs, else only the courses with no codes (normally none: one probe).

    Given an engine, the check reads without a write lock (a current catalog costs two queries
    and never queues behind a sync), and each batch commits on its own; given a connection, all
    of it runs in the caller's transaction.
    """
    codes = mapping if isinstance(mapping, SubjectCodes) else SubjectCodes(mapping)
    if isinstance(target, Connection):
        current = stored_signature(target) == codes.signature
        return _recode(lambda: nullcontext(target), codes, current=current)
    with read_only(target) as conn:
        current = stored_signature(conn) == codes.signature
        if current and not _missing(conn):
            return Recoded()
    return _recode(target.begin, codes, current=current)


def stored_signature(conn: Connection) -> str | None:
    """The signature the stored codes were decided with (None: never decided)."""
    d = tables.derivations.c
    return conn.execute(select(d.signature).where(d.name == NAME)).scalar_one_or_none()


def _missing(conn: Connection) -> bool:
    """Whether a course has no codes (a probe of the partial index ``ix_courses_isced_missing``)."""
    c = tables.courses.c
    return conn.execute(select(c.id).where(c.isced.is_(None)).limit(1)).first() is not None


def _recode(
    transaction: Callable[[], AbstractContextManager[Connection]],
    codes: SubjectCodes,
    *,
    current: bool,
) -> Recoded:
    """Decide the codes again (``current``: only the missing ones), a batch per ``transaction``,
    then sign them."""
    done, last_id = Recoded(), 0
    while True:
        with transaction() as conn:
            last_id, batch = _recode_batch(conn, codes, last_id, missing_only=current)
        done = Recoded(done.courses + batch.courses, done.changed + batch.changed)
        if batch.courses < BATCH:
            break
    if not current:
        with transaction() as conn:
            _sign(conn, codes.signature)
    if done.courses:
        log.info(
            "ISCED codes decided again for %d courses (%d changed) with %s",
            done.courses,
            done.changed,
            codes.signature,
        )
    return done


def _recode_batch(
    conn: Connection, codes: SubjectCodes, after: int, *, missing_only: bool
) -> tuple[int, Recoded]:
    """Decide the codes of the next courses after id ``after``; (the last id, what it did).

    Two recodes take turns batch by batch (``serialize``): on PostgreSQL the second one's
    index ``DELETE`` would otherwise miss the rows the first just inserted, and its inserts
    would collide with them."""
    serialize(conn, LOCK)
    c = tables.courses.c
    query = select(c.id, c.subjects, c.isced).where(c.id > after)
    if missing_only:
        query = query.where(c.isced.is_(None))
    rows = conn.execute(query.order_by(c.id).limit(BATCH)).all()
    if not rows:
        return after, Recoded()
    changed = []
    for row in rows:
        stored = codes.stored(row.subjects or [])
        if row.isced is None or Bulk.json(row.isced) != stored:
            changed.append((stored, row.id))
    Bulk(conn).update("courses", ("isced",), changed)
    textsearch.refresh_index(conn, [row.id for row in rows], subject_mapping=codes.mapping)
    return rows[-1].id, Recoded(len(rows), len(changed))


def _sign(conn: Connection, signature: str) -> None:
    bulk = Bulk(conn)
    row = (NAME, signature, bulk.when(utcnow()))
    bulk.upsert("derivations", ("name", "signature", "updated_at"), [row], key="name")
