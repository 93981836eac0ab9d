"""Credentials for sources that need them: secrets that never print, and OAuth2 tokens.

Open edX (LMS and course-discovery) issues tokens by the OAuth2 *client credentials* grant:
``POST {base_url}/oauth2/access_token`` with ``token_type=jwt`` returns a JWT that is sent as
``Authorization: JWT <token>``. There is no refresh token: a new one is requested shortly before
``expires_in`` runs out, and once more if the server answers 401 anyway.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from connectors.errors import (
    AuthError,
    FeedError,
    HttpStatusError,
    RetriesExhausted,
    TransientFeedError,
)
from connectors.feedlog import FeedLog, feed_prefix
from connectors.redact import redact_url

if TYPE_CHECKING:
    from connectors.http import HttpClient

log = logging.getLogger(__name__)


class Secret:
    """A credential that shows as ``***`` in ``repr``, ``str``, logs and tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The real value, for the one place that must send it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class OAuth2ClientCredentials:
    """An :class:`~connectors.http.AuthProvider` for the client-credentials grant."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: Secret,
        *,
        token_type: str = "jwt",
        feed_id: str = "",
        refresh_margin: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self.token_type = token_type.lower()
        self.feed_id = feed_id
        self.log = FeedLog(log, feed_id)
        self.refresh_margin = refresh_margin
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._margin = refresh_margin
        #: How many tokens were fetched (tests and ``moocx check`` read it).
        self.tokens_fetched = 0

    def headers(self, http: HttpClient) -> dict[str, str]:
        if self._token is None or self._clock() >= self._expires_at - self._margin:
            self._fetch(http)
        prefix = "JWT" if self.token_type == "jwt" else "Bearer"
        return {"Authorization": f"{prefix} {self._token}"}

    def invalidate(self) -> None:
        self._token = None

    def _form(self) -> dict[str, str]:
        return {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._secret.reveal(),
            "token_type": self.token_type,
        }

    def _fetch(self, http: HttpClient) -> None:
        prefix = feed_prefix(self.feed_id)
        where = redact_url(self.token_url)
        try:
            # The revealed secret is built inline, never kept in a local of this frame: a
            # traceback rendered with locals (Sentry-style) would print it (RELIABILITY.md K5).
            response = http.request("POST", self.token_url, data=self._form())
        except HttpStatusError as exc:
            raise AuthError(
                f"{prefix}the token endpoint {where} refused the client credentials "
                f"(HTTP {exc.status}); check client_id and client_secret in [feeds.auth]",
                url=self.token_url,
                status=exc.status,
            ) from None
        except TransientFeedError as exc:
            # An unreachable or overloaded token endpoint is an outage, not bad credentials: the
            # next run tries again. It was already retried, so the caller must not retry it.
            raise RetriesExhausted(
                f"{prefix}could not get a token from {where}: {str(exc).removeprefix(prefix)}",
                url=self.token_url,
                cause=exc.cause,
            ) from None
        except FeedError as exc:
            raise AuthError(
                f"{prefix}could not get a token from {where}: {str(exc).removeprefix(prefix)}",
                url=self.token_url,
            ) from None
        try:
            data = json.loads(response.content)
            token = data["access_token"]
            expires_in = float(data.get("expires_in") or 300)
        except (ValueError, KeyError, TypeError):
            raise AuthError(
                f"{prefix}the token endpoint {where} did not answer with an access_token",
                url=self.token_url,
            ) from None
        if not isinstance(token, str) or not token:
            raise AuthError(f"{prefix}empty access_token from {where}", url=self.token_url)
        self._token = token
        # A token that lives less than twice the margin is refreshed at half its life instead
        # of before every request.
        self._expires_at = self._clock() + expires_in
        self._margin = min(self.refresh_margin, expires_in / 2)
        self.tokens_fetched += 1
        self.log.info(
            "fetched a %s token from %s, valid %.0f s", self.token_type.upper(), where, expires_in
        )
