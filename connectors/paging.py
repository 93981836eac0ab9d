"""Guards every paginating connector shares: no endless loops, no leaving the source's host.

Sources paginate by following a ``next`` link (Open edX, course-discovery, MOOChub), by page
number (XuetangX) or by token (OAI-PMH). Whatever the style, a harvester must stop when the
source sends it round in circles (the same link or token twice, or more pages than any real
catalog has — CKAN's "the paging doesn't seem to work") and must never follow a link to another
host, where the feed's credentials and trust do not extend.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

from connectors.errors import BadResponseError, PaginationError
from connectors.http import redact_url


class PageGuard:
    """Call :meth:`visit` before fetching each page; it refuses repeats and runaway paging."""

    def __init__(self, feed_id: str, max_pages: int, what: str = "the next link") -> None:
        self.feed_id = feed_id
        self.max_pages = max_pages
        self.what = what
        self._seen: set[str] = set()

    def visit(self, token: str, *, url: str | None = None) -> None:
        """Record the page about to be fetched (its URL, page number or resumption token)."""
        where = redact_url(url or token)
        if token in self._seen:
            raise PaginationError(
                f"feed {self.feed_id}: {self.what} repeats {where}; the source's paging is "
                "broken, stopping instead of looping",
                url=url,
            )
        if len(self._seen) >= self.max_pages:
            raise PaginationError(
                f"feed {self.feed_id}: more than {self.max_pages} pages (options.max_pages); "
                f"stopping before {where}",
                url=url,
            )
        self._seen.add(token)


def same_host(url: str, base_url: str) -> bool:
    """True when ``url`` is an http(s) URL on ``base_url``'s host (any scheme or port)."""
    try:
        target, base = urlsplit(url), urlsplit(base_url)
    except ValueError:
        return False
    return (
        target.scheme in ("http", "https")
        and bool(target.hostname)
        and (target.hostname or "").lower() == (base.hostname or "").lower()
    )


def follow_next(
    value: object, *, base_url: str, current: str, feed_id: str, what: str = "next"
) -> str | None:
    """The next page's URL from a ``next`` link, or ``None`` when there is none.

    A link to another host raises :class:`PaginationError`. Behind a TLS-terminating proxy the
    platform often builds its links with ``http://`` or an internal port; on the same host the
    configured scheme and port are kept and only the path and query are taken.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadResponseError(
            f"feed {feed_id}: {what} is not a URL in {redact_url(current)}", url=current
        )
    target = urljoin(current, value)
    if not same_host(target, base_url):
        raise PaginationError(
            f"feed {feed_id}: {what} in {redact_url(current)} points to another host "
            f"({urlsplit(target).hostname}); refusing to follow it",
            url=current,
        )
    base, nxt = urlsplit(base_url), urlsplit(target)
    return urlunsplit((base.scheme, base.netloc, nxt.path, nxt.query, ""))
