"""How a feed's sync ended, and who is told as it goes.

:class:`FeedResult` is what every caller of a sync reads — ``moocx sync``'s summary line, the
service's events and back-off, the demo — and :class:`Progress` is what a sync tells while it
runs (the CLI draws bars or writes log lines; :class:`NullProgress` shows nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from catalog.store.ingest import PageOutcome
from connectors.records import Page
from scheduler.display import plural


@dataclass(frozen=True, slots=True)
class FeedResult:
    """How one feed's sync ended."""

    feed_id: str
    run_id: int | None
    status: str  # "succeeded", "failed", "interrupted", "skipped" (another syncer holds it)
    mode: str = "full"
    resumed: bool = False
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    held: int = 0
    #: Deletions the source reported for courses the catalog never stored.
    deleted_unknown: int = 0
    #: Courses whose ISCED codes the run decided again with other codes (the config's
    #: ``[subjects]`` mapping changed): the exchange and exports must follow.
    recoded: int = 0
    guard: str | None = None
    rejected: int = 0
    pages: int = 0
    received: int = 0
    duration: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def summary(self) -> str:
        """The one-line summary ``moocx sync`` prints for the feed."""
        if self.status == "skipped":
            return f"{self.feed_id}: skipped"
        counts = (
            f"new {self.new} · updated {self.updated} · unchanged {self.unchanged} · "
            f"rejected {self.rejected}"
        )
        if self.withdrawn:
            counts += f" · withdrawn {self.withdrawn}"
        if self.held:
            counts += f" · held {self.held}"
        if self.deleted_unknown:
            counts += f" · deleted at source: {self.deleted_unknown}"
        mode = self.mode + (", resumed" if self.resumed else "")
        return (
            f"{self.feed_id}: {self.status} ({mode}) · {counts} · {plural(self.pages, 'page')} · "
            f"{self.duration:.1f} s"
        )


class Progress(Protocol):
    """Told about a sync as it goes (the CLI draws bars or writes log lines)."""

    def feed_started(self, feed_id: str) -> None: ...

    def page_done(self, feed_id: str, page: Page, outcome: PageOutcome, received: int) -> None: ...

    def feed_finished(self, result: FeedResult) -> None: ...


class NullProgress:
    """Progress that shows nothing (library use, tests, ``moocx sync --quiet``)."""

    def feed_started(self, feed_id: str) -> None:
        pass

    def page_done(self, feed_id: str, page: Page, outcome: PageOutcome, received: int) -> None:
        pass

    def feed_finished(self, result: FeedResult) -> None:
        pass
