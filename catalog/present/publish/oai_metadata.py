"""A course document as ``oai_dc`` and as IEEE LOM (pure, lxml).

oai_dc: ``title``, ``creator`` (the organization, else the institution's name, else the feed:
never empty), ``subject`` (the source's subjects, then the ISCED-F labels in English),
``description`` (plain text: the description through the site's nh3 policy, then its words),
``publisher`` (the organization), ``date`` (the first run's start, else ``modified``), ``type``
``Course``, ``identifier`` (the course URL, then the OAI identifier), ``language``, ``rights``
(``free`` / ``paid`` when known). No ``xsi:type`` anywhere: it makes oai_dc invalid.

LOM (``http://ltsc.ieee.org/xsd/LOM``), written so that our own harvester
(:mod:`connectors.oaipmh_lom`) reads back the same title, description, language, subjects,
organization, URL, cost and (for an effort such as "20 hours") effort: ``general`` (identifiers
for the URL and the OAI identifier, title, language, description, one keyword per subject),
``lifeCycle/contribute`` (the publisher's vCard with ``ORG:``), ``technical/location`` (the
URL), ``educational`` (learner, higher education, the level as difficulty, the effort as
``typicalLearningTime``), ``rights/cost``, and ``classification`` (purpose discipline, one
ISCED-F 2013 ``taxonPath`` per field).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from lxml import etree

from catalog.present.course_document import CourseDocument
from catalog.present.publish.oai_xml import XSI_LOCATION, nsmap, xml_text
from catalog.present.site.safety import plain_text

DC_NS, OAI_DC_NS = "http://purl.org/dc/elements/1.1/", "http://www.openarchives.org/OAI/2.0/oai_dc/"
LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
#: (metadataPrefix, schema, namespace) of each format disseminated.
FORMATS = (
    ("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS),
    ("lom", "http://ltsc.ieee.org/xsd/lomv1.0/lom.xsd", LOM_NS),
)
PREFIXES = frozenset(prefix for prefix, _schema, _ns in FORMATS)
_DC, _OAI_DC, _L = f"{{{DC_NS}}}", f"{{{OAI_DC_NS}}}", f"{{{LOM_NS}}}"
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_EFFORT = re.compile(r"\s*([0-9]{1,4})\s+(hour|minute|day|week)s?\s*", re.I)
_DURATION_UNIT = {"hour": "PT{}H", "minute": "PT{}M", "day": "P{}D", "week": "P{}W"}
#: Catalog levels → LOM ``educational/difficulty``.
_DIFFICULTY = {"introductory": "easy", "intermediate": "medium", "advanced": "difficult"}
_ISCED_SOURCE = "ISCED-F 2013"
_DC_NAMES = "title creator subject description publisher date type identifier language rights"
_DC_TAG = {name: f"{_DC}{name}" for name in _DC_NAMES.split()}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def creator(document: CourseDocument, institution_name: str | None) -> str:
    """Who offers the course: the organization, else the institution, else the feed."""
    return document.organization or institution_name or document.feed


def plain_description(document: CourseDocument) -> str:
    """The description's words: markup removed by the site's nh3 text policy."""
    return plain_text(document.description or document.short_description)


def _language(document: CourseDocument) -> str | None:
    """The course's language when it is a well-formed tag (``xml:lang`` and LOM need one)."""
    return checked_language(document.language) if document.language else None


@lru_cache(maxsize=256)
def checked_language(language: str) -> str | None:
    """``language`` when it is a well-formed tag, else None."""
    return language if _LANGUAGE.fullmatch(language) else None


def _isced_labels(document: CourseDocument) -> list[tuple[str, str]]:
    return [(s.code, s.labels.get("en") or s.code) for s in document.subjects_isced]


#: Every LOM element name written, qualified once (a page writes thousands of them).
_NAMES = """lom general identifier catalog entry title string language description keyword
lifeCycle contribute role source value entity technical location educational intendedEndUserRole
context difficulty typicalLearningTime duration rights cost classification purpose taxonPath taxon
id"""
_TAG = {name: f"{_L}{name}" for name in _NAMES.split()}
_SUB = etree.SubElement


def _el(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    """A LOM element ``tag`` under ``parent``, with course ``text`` (made XML-safe)."""
    element = _SUB(parent, _TAG[tag])
    if text is not None:
        element.text = xml_text(text)
    return element


def _string(parent: etree._Element, tag: str, text: str, language: str | None) -> None:
    """``<tag><string language=…>text</string></tag>``: a LOM LangString."""
    string = _SUB(_SUB(parent, _TAG[tag]), _TAG["string"])
    string.text = xml_text(text)
    if language:
        string.set("language", language)


@lru_cache(maxsize=128)
def _fixed(kind: str, value: str) -> etree._Element:
    """A fragment that never varies, built once and copied into each record: a LOMv1.0
    vocabulary entry ``<kind><source>LOMv1.0</source><value>value</value></kind>``, or (kind
    ``taxonPath``) the ISCED-F path of the broad field ``value`` (its label is fixed too)."""
    if kind == "taxonPath":
        code, _, label = value.partition(" ")
        path = etree.Element(_TAG["taxonPath"])
        _string(path, "source", _ISCED_SOURCE, "en")
        taxon = _SUB(path, _TAG["taxon"])
        _el(taxon, "id", code)
        _string(taxon, "entry", label, "en")
        return path
    element = etree.Element(_TAG[kind])
    _el(element, "source", "LOMv1.0")
    _el(element, "value", value)
    return element


def _vocabulary(parent: etree._Element, kind: str, value: str) -> None:
    parent.append(_fixed(kind, value).__copy__())  # type: ignore[attr-defined]  # lxml copies the whole fragment


def _vcard(text: str) -> str:
    escaped = " ".join(text.split()).replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return f"BEGIN:VCARD\nVERSION:3.0\nFN:{escaped}\nORG:{escaped}\nEND:VCARD"


def _duration(effort: str | None) -> str | None:
    """``20 hours`` → ``PT20H``; None for an effort that is not one plain quantity."""
    match = _EFFORT.fullmatch(effort or "")
    return _DURATION_UNIT[match.group(2).lower()].format(int(match.group(1))) if match else None


def lom_xml(document: CourseDocument, identifier: str, name: str | None) -> str:
    """``<lom>`` for ``document`` as XML text, declaring its namespaces (spliced into a page
    with the other records: :mod:`.oai_records`)."""
    holder = etree.Element("holder")
    lom(holder, document, identifier, name)
    return etree.tostring(holder[0], encoding="unicode")


def lom(
    parent: etree._Element, document: CourseDocument, identifier: str, name: str | None
) -> None:
    """``<lom>`` for ``document``, inside ``parent`` (see the module's docstring)."""
    root = _SUB(parent, _TAG["lom"], nsmap=nsmap(LOM_NS))
    root.set(XSI_LOCATION, f"{LOM_NS} http://ltsc.ieee.org/xsd/lomv1.0/lom.xsd")
    language = _language(document)
    general = _el(root, "general")
    for catalog, entry in (("URI", document.url), ("oai", identifier)):
        if entry:
            ident = _el(general, "identifier")
            _el(ident, "catalog", catalog)
            _el(ident, "entry", entry)
    _string(general, "title", document.title, language)
    if language:
        _el(general, "language", language)
    description = plain_description(document)
    if description:
        _string(general, "description", description, language)
    for subject in dict.fromkeys(document.subjects):
        _string(general, "keyword", subject, language)
    contribute = _el(_el(root, "lifeCycle"), "contribute")
    _vocabulary(contribute, "role", "publisher")
    _el(contribute, "entity", _vcard(creator(document, name)))
    if document.url:
        _el(_el(root, "technical"), "location", document.url)
    _educational(root, document)
    if document.is_free is not None:
        _vocabulary(_el(root, "rights"), "cost", "no" if document.is_free else "yes")
    _classification(root, _isced_labels(document))


def _educational(root: etree._Element, document: CourseDocument) -> None:
    educational = _el(root, "educational")
    _vocabulary(educational, "intendedEndUserRole", "learner")
    _vocabulary(educational, "context", "higher education")
    difficulty = _DIFFICULTY.get((document.level or "").strip().lower())
    if difficulty:
        _vocabulary(educational, "difficulty", difficulty)
    duration = _duration(document.effort)
    if duration:
        _el(_el(educational, "typicalLearningTime"), "duration", duration)
    elif document.effort:
        _string(
            _el(educational, "typicalLearningTime"),
            "description",
            document.effort,
            _language(document),
        )


def _classification(root: etree._Element, fields: Iterable[tuple[str, str]]) -> None:
    fields = list(fields)
    if not fields:
        return
    classification = _el(root, "classification")
    _vocabulary(classification, "purpose", "discipline")
    for code, label in fields:
        classification.append(_fixed("taxonPath", f"{code} {label}").__copy__())  # type: ignore[attr-defined]
