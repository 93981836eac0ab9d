"""A course page's schema.org ``Course`` JSON-LD: one ``CourseInstance`` per run, Google's
course-info shape, as JSON safe inside the page's ``<script>`` (``safety.script_safe``).

Written piece by piece into the same text ``safety.script_json`` gives for the whole object:
the provider and each offer, shared by many courses, are serialised once per distinct value
(:class:`JsonLd` keeps them, per site, in bounded memos). Members without a value are left out.

Each instance's ``courseMode`` is the course's mode (``online`` when the source does not say,
as every MOOC platform's courses are); an instance carries the run's own page (``url``) and its
price as an ``Offer`` (``price``, ``priceCurrency``; a price paid more than once has a
``UnitPriceSpecification`` whose ``unitText`` says how often), when the source gives them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from catalog.memo import Memo
from catalog.present.course_document import CourseDocument, OfferDocument, RunDocument
from catalog.present.document_json import TimeText
from catalog.present.site.safety import json_text, plain_text, safe_url, script_safe

JSONLD_DESCRIPTION_MAX = 5000

#: The start of a course instance by the course's mode (records.COURSE_MODES); a course whose
#: source does not say is online, as every MOOC platform's are.
_INSTANCE = {
    mode: f'{{"@type":"CourseInstance","courseMode":"{mode}"'
    for mode in ("online", "blended", "onsite")
}


class JsonLd:
    """The JSON-LD of one site's course pages: ``render(course, …)`` gives a page's."""

    def __init__(self) -> None:
        self._providers: Memo[str] = Memo()
        self._offers: Memo[str] = Memo()
        self._prices: Memo[str] = Memo()
        self._time = TimeText()

    def render(
        self,
        course: CourseDocument,
        institution_name: str | None,
        description: str | None = None,
    ) -> str:
        """The JSON-LD of ``course``; ``institution_name`` names its provider (else its
        institution id). ``description`` is the description's plain text when the caller has
        it already (``safety.sanitize_description``); else it is taken from the document."""
        if description is None:
            description = plain_text(course.description) or plain_text(course.short_description)
        parts = ['{"@context":"https://schema.org","@type":"Course"']
        append = parts.append
        title = course.title or course.key
        if title:
            append(f',"name":{json_text(title)}')
        if description:
            append(f',"description":{json_text(description[:JSONLD_DESCRIPTION_MAX])}')
        for name, value in _fields(course):
            if value not in (None, ""):
                append(f',"{name}":{json_text(value)}')
        is_free = course.is_free
        if is_free is not None:
            append(f',"isAccessibleForFree":{"true" if is_free else "false"}')
        organization = course.organization
        provider = (institution_name or course.institution, organization or "")
        append(self._providers.get(provider, _provider, provider))
        subjects = [s.labels.get("en") for s in course.subjects_isced] or list(course.subjects)
        if any(subjects):
            append(',"about":[' + ",".join([json_text(str(s)) for s in subjects if s]) + "]")
        if course.offers:
            offers = [self._offer(offer, is_free) for offer in course.offers]
            append(',"offers":[' + ",".join(offers) + "]")
        head = _INSTANCE.get(course.mode or "online") or _INSTANCE["online"]
        if course.runs:
            instances = [self._instance(head, run) for run in course.runs]
            append(',"hasCourseInstance":[' + ",".join(instances) + "]}")
        else:
            append(f',"hasCourseInstance":[{head}}}]}}')
        return script_safe("".join(parts))

    def _offer(self, offer: OfferDocument, is_free: bool | None) -> str:
        """An offer's JSON, once per distinct (term, free, window, seats)."""
        time = self._time
        key = (
            offer.term,
            is_free,
            time(offer.application_start),
            time(offer.application_end),
            offer.seats,
        )
        return self._offers.get(key, _offer, key)

    def _instance(self, head: str, run: RunDocument) -> str:
        """A run as a ``CourseInstance``: its dates, its own page and its price (an ``Offer``,
        once per distinct price)."""
        text = _instance(head, run.key, self._time(run.start), self._time(run.end))
        url = safe_url(run.url) if run.url is not None else None
        price = run.price
        if url is None and price is None:
            return text + "}"
        link = "" if url is None else f',"url":{json_text(url)}'
        if price is None:
            return f"{text}{link}}}"
        key = (price, run.currency, run.payment_frequency)
        return f"{text}{link}{self._prices.get(key, _price, key)}}}"


def _fields(course: CourseDocument) -> tuple[tuple[str, str | None], ...]:
    """The plain course members of the JSON-LD, in order (URLs only when safe)."""
    return (
        ("courseCode", course.key),
        ("identifier", course.id),
        ("inLanguage", course.language),
        ("url", safe_url(course.url)),
        ("image", safe_url(course.image_url)),
        ("educationalLevel", course.level),
    )


def _instance(head: str, key: str | None, start: str | None, end: str | None) -> str:
    """The instance's members up to its dates (unclosed: its link and price may follow)."""
    return "".join(
        (
            head,
            "" if key is None else f',"identifier":{json_text(key)}',
            "" if start is None else f',"startDate":{json_text(start)}',
            "" if end is None else f',"endDate":{json_text(end)}',
        )
    )


def _price(key: Sequence[Any]) -> str:
    """A run's price as the instance's ``Offer``; paid more than once, its
    ``UnitPriceSpecification`` says how often (``unitText``, MOOChub's word: ``monthly``)."""
    price, currency, frequency = key
    amount = f'"price":{json_text(price)}'
    if currency is not None:
        amount += f',"priceCurrency":{json_text(currency)}'
    offer = f',"offers":{{"@type":"Offer",{amount}'
    if frequency is None or frequency == "one-time":
        return offer + "}"
    unit = f'{{"@type":"UnitPriceSpecification",{amount},"unitText":{json_text(frequency)}}}'
    return f'{offer},"priceSpecification":{unit}}}'


def _provider(key: Sequence[Any]) -> str:
    name, organization = key
    department = (
        f',"department":{{"@type":"Organization","name":{json_text(organization)}}}'
        if organization
        else ""
    )
    return f',"provider":{{"@type":"CollegeOrUniversity","name":{json_text(name)}{department}}}'


def _offer(key: Sequence[Any]) -> str:
    term, is_free, start, end, seats = key
    item = ['{"@type":"Offer"']
    if term is not None:
        item.append(f',"name":{json_text(term)}')
    if is_free is not None:
        item.append(',"category":"Free"' if is_free else ',"category":"Paid"')
    if start is not None:
        item.append(f',"availabilityStarts":{json_text(start)}')
    if end is not None:
        item.append(f',"availabilityEnds":{json_text(end)}')
    if seats is not None:
        item.append(f',"inventoryLevel":{{"@type":"QuantitativeValue","value":{json_text(seats)}}}')
    return "".join(item) + "}"
