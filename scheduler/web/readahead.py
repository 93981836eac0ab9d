"""Read-ahead for list harvests: the next page is rendered while the harvester reads this one.

A harvester (Sickle, pyoai, our own connector) asks for a page, parses it, stores it, and only
then asks for the next with the token it was given: the server idles while the client works,
and the client idles while the server renders. The list page's answer names the request that
comes next (:attr:`PublishResponse.next_request`); this module renders that request on a
background thread at once and keeps the answer, so that when the harvester asks, the page is
ready — or being finished — and the two sides work at the same time instead of taking turns.

Bounded on purpose: one background thread (one core's worth of work; the request threads keep
answering), at most :data:`ENTRIES` pages kept (a few hundred KiB each: memory stays flat with
any number of harvesters), each for :data:`TTL_S` seconds. A page rendered ahead is the same
bytes the request would have got (its ``responseDate`` and the next token's expiry are from the
moment it was rendered, a few milliseconds earlier), from a read transaction of its own; a
harvester that never comes back costs one page rendered for nothing. Several ``moocx web``
behind a load balancer each read ahead for the requests they answer; one that gets a token
another process rendered ahead simply renders it itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from catalog.present.publish.response import PublishResponse

log = logging.getLogger(__name__)

#: Pages kept rendered ahead (the oldest is dropped first).
ENTRIES = 16
#: How long a page rendered ahead is kept for its harvester to ask.
TTL_S = 60.0

Arguments = Mapping[str, Sequence[str]]
Render = Callable[[Arguments], PublishResponse]
_Key = tuple[tuple[str, str], ...]


def _key(args: Arguments) -> _Key | None:
    """The request as a key when every argument has one value; None otherwise (such a request
    is never one a page named as next)."""
    if any(len(values) != 1 for values in args.values()):
        return None
    return tuple(sorted((name, values[0]) for name, values in args.items()))


class ReadAhead:
    """Answers requests through ``render``, rendering each answer's ``next_request`` ahead."""

    def __init__(self, render: Render, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._render, self._clock = render, clock
        self._lock = threading.Lock()
        self._ahead: OrderedDict[_Key, tuple[float, Future[PublishResponse]]] = OrderedDict()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="moocx-readahead")
        self.hits = self.misses = 0

    def answer(self, args: Arguments) -> PublishResponse:
        """The answer to ``args``: the one rendered ahead for it, if any, else rendered now."""
        key = _key(args)
        response = self._taken(key) if key is not None else None
        if response is None:
            response = self._render(args)
        self._read_ahead(response)
        return response

    def close(self) -> None:
        """Stop rendering ahead (pages not yet started are dropped)."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _taken(self, key: _Key) -> PublishResponse | None:
        with self._lock:
            entry = self._ahead.pop(key, None)
        if entry is None:
            return None
        at, future = entry
        if self._clock() - at > TTL_S or future.cancel():  # stale, or not started: render now
            self.misses += 1
            return None
        try:
            response = future.result()
        except Exception:  # the request renders again, and says what is wrong itself
            log.debug("a page rendered ahead failed; rendering it again", exc_info=True)
            self.misses += 1
            return None
        self.hits += 1
        return response

    def _read_ahead(self, response: PublishResponse) -> None:
        if not response.next_request or response.status != 200:
            return
        key = tuple(sorted(response.next_request))
        args = {name: [value] for name, value in response.next_request}
        with self._lock:
            if key in self._ahead:
                return
            try:
                future = self._executor.submit(self._render, args)
            except RuntimeError:  # shut down
                return
            self._ahead[key] = (self._clock(), future)
            while len(self._ahead) > ENTRIES:
                _at, dropped = self._ahead.popitem(last=False)[1]
                dropped.cancel()
