"""One published course → one MOOChub v3 JSON:API resource object (pure).

The attributes follow the official v3 schema (``moochub-schema.json`` 3.0.1) and are chosen so
that a MOOChub harvester — ours included (connectors/moochub_mapping.py) — reads back the same
course: ``name``, ``url``, ``inLanguage``, ``description``, ``keywords`` (the source's subject
names), ``image``, ``startDate``/``endDate`` (the runs), ``workload``, ``access``,
``courseMode`` (mode and pacing), ``numberOfCredits``, ``dateModified``, ``expires``, the
application window when every run shares it, ``educationalCredentialsAwarded`` and ``offer``.

Decisions the schema forces, each with a test:

* ``url`` is required: a course without a safe http(s) URL gets this node's ``GetRecord`` URL
  for it (``{oai_url}?verb=GetRecord&metadataPrefix=oai_dc&identifier=…``), a page this node
  serves and that describes the course — never an invalid item.
* ``license`` is required: the catalog stores none, so it is ``proprietary`` with the course's
  URL, as xikolo falls back to.
* ``educationalLevel`` is not published: the schema wants a level from ESCO, DigComp or GRETA,
  and the catalog's level is the source's own word.
* ``workload`` only when the effort is a whole number of hours a day, week or month (the
  schema's integer ``timeValue`` and its three units); a range, minutes or a course total
  are not published (no place for them in the schema).
* ``offer`` needs a payment frequency: a price paid once (or not said) is ``one-time``.

``meta.provenance`` says where the course came from (see :func:`provenance`); no row id, raw
payload or feed credential is ever published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from catalog.present.course_document import CourseDocument, RunDocument
from catalog.present.publish.oai_ids import public_url, published_identifier
from catalog.present.publish.settings import PublishSettings
from catalog.present.site.safety import safe_url, sanitize_html
from connectors.records import PAYMENT_FREQUENCIES

#: What a course is in the KIM hcrt vocabulary (the schema's only ``learningResourceType``).
LEARNING_RESOURCE_TYPE = {
    "identifier": "https://w3id.org/kim/hcrt/course",
    "type": "Concept",
    "inScheme": "https://w3id.org/kim/hcrt/scheme",
    "prefLabel": {"en": "Course", "de": "Kurs"},
}
#: A metadata namespace per connector kind; an OAI-PMH feed's records came as oai_dc.
OAI_DC_NAMESPACE = "http://www.openarchives.org/OAI/2.0/oai_dc/"

#: A whole number of hours a period, as the catalog writes effort (connectors/effort.py, in
#: English, Vietnamese or Chinese) or as a MOOChub source sent it ("4 h/week"): (pattern, the
#: group with the number, the group with the period).
_WORKLOADS = (
    (re.compile(r"(\d{1,3}) h/(day|week|month)"), 1, 2),
    (re.compile(r"(\d{1,3}) hours? per (day|week)"), 1, 2),
    (re.compile(r"(\d{1,3}) giờ mỗi (ngày|tuần)"), 1, 2),
    (re.compile(r"每(天|周)(\d{1,3})小时"), 2, 1),
)
_PERIODS = {"day": "h/day", "week": "h/week", "month": "h/month", "ngày": "h/day"}
_PERIODS.update({"tuần": "h/week", "天": "h/day", "周": "h/week"})
_MODES = frozenset({"online", "onsite", "blended"})
_PACING = {"self": "asynchronous", "instructor": "synchronous"}


@dataclass(frozen=True, slots=True)
class Source:
    """A feed as published: its connector kind and its base URL (no userinfo, no query)."""

    kind: str
    base_url: str


def utc_text(moment: datetime | None) -> str | None:
    """``2026-01-05T00:00:00Z`` (seconds, UTC), as OAI-PMH's datestamps are."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def provenance(
    document: CourseDocument, source: Source | None, settings: PublishSettings
) -> list[dict[str, str | None]]:
    """The course's hops, nearest first, starting with the hop this node took: for a course
    harvested from its original source, that source (the feed, the course's key there, the
    connector's namespace); for one harvested from another node, the hops it came with."""
    if document.provenance:
        return [
            {
                "baseURL": public_url(hop.base_url),
                "identifier": hop.identifier,
                "datestamp": utc_text(hop.datestamp),
                # The first hop's harvest is the version this node holds (see the ingest).
                "harvestDate": utc_text(hop.harvested or document.updated_at),
                "metadataNamespace": hop.metadata_namespace,
            }
            for hop in document.provenance
        ]
    kind = source.kind if source is not None else "unknown"
    namespace = OAI_DC_NAMESPACE if kind == "oaipmh" else f"urn:mooc-exchange:source:{kind}"
    return [
        {
            "baseURL": source.base_url if source is not None else settings.base_url,
            "identifier": document.key,
            "datestamp": utc_text(document.modified or document.updated_at),
            "harvestDate": utc_text(document.updated_at),
            "metadataNamespace": namespace,
        }
    ]


def course_item(
    document: CourseDocument,
    settings: PublishSettings,
    institution_name: str,
    source: Source | None,
) -> dict[str, Any]:
    """The JSON:API resource object of ``document`` (``institution_name``: its publisher)."""
    identifier = published_identifier(settings.node_id, document.id)
    url = safe_url(document.url) or record_url(settings, identifier)
    publisher = {"type": "Organization", "name": institution_name}
    creator = document.organization or institution_name
    attributes: dict[str, Any] = {
        "name": document.title,
        "url": url,
        "learningResourceType": LEARNING_RESOURCE_TYPE,
        "publisher": publisher,
        "creator": [{"type": "Organization", "name": creator}],
        "license": [{"identifier": "proprietary", "url": url}],
    }
    attributes.update(_optional(document))
    attributes.update(_runs(document.runs))
    return {
        "id": identifier,
        "type": "Course",
        "attributes": attributes,
        "meta": {"provenance": provenance(document, source, settings)},
    }


def record_url(settings: PublishSettings, identifier: str) -> str:
    """This node's OAI-PMH ``GetRecord`` URL of a course (a course without a URL of its own)."""
    query = {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": identifier}
    return f"{settings.oai_url}?{urlencode(query)}"


def _optional(document: CourseDocument) -> dict[str, Any]:
    """The optional attributes the course has values for."""
    found: dict[str, Any] = {}
    if document.language:
        found["inLanguage"] = [document.language]
    description = sanitize_html(document.description)
    if description:
        found["description"] = description
    if document.subjects:
        found["keywords"] = list(dict.fromkeys(document.subjects))
    image = safe_url(document.image_url)
    if image:
        license = [{"identifier": "proprietary", "url": image}]
        found["image"] = {"type": "ImageObject", "contentUrl": image, "license": license}
    if document.effort and (workload := _workload(document.effort)):
        found["workload"] = workload
    if document.is_free is not None:
        found["access"] = ["free" if document.is_free else "paid"]
    mode = document.mode if document.mode in _MODES else None
    modes = [m for m in (mode, _PACING.get(document.pacing or "")) if m]
    if modes:
        found["courseMode"] = modes
    if document.credits is not None and document.credits >= 0:
        found["numberOfCredits"] = document.credits
    if document.modified is not None:
        found["dateModified"] = utc_text(document.modified)
    if document.expires is not None:
        found["expires"] = [utc_text(document.expires)]
    if document.certificate:
        found["educationalCredentialsAwarded"] = ["certificate"]
    offers = _offers(document)
    if offers:
        found["offer"] = offers
    return found


def _workload(effort: str) -> dict[str, Any] | None:
    """``{"timeValue": 4, "timeUnit": "h/week"}`` for a whole number of hours a day, week or
    month; None for a range, minutes or a course total (the schema has no place for them)."""
    for pattern, number, period in _WORKLOADS:
        if found := pattern.fullmatch(effort):
            return {"timeValue": int(found[number]), "timeUnit": _PERIODS[found[period]]}
    return None


def _runs(runs: tuple[RunDocument, ...]) -> dict[str, Any]:
    """``startDate``/``endDate`` (the i-th end is the i-th start's: only when every dated run
    has an end), and the application window when every run shares it."""
    pairs = list(dict.fromkeys((run.start, run.end) for run in runs if run.start is not None))
    found: dict[str, Any] = {}
    starts = list(dict.fromkeys(utc_text(start) for start, _ in pairs))
    if starts and len(starts) == len(pairs):
        found["startDate"] = starts
        ends = [utc_text(end) for _, end in pairs if end is not None]
        if len(ends) == len(pairs) and len(set(ends)) == len(ends):
            found["endDate"] = ends
    windows = {(run.enrollment_start, run.enrollment_end) for run in runs}
    if len(windows) == 1:
        ((opens, closes),) = windows
        if opens is not None:
            found["applicationStartDate"] = utc_text(opens)
        if closes is not None:
            found["applicationDeadline"] = utc_text(closes)
    return found


def _offers(document: CourseDocument) -> list[dict[str, Any]]:
    """The runs' distinct prices as schema ``Offer`` objects (a price paid once: one-time)."""
    category = "certificate" if document.is_free and document.certificate else "course"
    offers: dict[tuple[str, str, str], dict[str, Any]] = {}
    for run in document.runs:
        if run.price is None or not run.currency:
            continue
        try:
            price = Decimal(run.price)
        except InvalidOperation:
            continue
        if not price.is_finite() or price < 0:
            continue
        frequency = run.payment_frequency or "one-time"
        if frequency not in PAYMENT_FREQUENCIES:
            frequency = "other"
        offers.setdefault(
            (run.price, run.currency, frequency),
            {
                "price": float(price),
                "priceCurrency": run.currency,
                "paymentFrequency": frequency,
                "category": category,
            },
        )
    return list(offers.values())
