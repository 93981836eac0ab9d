"""Live progress for long syncs and exports: bars on a terminal, plain log lines everywhere else.

Why rich: it draws live per-feed progress and tables that degrade cleanly when stderr is not a
terminal (cron mails, CI logs), which a hand-written ``\\r`` loop gets wrong.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

from connectors.feedlog import FeedLog
from scheduler.display import plural
from scheduler.sync import FeedResult, NullProgress

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID

    from catalog.store.ingest import PageOutcome
    from connectors.records import Page

#: Shown at INFO even when the rest of the log is at WARNING (see scheduler.logs.setup).
log = logging.getLogger("moocx.progress")


class _Terminal(Protocol):
    """What :func:`make_progress` asks of its console before it draws anything."""

    @property
    def is_terminal(self) -> bool: ...


class LogProgress(NullProgress):
    """One log line per page and per feed: for cron, systemd and CI."""

    def feed_started(self, feed_id: str) -> None:
        FeedLog(log, feed_id).info("sync started")

    def page_done(self, feed_id: str, page: Page, outcome: PageOutcome, received: int) -> None:
        FeedLog(log, feed_id).info(
            "page %d done (%s; %d new, %d updated, %d rejected; %d received so far)",
            page.number,
            plural(len(page.items), "item"),
            outcome.new,
            outcome.updated,
            outcome.rejected,
            received,
        )

    def feed_finished(self, result: FeedResult) -> None:
        FeedLog(log, result.feed_id).info("%s in %.1f s", result.status, result.duration)


class BarProgress(NullProgress):
    """A live line per feed on a terminal: pages, records, what changed."""

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[feed]}"),
            BarColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}

    def feed_started(self, feed_id: str) -> None:
        self.tasks[feed_id] = self.progress.add_task(
            "", total=None, feed=feed_id, detail="connecting…"
        )

    def page_done(self, feed_id: str, page: Page, outcome: PageOutcome, received: int) -> None:
        self.progress.update(
            self.tasks[feed_id],
            detail=f"page {page.number} · {plural(received, 'record')}",
        )

    def feed_finished(self, result: FeedResult) -> None:
        task = self.tasks[result.feed_id]
        self.progress.update(
            task,
            detail=f"{result.status} · {plural(result.received, 'record')}",
            total=1,
            completed=1,
        )


@contextmanager
def make_progress(
    console: Console | _Terminal | None, *, quiet: bool = False
) -> Iterator[NullProgress]:
    """Bars when ``console`` is a terminal, log lines otherwise, nothing when ``quiet``.

    Rich is loaded only to draw bars (``console`` is then a rich Console): otherwise anything with
    ``is_terminal`` will do, and a quiet sync needs no console at all (None).
    """
    if quiet or console is None:
        yield NullProgress()
        return
    if not console.is_terminal:
        yield LogProgress()
        return
    bars = BarProgress(console)  # type: ignore[arg-type]  # a terminal: a rich Console
    with bars.progress:
        yield bars


#: Seconds between two progress lines of an export written to a non-terminal.
EXPORT_LOG_EVERY = 10.0


class ExportLog:
    """An export's progress as a log line every :data:`EXPORT_LOG_EVERY` seconds: a long
    export in cron or CI says how far it is, a short one says nothing more than its result."""

    def __init__(self, what: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self.clock = clock
        self.last = clock()

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if now - self.last < EXPORT_LOG_EVERY or done >= total:
            return
        self.last = now
        log.info(
            "export %s: %d of %s (%d%%)",
            self.what,
            done,
            plural(total, "course"),
            100 * done // total,
        )


@contextmanager
def export_progress(
    console: Console | _Terminal | None, what: str
) -> Iterator[Callable[[int, int], None] | None]:
    """``progress(done, total)`` for ``scheduler.exports.export``: a bar on a terminal (gone
    when the export ends), timed log lines otherwise, None (no counting) without a console."""
    if console is None:
        yield None
        return
    if not console.is_terminal:
        yield ExportLog(what)
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        TextColumn(f"[bold]export {what}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("courses"),
        TimeElapsedColumn(),
        console=console,  # type: ignore[arg-type]  # a terminal: a rich Console
        transient=True,
    )
    task = bar.add_task(what, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update
