"""What a node publishes and how it names itself: the ``[publish]`` config, as the publishing
functions read it (``scheduler`` builds it from the config and the catalog's signing key)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

#: The largest page a client may ask for (MOOChub ``page[size]``); the OAI-PMH page is fixed.
MAX_PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class PublishSettings:
    """A node's publishing identity and consent.

    ``node_id`` is the OAI-PMH repository identifier — a domain name the node controls
    (``mooc.vnu.edu.vn``) — and the namespace of every identifier it publishes
    (``oai:mooc.vnu.edu.vn:vnu-edx:course-v1:…``). ``base_url`` is the service's public root
    (``https://mooc.vnu.edu.vn/exchange``, no trailing slash): ``/oai``, ``/moochub/courses``
    and ``/feeds/…`` hang under it, and links and the OAI-PMH ``baseURL`` are made from it.
    """

    node_id: str
    base_url: str
    repository_name: str
    admin_emails: tuple[str, ...]
    #: The institutions whose courses this node publishes (consent): no others, ever.
    institutions: tuple[str, ...]
    #: The audiences whose offers are published (feeds, exchange JSON); None: every audience.
    audiences: tuple[str, ...] | None = None
    #: Records per OAI-PMH ``ListRecords``/``ListIdentifiers`` page.
    page_size: int = 200
    #: How long a resumption token stays valid (the OAI best practice is at least 24 hours).
    token_lifetime: timedelta = timedelta(days=2)
    #: The key that signs resumption tokens (from the catalog's ``node_secrets``).
    token_key: bytes = b""

    @property
    def oai_url(self) -> str:
        """The OAI-PMH ``baseURL``: what harvesters are given and what Identify states."""
        return f"{self.base_url}/oai"

    def publishes(self, institution: str | None) -> bool:
        return institution is not None and institution in self.institutions

    def publishes_audience(self, audience: str) -> bool:
        return self.audiences is None or audience in self.audiences
