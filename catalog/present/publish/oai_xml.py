"""The OAI-PMH envelope and the answers that need no record: errors, Identify,
ListMetadataFormats, ListSets, and a record's header (pure, lxml).

Every response is one ``<OAI-PMH>`` element with the protocol's exact ``schemaLocation``, a
``responseDate`` in UTC seconds and the ``<request>`` echo; it is serialised once, UTF-8 with an
XML declaration (:func:`serialize`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import cast

from lxml import etree

from catalog.present.publish.oai_request import OaiError
from catalog.present.publish.settings import PublishSettings

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI, XSI_LOCATION = f"{{{OAI_NS}}}", f"{{{XSI_NS}}}schemaLocation"
SCHEMA_LOCATION = f"{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
IDENTIFIER_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
#: The granularity the repository supports (and every datestamp it writes).
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
CONTENT_TYPE = "text/xml; charset=utf-8"
#: Characters XML 1.0 cannot hold: dropped from any text a course brings.
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def nsmap(default: str | None = None, **prefixed: str) -> dict[str, str]:
    """An element's namespace map, ``default`` unprefixed (lxml-stubs type it without the
    ``None`` key lxml takes for the default namespace)."""
    found: dict[str | None, str] = {None: default} if default else {}
    found.update(prefixed)
    return cast("dict[str, str]", found)


def xml_text(value: str) -> str:
    """``value`` without the characters XML cannot carry (a harvested title may hold one)."""
    return _XML_UNSAFE.sub("", value) if _XML_UNSAFE.search(value) else value


def text(value: str) -> str:
    """``value`` as XML character data: unsafe characters dropped, markup characters escaped
    (``\\r`` as a reference, so that a parser does not turn it into a newline)."""
    value = xml_text(value)
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    return value


@lru_cache(maxsize=4096)
def stamp(moment: datetime) -> str:
    """A datestamp at the repository's granularity: UTC seconds, ``Z`` (cached: the courses of
    one sync share their datestamps, and ``strftime`` costs more than the rest of a header)."""
    m = moment.astimezone(UTC)
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}Z"


class _Tags(dict[str, str]):
    """OAI-PMH element names, qualified once each."""

    def __missing__(self, tag: str) -> str:
        self[tag] = qualified = f"{OAI}{tag}"
        return qualified


_OAI_TAG = _Tags()


def sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    """A child element in the OAI-PMH namespace, with ``text``."""
    element = etree.SubElement(parent, _OAI_TAG[tag])
    if text is not None:
        element.text = xml_text(text)
    return element


def envelope(
    settings: PublishSettings, now: datetime, arguments: Sequence[tuple[str, str]] = ()
) -> etree._Element:
    """``<OAI-PMH>`` with ``responseDate`` and ``request`` (``arguments`` as its attributes:
    given only for a request that was valid)."""
    root = etree.Element(f"{OAI}OAI-PMH", nsmap=nsmap(OAI_NS, xsi=XSI_NS))
    root.set(XSI_LOCATION, SCHEMA_LOCATION)
    sub(root, "responseDate", stamp(now))
    request = sub(root, "request", settings.oai_url)
    for name, value in arguments:
        request.set(name, value)
    return root


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def errors(root: etree._Element, found: Iterable[OaiError]) -> etree._Element:
    for error in found:
        sub(root, "error", error.message).set("code", error.code)
    return root


def identify(
    root: etree._Element, settings: PublishSettings, earliest: datetime, sample: str
) -> None:
    """Identify, in the schema's order, with the ``oai-identifier`` description."""
    body = sub(root, "Identify")
    sub(body, "repositoryName", settings.repository_name)
    sub(body, "baseURL", settings.oai_url)
    sub(body, "protocolVersion", "2.0")
    for email in settings.admin_emails:
        sub(body, "adminEmail", email)
    sub(body, "earliestDatestamp", stamp(earliest))
    sub(body, "deletedRecord", "persistent")
    sub(body, "granularity", GRANULARITY)
    description = sub(body, "description")
    ns = f"{{{IDENTIFIER_NS}}}"
    ident = etree.SubElement(description, f"{ns}oai-identifier", nsmap=nsmap(IDENTIFIER_NS))
    ident.set(XSI_LOCATION, f"{IDENTIFIER_NS} {IDENTIFIER_NS}.xsd")
    for tag, text in (
        ("scheme", "oai"),
        ("repositoryIdentifier", settings.node_id),
        ("delimiter", ":"),
        ("sampleIdentifier", sample),
    ):
        etree.SubElement(ident, f"{ns}{tag}").text = xml_text(text)


def metadata_formats(root: etree._Element, formats: Iterable[tuple[str, str, str]]) -> None:
    """ListMetadataFormats: (prefix, schema, namespace) each."""
    body = sub(root, "ListMetadataFormats")
    for prefix, schema, namespace in formats:
        entry = sub(body, "metadataFormat")
        sub(entry, "metadataPrefix", prefix)
        sub(entry, "schema", schema)
        sub(entry, "metadataNamespace", namespace)


def sets(root: etree._Element, found: Iterable[tuple[str, str]]) -> None:
    """ListSets: (setSpec, setName) each."""
    body = sub(root, "ListSets")
    for spec, name in found:
        entry = sub(body, "set")
        sub(entry, "setSpec", spec)
        sub(entry, "setName", name)
