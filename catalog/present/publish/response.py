"""What a publishing function answers: status, body and headers, with no web framework in sight.

``scheduler/web`` turns a :class:`PublishResponse` into its framework's response as it is; the
OAI-PMH, MOOChub and Atom functions build one each, so they can be tested without a server.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PublishResponse:
    """One HTTP answer: ``status``, the ``body`` bytes, their ``content_type`` (with charset),
    and any further headers (``Sunset``, ``Link`` …) in order."""

    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()
    #: The request a harvester makes next, when the answer says so (an OAI-PMH list page's
    #: resumption token): the web layer may render it ahead (``scheduler/web/readahead.py``).
    next_request: tuple[tuple[str, str], ...] = ()
