"""A small OAI-PMH 2.0 repository on loopback, for tests that harvest or check one for real.

It answers the verbs a harvester uses — ``Identify``, ``ListMetadataFormats``, ``ListSets``,
``ListRecords`` — from a list of :class:`OaiRecord` (deleted ones included), in pages of
``page_size`` with a ``resumptionToken`` and ``completeListSize``, filtered by ``set`` and
``from`` — a record may carry an ``<about>`` (:func:`provenance`: how another node says where it
had the record from); and the protocol's errors: ``badVerb``, ``cannotDisseminateFormat``,
``noRecordsMatch``, ``badResumptionToken``, ``noSetHierarchy`` (when ``sets`` is empty).
Every request's arguments are recorded in :attr:`OaiProvider.requests`.

Typical use::

    with OaiProvider([OaiRecord("oai:hou:1", "Kinh tế học")]) as oai:
        config = f'base_url = "{oai.url}"'
        ...
        assert oai.verbs() == ["ListRecords", "Identify", ...]
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

__all__ = ["Hop", "OaiProvider", "OaiRecord", "provenance"]

_DC = (
    '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/">{}</oai_dc:dc>'
)


@dataclass(frozen=True)
class OaiRecord:
    """One repository record; ``deleted`` ones are sent as headers with ``status="deleted"``."""

    identifier: str
    title: str = ""
    datestamp: str = "2025-03-01T08:00:00Z"
    language: str = "vie"
    publisher: str = "Trường Đại học Mở Hà Nội"
    subjects: tuple[str, ...] = ()
    url: str | None = None
    sets: tuple[str, ...] = ()
    deleted: bool = False
    #: The record's ``<about>`` content as XML (a ``<provenance>`` container: :func:`provenance`),
    #: sent after its metadata — and with a deleted header too.
    about: str = ""

    def xml(self) -> str:
        specs = "".join(f"<setSpec>{escape(s)}</setSpec>" for s in self.sets)
        status = ' status="deleted"' if self.deleted else ""
        header = (
            f"<header{status}><identifier>{escape(self.identifier)}</identifier>"
            f"<datestamp>{self.datestamp}</datestamp>{specs}</header>"
        )
        about = f"<about>{self.about}</about>" if self.about else ""
        if self.deleted:
            return f"<record>{header}{about}</record>"
        fields = [f"<dc:title>{escape(self.title)}</dc:title>"]
        fields += [f"<dc:subject>{escape(s)}</dc:subject>" for s in self.subjects]
        fields.append(f"<dc:publisher>{escape(self.publisher)}</dc:publisher>")
        fields.append(f"<dc:language>{self.language}</dc:language>")
        if self.url:
            fields.append(f"<dc:identifier>{escape(self.url)}</dc:identifier>")
        metadata = f"<metadata>{_DC.format(''.join(fields))}</metadata>"
        return f"<record>{header}{metadata}{about}</record>"


@dataclass(frozen=True)
class Hop:
    """One ``originDescription`` of a :func:`provenance` container."""

    base_url: str
    identifier: str
    datestamp: str = "2025-02-01T00:00:00Z"
    harvest_date: str = "2025-02-02T09:30:00Z"
    namespace: str = "http://www.openarchives.org/OAI/2.0/oai_dc/"
    altered: str = "true"


def provenance(*hops: Hop) -> str:
    """An OAI-PMH ``<provenance>`` container: ``hops`` nested, the first outermost (nearest)."""
    inner = ""
    for hop in reversed(hops):
        inner = (
            f'<originDescription harvestDate="{escape(hop.harvest_date)}" '
            f'altered="{escape(hop.altered)}"><baseURL>{escape(hop.base_url)}</baseURL>'
            f"<identifier>{escape(hop.identifier)}</identifier>"
            f"<datestamp>{escape(hop.datestamp)}</datestamp>"
            f"<metadataNamespace>{escape(hop.namespace)}</metadataNamespace>{inner}"
            "</originDescription>"
        )
    return (
        '<provenance xmlns="http://www.openarchives.org/OAI/2.0/provenance" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/provenance '
        f'http://www.openarchives.org/OAI/2.0/provenance.xsd">{inner}</provenance>'
    )


@dataclass
class OaiProvider:
    """The repository; a context manager that serves it on ``127.0.0.1`` (a free port)."""

    records: Sequence[OaiRecord] = ()
    page_size: int = 2
    repository_name: str = "HOU Open Courseware"
    granularity: str = "YYYY-MM-DDThh:mm:ssZ"
    deleted_record: str = "persistent"
    earliest_datestamp: str = "2015-09-01T00:00:00Z"
    formats: tuple[str, ...] = ("oai_dc",)
    #: (setSpec, setName) pairs; empty means the repository answers ``noSetHierarchy``.
    sets: tuple[tuple[str, str], ...] = ()
    response_date: str = "2025-03-09T10:00:00Z"
    path: str = "/oai"
    requests: list[dict[str, str]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)

    # -- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> OaiProvider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != provider.path:
                    self._send(404, b"Not found", "text/plain")
                    return
                pairs = parse_qsl(parts.query, keep_blank_values=True)
                args = dict(pairs)
                provider.requests.append(args)
                if len(args) != len(pairs):  # a repeated argument (spec §3.6): verb → badVerb
                    code = "badVerb" if [k for k, _ in pairs].count("verb") > 1 else "badArgument"
                    body = provider._envelope({}, provider._error(code, "repeated argument"))
                else:
                    body = provider.answer(args)
                self._send(200, body.encode("utf-8"), "text/xml; charset=utf-8")

            def _send(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        """The endpoint, ``http://127.0.0.1:PORT/oai``: what a feed's ``base_url`` should be."""
        assert self._server is not None, "OaiProvider is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.path}"

    def verbs(self) -> list[str]:
        """The verb of every request received, in order."""
        return [args.get("verb", "") for args in self.requests]

    # -- the protocol -----------------------------------------------------------------------

    def answer(self, args: dict[str, str]) -> str:
        verb = args.get("verb", "")
        handler = {
            "Identify": self._identify,
            "ListMetadataFormats": self._formats,
            "ListSets": self._sets,
            "ListRecords": self._records,
        }.get(verb)
        if handler is None:
            return self._envelope(args, self._error("badVerb", f"Illegal verb {verb!r}"))
        return self._envelope(args, handler(args))

    def _envelope(self, args: dict[str, str], body: str) -> str:
        attrs = "".join(f' {k}="{escape(v)}"' for k, v in args.items() if k.isalpha())
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
            f"<responseDate>{self.response_date}</responseDate>"
            f"<request{attrs}>{self.url}</request>{body}</OAI-PMH>"
        )

    @staticmethod
    def _error(code: str, text: str = "") -> str:
        return f'<error code="{code}">{escape(text)}</error>'

    def _identify(self, args: dict[str, str]) -> str:
        return (
            f"<Identify><repositoryName>{escape(self.repository_name)}</repositoryName>"
            f"<baseURL>{self.url}</baseURL><protocolVersion>2.0</protocolVersion>"
            "<adminEmail>oai@hou.edu.vn</adminEmail>"
            f"<earliestDatestamp>{self.earliest_datestamp}</earliestDatestamp>"
            f"<deletedRecord>{self.deleted_record}</deletedRecord>"
            f"<granularity>{self.granularity}</granularity></Identify>"
        )

    def _formats(self, args: dict[str, str]) -> str:
        formats = "".join(
            f"<metadataFormat><metadataPrefix>{p}</metadataPrefix>"
            f"<schema>https://example.org/{p}.xsd</schema>"
            f"<metadataNamespace>https://example.org/{p}/</metadataNamespace></metadataFormat>"
            for p in self.formats
        )
        return f"<ListMetadataFormats>{formats}</ListMetadataFormats>"

    def _sets(self, args: dict[str, str]) -> str:
        if not self.sets:
            return self._error("noSetHierarchy", "This repository does not support sets")
        listed = "".join(
            f"<set><setSpec>{escape(s)}</setSpec><setName>{escape(n)}</setName></set>"
            for s, n in self.sets
        )
        return f"<ListSets>{listed}</ListSets>"

    def _records(self, args: dict[str, str]) -> str:
        token = args.get("resumptionToken")
        if token is not None:
            try:
                prefix, set_spec, since, offset = token.split("|")
                start = int(offset)
            except ValueError:
                return self._error("badResumptionToken", f"unknown token {token!r}")
        else:
            prefix, set_spec = args.get("metadataPrefix", ""), args.get("set", "")
            since, start = args.get("from", ""), 0
        if prefix not in self.formats:
            return self._error("cannotDisseminateFormat", f"{prefix!r} is not supported")
        chosen = [
            r
            for r in self.records
            if (not set_spec or any(s.startswith(set_spec) for s in r.sets))
            and (not since or r.datestamp[: len(since)] >= since)
        ]
        if not chosen:
            return self._error("noRecordsMatch")
        page = chosen[start : start + self.page_size]
        rest = start + self.page_size
        more = rest < len(chosen)
        next_token = f"{prefix}|{set_spec}|{since}|{rest}" if more else ""
        token_xml = ""
        if more or token is not None:
            token_xml = (
                f'<resumptionToken completeListSize="{len(chosen)}" cursor="{start}">'
                f"{escape(next_token)}</resumptionToken>"
            )
        return f"<ListRecords>{''.join(r.xml() for r in page)}{token_xml}</ListRecords>"
