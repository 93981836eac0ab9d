"""IEEE LOM records over OAI-PMH (``lom``, ``oai_lom``; namespace ``http://ltsc.ieee.org/xsd/LOM``,
as OER aggregators harvest it) → CourseRecord (pure).

What each LOM element becomes, and why:

* ``general/title`` and ``general/description``: LangStrings; the string in the preferred
  ``language`` (options.language), else the first. The description may be escaped HTML.
* ``general/keyword``: each keyword is one LangString (one keyword, its translations), so one
  language is kept per keyword: the preferred one, else the keyword's first. A repository that
  puts several keywords in one element (all in one language) gives them all. Then the entries of
  ``classification`` whose purpose is ``discipline`` (or unstated): the last, most specific
  ``taxonPath/taxon/entry`` of each path. Together, deduplicated, they are the subjects.
* ``general/language``: the first that is a language (BCP 47).
* ``lifeCycle/contribute/entity``: vCards; the publisher's ``ORG:`` is the organization, else
  the first contributor's. Names (``FN:``) are not kept: the record has no field for people.
* ``technical/location``, then ``general/identifier/entry``: the first http(s) URL.
* ``educational/typicalLearningTime/duration``: ISO 8601 → readable effort ("20 hours").
* ``rights/cost``: ``no`` → free, ``yes`` → not free. Licence texts (``rights/description``) are
  not kept: the record has no licence field.
* The header's datestamp is when it changed (LOM's own dates describe the resource).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache

from lxml import etree

from connectors.errors import RecordError
from connectors.normalize import clean_text, language_tag, summary
from connectors.oaipmh_text import first_language, html_description, iso_duration, pick, texts
from connectors.oaipmh_text import values as text_values
from connectors.records import CourseRecord, is_http_url

_VCARD_ORG = re.compile(r"^ORG(?:;[^:\n]*)?:(.*)$", re.M | re.I)
#: Classification purposes whose taxa are subjects.
_SUBJECT_PURPOSES = frozenset({"", "discipline"})


@lru_cache(maxsize=64)
def _path(ns: str, p: str) -> str:
    """``general/title`` in namespace ``ns`` (``{…}`` or ""), built once per namespace."""
    return "/".join(ns + part for part in p.split("/"))


def map_lom(
    lom: etree._Element, *, key: str, datestamp: datetime | None, language: str | None, raw: str
) -> CourseRecord:
    """IEEE LOM → CourseRecord: see the module's docstring for each element."""
    namespace = etree.QName(lom).namespace
    ns = f"{{{namespace}}}" if namespace else ""
    title = pick(texts(lom, _path(ns, "general/title/string"), "language"), language)
    if not title:
        raise RecordError("general/title: missing", key=key)
    description = html_description(
        pick(texts(lom, _path(ns, "general/description/string"), "language"), language)
    )
    cost = (lom.findtext(_path(ns, "rights/cost/value")) or "").strip().lower()
    links = text_values(lom, _path(ns, "technical/location"))
    links += text_values(lom, _path(ns, "general/identifier/entry"))
    subjects = [*_keywords(lom, ns, language), *_taxa(lom, ns, language)]
    return CourseRecord(
        key=key,
        title=title,
        description=description,
        short_description=summary(description),
        language=first_language(text_values(lom, _path(ns, "general/language"))),
        organization=_vcard_org(lom, ns),
        subjects=tuple(dict.fromkeys(subjects)),
        effort=iso_duration(lom.findtext(_path(ns, "educational/typicalLearningTime/duration"))),
        is_free={"no": True, "yes": False}.get(cost),
        url=next((u for u in links if is_http_url(u)), None),
        modified=datestamp,
        raw=raw,
    )


def _keywords(lom: etree._Element, ns: str, language: str | None) -> Iterator[str]:
    """Each ``general/keyword`` in one language: the preferred one, else its first string's."""
    string = _path(ns, "string")
    for keyword in lom.iterfind(_path(ns, "general/keyword")):
        found = texts(keyword, string, "language")
        if not found:
            continue
        chosen = _language_of(found, language)
        yield from (text for text, lang in found if lang == chosen)


def _taxa(lom: etree._Element, ns: str, language: str | None) -> Iterator[str]:
    """The most specific taxon of each discipline ``classification/taxonPath``."""
    entry = _path(ns, "entry/string")
    for classification in lom.iterfind(_path(ns, "classification")):
        purpose = classification.findtext(_path(ns, "purpose/value")) or ""
        if purpose.strip().lower() not in _SUBJECT_PURPOSES:
            continue
        for taxon_path in classification.iterfind(_path(ns, "taxonPath")):
            taxa = taxon_path.findall(_path(ns, "taxon"))
            name = pick(texts(taxa[-1], entry, "language"), language) if taxa else None
            if name:
                yield name


def _language_of(found: list[tuple[str, str | None]], language: str | None) -> str | None:
    """The ``language`` attribute to keep: one matching ``language``'s primary subtag, else the
    first string's."""
    want = (language_tag(language) or "").split("-")[0]
    if want:
        for _text, lang in found:
            if (language_tag(lang) or "").split("-")[0] == want:
                return lang
    return found[0][1]


def _vcard_org(lom: etree._Element, ns: str) -> str | None:
    """``ORG:`` of the publisher's vCard, else of the first contributor that has one."""
    orgs: list[tuple[bool, str]] = []
    role_path, entity_path = _path(ns, "role/value"), _path(ns, "entity")
    for contribute in lom.iterfind(_path(ns, "lifeCycle/contribute")):
        role = (contribute.findtext(role_path) or "").strip().lower()
        for entity in contribute.iterfind(entity_path):
            match = _VCARD_ORG.search(entity.text or "")
            org = clean_text(match.group(1).split(";")[0].replace("\\,", ",")) if match else None
            if org:
                orgs.append((role != "publisher", org))
    return min(orgs, key=lambda pair: pair[0])[1] if orgs else None
