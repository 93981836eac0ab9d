"""Writing a page's course runs: new runs inserted, changed ones rewritten, the rest untouched."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog.store.ingest.batch import Batch
from catalog.store.ingest.fields import RUN_FIELDS, content_hash, run_values
from catalog.store.ingest.stored import StoredRun, stored_runs
from catalog.store.ingest.tally import PageOutcome
from connectors.records import CourseRecord

_INSERT_COLUMNS = (*RUN_FIELDS, "course_id", "key", "content_hash", "first_seen_at", "updated_at")
_UPDATE_COLUMNS = (*RUN_FIELDS, "content_hash", "updated_at")
_REKEY_COLUMNS = (*RUN_FIELDS, "key", "content_hash", "updated_at")


def upsert_runs(
    batch: Batch,
    records: Mapping[str, CourseRecord],
    course_ids: Mapping[str, int],
    *,
    known: set[int],
    outcome: PageOutcome,
) -> set[str]:
    """Insert new runs, rewrite changed ones; the keys of the courses whose runs changed.

    ``known`` are the ids of courses that existed before this page: only their runs are
    looked up (a new course has none yet).
    """
    wanted = {course_ids[key]: record for key, record in records.items() if record.runs}
    if not wanted:
        return set()
    existing = stored_runs(batch.bulk, [cid for cid in wanted if cid in known])
    stamp = batch.stamp
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    rekeyed: list[tuple[Any, ...]] = []
    changed: set[str] = set()
    for cid, record in wanted.items():
        keys = {run.key for run in record.runs}
        for run in record.runs:
            fields = run_values(run)
            digest = content_hash(fields)
            old = existing.get((cid, run.key))
            if old is not None and old.content_hash == digest:
                continue
            former = None if old is not None else _former(existing, cid, run.former_keys, keys)
            if former is not None:  # the same run under the key it had: renamed, not added
                del existing[(cid, former.key)]
                rekeyed.append((*fields.stored(batch.bulk), run.key, digest, stamp, former.id))
            elif old is None:
                inserts.append((*fields.stored(batch.bulk), cid, run.key, digest, stamp, stamp))
            else:
                updates.append((*fields.stored(batch.bulk), digest, stamp, old.id))
            changed.add(record.key)
    bulk = batch.bulk
    outcome.rows_written += bulk.insert("course_runs", _INSERT_COLUMNS, inserts)
    outcome.rows_written += bulk.update("course_runs", _UPDATE_COLUMNS, updates)
    outcome.rows_written += bulk.update("course_runs", _REKEY_COLUMNS, rekeyed)
    return changed


def _former(
    existing: Mapping[tuple[int, str], StoredRun],
    course: int,
    former_keys: tuple[str, ...],
    keys: set[str],
) -> StoredRun | None:
    """The stored run of ``course`` under one of a new run's former keys — unless the record
    still sends a run under that key (then it is another run)."""
    for key in former_keys:
        found = existing.get((course, key))
        if found is not None and key not in keys:
            return found
    return None
