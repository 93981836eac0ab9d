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
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from connectors.auth import OAuth2ClientCredentials, Secret
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

    def close(self) -> None:
        self.http.close()
