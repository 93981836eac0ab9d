"""An OAI-PMH harvest that starts over says so: its pages are numbered from 1 again.

After ``badResumptionToken`` the repository no longer knows where the harvest was, and the
:class:`~connectors.paging.ResumptionToken` paginator starts the listing over from its first
request, once. The harvest loop keeps counting pages, so the restarted pass would arrive as
pages 3, 4… of a listing whose pages 1 and 2 it delivers again, and the sync, seeing no
restart, would count both passes (twice the records received, every rejection twice).
Numbering the restarted pass from 1 again is what tells the sync the listing began anew
(``scheduler.sync_run``), so it counts only what the restarted harvest delivers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from connectors.errors import BadResponseError
from connectors.paging import Request, ResumptionToken
from connectors.records import Page


class RestartingToken(ResumptionToken):
    """:class:`ResumptionToken` that counts its restarts."""

    restarts = 0

    def restart(self, request: Request, first: Request, expired: BadResponseError) -> Request:
        start = super().restart(request, first, expired)
        self.restarts += 1
        return start


def renumbered(pages: Iterator[Page], restarts: Callable[[], int]) -> Iterator[Page]:
    """``pages`` with each restarted pass numbered from 1 (its cursors' ``page`` as well);
    ``restarts()`` is how many times the harvest has started over so far."""
    seen, offset = 0, 0
    for page in pages:
        count = restarts()
        if count != seen:
            seen, offset = count, page.number - 1
        yield _shifted(page, offset) if offset else page


def _shifted(page: Page, offset: int) -> Page:
    cursor = page.cursor
    if cursor is not None and isinstance(cursor.get("page"), int):
        cursor = {**cursor, "page": cursor["page"] - offset}
    return replace(page, number=page.number - offset, cursor=cursor)
