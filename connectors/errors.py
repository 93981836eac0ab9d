"""Exceptions raised by connectors, branched by what the caller should do.

::

    FeedError                      the root: something went wrong harvesting one feed
    ├── TransientFeedError         worth retrying later (timeouts, 429, 5xx, dropped connections)
    │   └── RetriesExhausted       …and the HTTP client already retried as much as it may
    └── FatalFeedError             retrying will not help until someone changes something
        ├── AuthError              credentials rejected, token endpoint broken
        ├── HttpStatusError        a 4xx the source will not change its mind about
        ├── ResponseTooLarge       the decoded body passed the configured cap
        ├── BadResponseError       not JSON / not XML / not the expected shape / bad encoding
        ├── PaginationError        a next link that repeats or leaves the source's host
        └── CursorExpired          a resume cursor the source no longer honours (start over)
    RecordError                    one source item cannot be mapped: skip it, keep going

Every message names the feed (where known) and the URL, never a credential.
"""

from __future__ import annotations


class FeedError(Exception):
    """Root of every error a connector raises for a feed."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class TransientFeedError(FeedError):
    """The source may answer later: a timeout, a throttle, a server error, a dropped connection."""


class RetriesExhausted(TransientFeedError):
    """The HTTP client retried as often as its policy allows and the source still failed."""


class FatalFeedError(FeedError):
    """Retrying will not help until the source or the configuration changes."""


class AuthError(FatalFeedError):
    """Credentials were refused, or the token endpoint did not answer with a token."""


class HttpStatusError(FatalFeedError):
    """A status the source will repeat (400, 401, 403, 404, 410…)."""


class ResponseTooLarge(FatalFeedError):
    """The decoded response passed the size cap; it was not read whole."""


class BadResponseError(FatalFeedError):
    """The response is not what the format promises: wrong content, shape or encoding."""


class PaginationError(FatalFeedError):
    """Pagination went wrong: a next link that repeats, or one that points to another host."""


class CursorExpired(FatalFeedError):
    """The cursor handed in can no longer be used (an expired resumption token, a page that
    vanished). The sync starts the harvest over instead of resuming."""


class RecordError(Exception):
    """One source item cannot be mapped into a record. The connector yields it as rejected."""

    def __init__(self, reason: str, key: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key
