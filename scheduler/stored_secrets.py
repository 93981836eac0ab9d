"""Credentials a feed's URLs carry, kept out of the catalog (shared/RELIABILITY.md K3).

Some sources take their key in the URL (``?api_key=…`` in an OAI-PMH ``base_url``, MOOChub's
``path = "/courses?access_token=…"``, a password in the userinfo), and the catalog stores URLs:
the feed's ``base_url``, every page's URL (provenance, conditional requests), the cursor a run
resumes from (a ``next`` link the source built with the key in it), rejected records' pages.
The sync sits between connectors and catalog, so it swaps each such value for a placeholder
(``***``) on the way in, and back on the way out (cursors and the validators keyed by page
URL), with the key the config holds *now*: a rotated key keeps working, an old one is never
written. Connectors keep real URLs; the catalog never sees a credential.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

from scheduler.config import Config

__all__ = ["StoredSecrets", "for_feed"]

T = TypeVar("T")


@dataclass(frozen=True)
class StoredSecrets:
    """Replaces a feed's credentials by placeholders in what is stored, and back."""

    #: (value, placeholder), longest value first so that no value hides inside another's.
    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, values: Iterable[str]) -> StoredSecrets:
        """Placeholders ``***``, ``***2``… for each value, and ``***q``, ``***2q``… for its
        percent-encoded spelling when that differs (a ``next`` link may carry either)."""
        pairs: list[tuple[str, str]] = []
        for n, value in enumerate(dict.fromkeys(values), start=1):
            mark = "***" if n == 1 else f"***{n}"
            pairs.append((value, mark))
            encoded = quote(value, safe="")
            if encoded != value:
                pairs.append((encoded, f"{mark}q"))
        pairs.sort(key=lambda pair: -len(pair[0]))
        return cls(tuple(pairs))

    def __bool__(self) -> bool:
        return bool(self.pairs)

    def hide(self, value: T) -> T:
        """``value`` with every credential replaced: strings, mappings (keys too), lists,
        tuples and dataclasses (a page, its records, their runs and raw payloads)."""
        if not self.pairs:
            return value
        return self._walk(value, self._hide_text)

    def reveal(self, value: T) -> T:
        """The inverse of :meth:`hide` with today's credentials, for what a connector reads
        back (a cursor and the validators inside it)."""
        if not self.pairs:
            return value
        return self._walk(value, self._reveal_text)

    def _hide_text(self, text: str) -> str:
        for secret, mark in self.pairs:
            if secret in text:
                text = text.replace(secret, mark)
        return text

    def _reveal_text(self, text: str) -> str:
        if "***" not in text:
            return text
        for secret, mark in sorted(self.pairs, key=lambda pair: -len(pair[1])):
            text = text.replace(mark, secret)
        return text

    def _walk(self, value: Any, change: Any) -> Any:
        if isinstance(value, str):
            return change(value)
        if isinstance(value, Mapping):
            return {self._walk(k, change): self._walk(v, change) for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(v, change) for v in value]
        if type(value) is tuple:
            return tuple(self._walk(v, change) for v in value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            updates = {}
            for f in dataclasses.fields(value):
                old = getattr(value, f.name)
                new = self._walk(old, change)
                if new is not old and new != old:  # unchanged fields keep their objects
                    updates[f.name] = new
            return dataclasses.replace(value, **updates) if updates else value
        return value


def for_feed(config: Config, feed_id: str) -> StoredSecrets:
    """The credentials in ``feed_id``'s ``base_url`` and in its string options (a path or a URL
    with a key in its query)."""
    return StoredSecrets.of(config.url_credentials(feed_id))
