"""Counting a harvest as its pages go: what each page did, and per-course outcomes for the run.

Counting is per course per harvest: a course whose runs arrive on several pages is counted once,
as new, updated or unchanged. A harvest that starts over within its run (an OAI-PMH
``badResumptionToken``: the listing is read again from its first page) is counted as what the
restarted listing delivered: :meth:`HarvestTally.start_over` and :func:`forget_pass` drop the
abandoned pass's page counts, page rows and rejections, which the restarted pass lists again.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import ClassVar, NamedTuple

from sqlalchemy import Engine, delete

from catalog.store import tables
from catalog.store.leases import Lease, renew_in


@dataclass
class PageOutcome:
    """What one page did to the catalog."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    rejected: int = 0
    rows_written: int = 0

    def count(self, results: dict[str, str]) -> None:
        """Add the page's per-course results (``new`` / ``updated`` / ``unchanged``)."""
        for result in results.values():
            setattr(self, result, getattr(self, result) + 1)


class _Listed(NamedTuple):
    """A course's outcome in this harvest, and the last page that listed it."""

    outcome: str
    page: int


@dataclass
class HarvestTally:
    """Per-course outcomes across the harvest, so that a course split across pages counts once.

    Memory stays flat: outcomes are remembered for the courses of the last :data:`WINDOW`
    pages only (the pieces of a split course come on neighbouring pages), which keeps the
    running counts right as the pages go; when the harvest ends, :meth:`settle` replaces them
    with the exact counts from the catalog (:func:`catalog.store.ingest.finish.settle_counts`).
    """

    withdrawn: int = 0
    held: int = 0
    #: Deletions the source reported for keys this feed never stored (nothing to withdraw).
    deleted_unknown: int = 0
    rejected: int = 0
    received: int = 0
    source_count: int = 0
    #: The distinct totals the source declared during the run, in order, and the last one. A
    #: not-modified page declares again what its run declared last (the same bytes carry the
    #: same total). More than one means the listing changed while it was read (C7).
    declared: list[int] = field(default_factory=list)
    last_declared: int | None = None
    pages: int = 0
    incremental: bool = False
    _counts: Counter[str] = field(default_factory=Counter)
    #: The keys of the last WINDOW pages, with their outcome and the page that last listed them.
    _recent: dict[str, _Listed] = field(default_factory=dict)
    _page_keys: deque[list[str]] = field(default_factory=deque)
    #: Pages noted in this run, all passes: the window's clock (``pages`` restarts with a pass).
    _clock: int = 0

    WINDOW: ClassVar[int] = 8

    def counts(self) -> Counter[str]:
        return Counter({name: n for name, n in self._counts.items() if n})

    def note(self, key: str, result: str) -> None:
        previous = self._recent.get(key)
        if previous is None:
            self._counts[result] += 1
        elif previous.outcome == "unchanged" and result == "updated":
            self._counts["unchanged"] -= 1
            self._counts["updated"] += 1
        else:
            result = previous.outcome
        self._recent[key] = _Listed(result, self._clock)

    def page_done(self, keys: list[str]) -> None:
        """Forget the keys of the page that falls out of the window (unless listed since)."""
        self._page_keys.append(keys)
        if len(self._page_keys) > self.WINDOW:
            oldest = self._clock - self.WINDOW
            for key in self._page_keys.popleft():
                entry = self._recent.get(key)
                if entry is not None and entry.page <= oldest:
                    del self._recent[key]
        self._clock += 1

    def page_written(
        self, results: dict[str, str], *, rejected: int, received: int, source_count: int
    ) -> None:
        """A page's courses were written: their outcomes and the page's counts."""
        for key, result in results.items():
            self.note(key, result)
        self.page_done(list(results))
        self.rejected += rejected
        self.received += received
        self.source_count += source_count

    def page_carried(
        self, keys: list[str], *, source_count: int, declared: int | None, incremental: bool
    ) -> None:
        """A not-modified page was carried over: its keys are unchanged, its counts repeat."""
        for key in keys:
            self.note(key, "unchanged")
        self.page_done(keys)
        self.received += len(keys)
        self.source_count += source_count
        self.declare(declared)
        self.pages += 1
        self.incremental = self.incremental or incremental

    def start_over(self) -> None:
        """The listing is read again from its first page, within this run: what was received,
        rejected and declared so far is delivered again, so only the new pass counts. The
        courses' outcomes stay: what the abandoned pass wrote is this run's change (the exact
        new / updated / unchanged come from the catalog when the harvest ends)."""
        self.received = self.rejected = self.source_count = self.pages = 0
        self.deleted_unknown = 0
        self.declared, self.last_declared = [], None

    def declare(self, total: int | None) -> None:
        if total is None:
            return
        if total not in self.declared:
            self.declared.append(total)
        self.last_declared = total

    def settle(self, new: int, updated: int, unchanged: int) -> None:
        """The exact counts of the whole harvest, from the catalog."""
        self._counts = Counter(new=new, updated=updated, unchanged=unchanged)


def forget_pass(engine: Engine, harvest_id: int, lease: Lease | None = None) -> None:
    """Drop the run's page rows and rejected records so far (fenced by ``lease``): the harvest
    starts over and lists them again, so keeping them would store each rejection twice and keep
    an abandoned pass's keys as evidence. Courses and their events stay: they were written."""
    with engine.begin() as conn:
        if lease is not None:
            renew_in(conn, lease)
        pages, rejected = tables.harvest_pages, tables.rejected_records
        conn.execute(delete(pages).where(pages.c.run_id == harvest_id))
        conn.execute(delete(rejected).where(rejected.c.harvest_id == harvest_id))
