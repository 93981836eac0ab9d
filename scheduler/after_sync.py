"""What follows a sync: the exchange rebuilt, then the exports that show it.

One path for every caller. ``moocx sync`` rebuilds the exchange after runs that changed the
catalog and leaves the ``[[exports]]`` to ``moocx export --all`` and the service; ``moocx serve``
rebuilds both after each run that changed the catalog; ``moocx demo`` rebuilds both after its
sync whatever it changed (a second demo shows the same exchange and writes the same files).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from catalog.store.offers import ExchangeReport
from scheduler.config import Config
from scheduler.exchange_setup import rebuild_exchange
from scheduler.sync import FeedResult

if TYPE_CHECKING:
    from scheduler.exports import Built


@dataclass(frozen=True)
class Refreshed:
    """What :func:`after_sync` rebuilt: the exchange's report (None when nothing changed, so
    nothing was rebuilt) and each export's outcome."""

    exchange: ExchangeReport | None = None
    exports: list[Built] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every export it wrote was written."""
        return all(b.ok for b in self.exports)


def changed(results: Iterable[FeedResult]) -> bool:
    """Whether any run added, updated or withdrew a course, or gave courses other subject codes
    (a changed ``[subjects]`` mapping, decided again at the run's start)."""
    return any(r.new or r.updated or r.withdrawn or r.recoded for r in results)


def after_sync(
    config: Config,
    engine: Engine,
    results: Iterable[FeedResult],
    *,
    exports: bool,
    always: bool = False,
) -> Refreshed:
    """Rebuild the exchange, then (``exports``) every configured export, when a run changed the
    catalog — or ``always``. A failing export does not stop the others (:class:`Built` says)."""
    if not always and not changed(results):
        return Refreshed()
    report = rebuild_exchange(config, engine)
    if not exports:
        return Refreshed(report)
    from scheduler.exports import rebuild_all  # `moocx sync` never loads the export writers

    return Refreshed(report, rebuild_all(config, engine))
