"""Records written as XML text: the ``<header>``, ``oai_dc`` and ``<about><provenance>`` of a
page of records (pure).

A ``ListRecords`` page is mostly its records: built as lxml elements they cost about 180 µs
each (a SubElement call, a text check and an attribute per field), more than reading the
courses from the catalog and three times what the harvester spends parsing them. Written here
as text — each value stripped of the characters XML cannot carry and escaped, each element from
a fixed template — a record costs a fraction of that, and :mod:`.oai_provider` splices the page's
records into the envelope lxml still builds (:data:`RECORDS_MARK`). The tests validate every
response against the official OAI-PMH schema and read the records back through lxml, our own
harvester, Sickle and pyoai; LOM records (rarer, deeper) are still built with lxml
(:mod:`.oai_metadata`).

The fields are those :mod:`.oai_metadata` documents for oai_dc; the provenance container is the
one :mod:`.oai_about` documents.
"""

from __future__ import annotations

from functools import lru_cache

from catalog.present.course_document import CourseDocument
from catalog.present.publish.oai_about import OAI_DC_NS, Sources, provenance
from catalog.present.publish.oai_metadata import DC_NS, checked_language, creator, lom_xml
from catalog.present.publish.oai_xml import stamp, text
from catalog.present.publish.selection import Header
from catalog.present.site.safety import plain_text

#: Where the envelope's records go: a comment lxml writes as is, which no text can forge (a
#: ``<`` in text is always written ``&lt;``).
MARK_TEXT = "records"
RECORDS_MARK = f"<!--{MARK_TEXT}-->".encode()

_DC_OPEN = (
    f'<oai_dc:dc xmlns:oai_dc="{OAI_DC_NS}" xmlns:dc="{DC_NS}" '
    f'xsi:schemaLocation="{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd">'
)


@lru_cache(maxsize=4096)
def _spec(spec: str) -> str:
    return f"<setSpec>{text(spec)}</setSpec>"


def header(item: Header, identifier: str) -> str:
    """A record's ``<header>`` (``status="deleted"`` for a withdrawn course)."""
    status = ' status="deleted"' if item.deleted else ""
    specs = "".join([_spec(spec) for spec in item.set_specs])
    return (
        f"<header{status}><identifier>{text(identifier)}</identifier>"
        f"<datestamp>{stamp(item.datestamp)}</datestamp>{specs}</header>"
    )


def _dc(parts: list[str], tag: str, value: str | None, lang: str | None = None) -> None:
    if value:
        open_tag = f'<dc:{tag} xml:lang="{lang}">' if lang else f"<dc:{tag}>"
        parts.append(f"{open_tag}{text(value)}</dc:{tag}>")


def oai_dc(document: CourseDocument, identifier: str, name: str | None) -> str:
    """``<oai_dc:dc>`` for ``document`` (``name``: its institution's); the fields as
    :mod:`.oai_metadata` documents them."""
    language = checked_language(document.language) if document.language else None
    parts = [_DC_OPEN]
    _dc(parts, "title", document.title, language)
    _dc(parts, "creator", creator(document, name))
    isced = [s.labels.get("en") or s.code for s in document.subjects_isced]
    for subject in dict.fromkeys([*document.subjects, *isced]):
        _dc(parts, "subject", subject)
    description = plain_text(document.description or document.short_description)
    _dc(parts, "description", description, language)
    _dc(parts, "publisher", document.organization)
    starts = [run.start for run in document.runs if run.start is not None]
    when = min(starts) if starts else document.modified
    _dc(parts, "date", stamp(when) if when else None)
    parts.append("<dc:type>Course</dc:type>")
    _dc(parts, "identifier", document.url)
    _dc(parts, "identifier", identifier)
    _dc(parts, "language", language)
    if document.is_free is not None:
        parts.append(f"<dc:rights>{'free' if document.is_free else 'paid'}</dc:rights>")
    parts.append("</oai_dc:dc>")
    return "".join(parts)


def record(
    item: Header,
    identifier: str,
    document: CourseDocument | None,
    sources: Sources,
    *,
    prefix: str,
) -> str:
    """One ``<record>`` in ``prefix`` (oai_dc or lom): its header, and for a live course its
    metadata and provenance."""
    head = header(item, identifier)
    if item.deleted or document is None:
        return f"<record>{head}</record>"
    name = sources.institution_name(document.institution)
    metadata = (lom_xml if prefix == "lom" else oai_dc)(document, identifier, name)
    return f"<record>{head}<metadata>{metadata}</metadata>{provenance(document, sources)}</record>"
