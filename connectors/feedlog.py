"""The feed id in front of every line: ``feed vnu-openedx: HTTP 503 from …; retrying in 2.0 s``.

An admin reads a log of many feeds, so each line about one feed starts with its id
(docs/STYLE practice 11). :class:`FeedLog` writes that prefix for log lines and
:func:`feed_prefix` for exception messages, so no module formats it by hand. Both leave a line
without a prefix when there is no feed id (a client used alone, outside a harvest).
"""

from __future__ import annotations

import logging
from typing import Any


def feed_prefix(feed_id: str) -> str:
    """``"feed vnu-openedx: "``, or ``""`` without a feed id."""
    return f"feed {feed_id}: " if feed_id else ""


class FeedLog(logging.LoggerAdapter[logging.Logger]):
    """A module's logger that puts ``feed <id>:`` in front of each message. Lazy ``%`` arguments
    work as with the logger itself, and a ``%`` in the id is never taken for a placeholder."""

    def __init__(self, logger: logging.Logger, feed_id: str) -> None:
        super().__init__(logger, {"feed_id": feed_id})
        self.feed_id = feed_id
        self.prefix = feed_prefix(feed_id)

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if self.isEnabledFor(level):
            # A message with arguments is %-formatted, so the id's own % must be escaped.
            prefix = self.prefix.replace("%", "%%") if args else self.prefix
            kwargs["stacklevel"] = kwargs.get("stacklevel", 1) + 1  # the caller's line, not ours
            self.logger.log(level, f"{prefix}{msg}", *args, **kwargs)
