"""What a connector is: a ``kind``, an options dataclass, and one generator of pages.

A connector knows one wire format. It is built from a :class:`FeedContext` (which feed, where,
with which credentials and HTTP limits) and its own frozen ``Options`` dataclass, which the config
loader validates before anything runs. It never touches the database: the sync hands it the
last cursor and commits the pages it yields.

Writing one::

    class MyConnector(Connector[MyOptions]):
        kind = "myplatform"
        Options = MyOptions

        def harvest(self, cursor):
            url = (cursor or {}).get("next") or f"{self.feed.base_url}/api/courses"
            ...
            yield Page(items=..., cursor={"next": next_url}, url=url, number=n, last=not next_url)

and register it under the ``mooc_exchange.connectors`` entry-point group.

Optional hooks, each with a default that does nothing special: :meth:`Connector.http_settings`
(the connector's own HTTP limits), :meth:`Connector.make_auth` (its credentials) and
:meth:`Connector.diagnose` (what ``moocx check`` shows about the source besides its first page).
"""

from __future__ import annotations

import math
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from connectors.auth import OAuth2ClientCredentials, Secret
from connectors.errors import FeedError
from connectors.http import AuthProvider, HttpClient, HttpSettings
from connectors.records import Cursor, Page
from connectors.unchanged import fingerprint


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """``[feeds.auth]``: OAuth2 client credentials (the only scheme the built-ins need)."""

    client_id: str
    client_secret: Secret
    #: Defaults to ``{base_url}/oauth2/access_token`` (Open edX).
    token_url: str | None = None
    #: ``"jwt"`` (header ``JWT <token>``) or ``"bearer"`` (header ``Bearer <token>``).
    token_type: str = "jwt"


@dataclass(frozen=True, slots=True)
class FeedContext:
    """Everything a connector may know about the feed it harvests."""

    feed_id: str
    base_url: str
    auth: AuthSettings | None = None
    http: HttpSettings = field(default_factory=HttpSettings)
    #: IANA zone of the institution, for sources whose timestamps carry no offset.
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class Fact:
    """One line of what ``moocx check`` shows about a source: ``label: value``.

    Plain text, no markup. ``warning`` marks something the admin should look at (a metadata
    prefix the repository does not offer, a version about to be retired); it is shown, it does
    not fail the check.
    """

    label: str
    value: str
    warning: bool = False


def count_fact(first: Page | None, unit: str, note: str = "") -> list[Fact]:
    """``API count: 98 course runs on 4 pages``, from the total the first page declares.

    The page count is what the source's own page size makes of it (a server may cap the size
    asked for), so it tells how many requests a full harvest costs. Nothing when the source
    declares no total.
    """
    if first is None or first.declared_total is None:
        return []
    total = first.declared_total
    per_page = first.source_count if first.source_count is not None else len(first.items)
    pages = 1 if first.last else (math.ceil(total / per_page) if per_page else None)
    text = f"{total} {unit}"
    if pages:
        text += f" on {pages} page{'s' if pages != 1 else ''}"
    return [Fact("API count", f"{text}; {note}" if note else text)]


@dataclass(frozen=True, slots=True)
class NoOptions:
    """For connectors that take no options."""


OptionsT = TypeVar("OptionsT")


class Connector(ABC, Generic[OptionsT]):
    """Base class of every connector. Subclasses set ``kind`` and ``Options``."""

    kind: ClassVar[str]
    accepts_auth: ClassVar[bool] = False  #: sends [feeds.auth]; else auth is a config error
    Options: ClassVar[type[Any]] = NoOptions
    #: One line for ``moocx connectors`` and the docs.
    description: ClassVar[str] = ""
    #: What should answer at ``base_url``, for messages ("the Open edX Courses API").
    api: ClassVar[str] = ""

    def __init__(
        self,
        feed: FeedContext,
        options: OptionsT,
        *,
        http: HttpClient | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.feed = feed
        self.options = options
        self.http = http or HttpClient(
            self.http_settings(feed.http), feed_id=feed.feed_id, stop=stop
        )
        self.auth: AuthProvider | None = self.make_auth()
        #: Prefix of the page digests (connectors/unchanged.py): who reads the page, and how.
        self.fingerprint = fingerprint(self.kind, options)

    def http_settings(self, settings: HttpSettings) -> HttpSettings:
        """The HTTP limits for this feed; override to add a connector's own (a polite rate)."""
        return settings

    def make_auth(self) -> AuthProvider | None:
        """The credential provider for this feed; ``None`` means anonymous."""
        auth = self.feed.auth
        if auth is None:
            return None
        token_url = auth.token_url or f"{self.feed.base_url.rstrip('/')}/oauth2/access_token"
        return OAuth2ClientCredentials(
            token_url,
            auth.client_id,
            auth.client_secret,
            token_type=auth.token_type,
            feed_id=self.feed.feed_id,
        )

    @abstractmethod
    def harvest(self, cursor: Cursor) -> Iterator[Page]:
        """Yield the feed's pages, starting where ``cursor`` says (``None``: from the start)."""

    def diagnose(self, first: Page | None, error: FeedError | None) -> list[Fact]:
        """Facts about the source for ``moocx check``, shown besides its first page.

        Called once, after ``harvest(None)`` yielded its first page (``first``) or failed
        (``error``) — never when that request got no answer at all (``error.cause`` set: refused,
        timed out…), since every further request would fail alike. The default has nothing to
        add. Prefer what the first page already told (a count, a version header kept while
        fetching it); a connector whose protocol describes itself (OAI-PMH's ``Identify``) may
        send a few requests through ``self.http``. A request that fails becomes a warning
        fact rather than an exception, so one answer missing never hides the others.
        """
        return []

    def close(self) -> None:
        self.http.close()
