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
        │   ├── WrongEndpointError …because base_url is not this API's address (an HTML page)
        │   └── ResumptionExpired  …because the source forgot the harvest's position (start over)
        ├── PaginationError        a next link that repeats or leaves the source's host
        └── CursorExpired          a resume cursor the source no longer honours (start over)
    RecordError                    one source item cannot be mapped: skip it, keep going

Every message names the feed (where known) and the URL, never a credential. A request that got
no answer at all (refused, name not resolved, timed out, TLS) also carries its ``cause`` in a few
words, so a caller can sum it up without parsing the message.
"""

from __future__ import annotations


class FeedError(Exception):
    """Root of every error a connector raises for a feed."""

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int | None = None,
        cause: str | None = None,
    ) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        #: Why no answer came, for a request that got none: ``"connection refused"``,
        #: ``"name not resolved"``, ``"timed out"``, ``"TLS/certificate error"``… ``None`` when
        #: the source did answer (with a status, a body) or the failure is not the network's.
        self.cause = cause


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


class WrongEndpointError(BadResponseError):
    """The URL answered, but not as the API the connector speaks: an HTML page where JSON or
    OAI-PMH XML should be, another protocol's document. ``base_url`` is most likely wrong."""


class ResumptionExpired(BadResponseError):
    """The source no longer knows the position a harvest asked for (OAI-PMH
    ``badResumptionToken``). The harvest loop starts over from its first request, once; past
    that it fails the feed like any bad response."""


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
