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

from lxml import etree

from catalog.present.course_document import CourseDocument
from catalog.present.publish.oai_xml import XSI_LOCATION, nsmap, stamp, xml_text
from catalog.present.site.safety import sanitize_description

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


def creator(document: CourseDocument, institution_name: str | None) -> str:
    """Who offers the course: the organization, else the institution, else the feed."""
    return document.organization or institution_name or document.feed


def plain_description(document: CourseDocument) -> str:
    """The description's words, through the site's nh3 policy."""
    return sanitize_description(document.description or document.short_description)[1]


def _language(document: CourseDocument) -> str | None:
    language = document.language
    return language if language and _LANGUAGE.fullmatch(language) else None


def _isced_labels(document: CourseDocument) -> list[tuple[str, str]]:
    return [(s.code, s.labels.get("en") or s.code) for s in document.subjects_isced]


def oai_dc(
    parent: etree._Element, document: CourseDocument, identifier: str, name: str | None
) -> None:
    """``<oai_dc:dc>`` for ``document`` (``name``: its institution's), inside ``parent``."""
    dc = etree.SubElement(parent, f"{_OAI_DC}dc", nsmap=nsmap(oai_dc=OAI_DC_NS, dc=DC_NS))
    dc.set(XSI_LOCATION, f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd")
    language = _language(document)

    def add(tag: str, text: str | None, lang: str | None = None) -> None:
        if text:
            element = etree.SubElement(dc, f"{_DC}{tag}")
            element.text = xml_text(text)
            if lang:
                element.set("{http://www.w3.org/XML/1998/namespace}lang", lang)

    add("title", document.title, language)
    add("creator", creator(document, name))
    for subject in dict.fromkeys([*document.subjects, *(t for _c, t in _isced_labels(document))]):
        add("subject", subject)
    add("description", plain_description(document), language)
    add("publisher", document.organization)
    starts = [run.start for run in document.runs if run.start is not None]
    when = min(starts) if starts else document.modified
    add("date", stamp(when) if when else None)
    add("type", "Course")
    add("identifier", document.url)
    add("identifier", identifier)
    add("language", language)
    if document.is_free is not None:
        add("rights", "free" if document.is_free else "paid")


def _el(parent: etree._Element, path: str, text: str | None = None) -> etree._Element:
    """``a/b/c`` under ``parent`` in LOM's namespace (a new element at each step)."""
    element = parent
    for tag in path.split("/"):
        element = etree.SubElement(element, f"{_L}{tag}")
    if text is not None:
        element.text = xml_text(text)
    return element


def _string(parent: etree._Element, path: str, text: str, language: str | None) -> None:
    string = _el(parent, f"{path}/string", text)
    if language:
        string.set("language", language)


def _vocabulary(parent: etree._Element, path: str, value: str) -> None:
    element = _el(parent, path)
    _el(element, "source", "LOMv1.0")
    _el(element, "value", value)


def _vcard(text: str) -> str:
    escaped = " ".join(text.split()).replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return f"BEGIN:VCARD\nVERSION:3.0\nFN:{escaped}\nORG:{escaped}\nEND:VCARD"


def _duration(effort: str | None) -> str | None:
    """``20 hours`` → ``PT20H``; None for an effort that is not one plain quantity."""
    match = _EFFORT.fullmatch(effort or "")
    return _DURATION_UNIT[match.group(2).lower()].format(int(match.group(1))) if match else None


def lom(
    parent: etree._Element, document: CourseDocument, identifier: str, name: str | None
) -> None:
    """``<lom>`` for ``document``, inside ``parent`` (see the module's docstring)."""
    root = etree.SubElement(parent, f"{_L}lom", nsmap=nsmap(LOM_NS))
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
    contribute = _el(root, "lifeCycle/contribute")
    _vocabulary(contribute, "role", "publisher")
    _el(contribute, "entity", _vcard(creator(document, name)))
    if document.url:
        _el(root, "technical/location", document.url)
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
        _el(educational, "typicalLearningTime/duration", duration)
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
        path = _el(classification, "taxonPath")
        _string(path, "source", _ISCED_SOURCE, "en")
        taxon = _el(path, "taxon")
        _el(taxon, "id", code)
        _string(taxon, "entry", label, "en")
