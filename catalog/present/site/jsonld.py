"""A course page's schema.org ``Course`` JSON-LD: one ``CourseInstance`` per run, Google's
course-info shape, as JSON safe inside the page's ``<script>`` (``safety.script_safe``).

Written piece by piece into the same text ``safety.script_json`` gives for the whole object:
the provider and each offer, shared by many courses, are serialised once per distinct value
(:class:`JsonLd` keeps them, per site, in bounded memos). Members without a value are left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from catalog.memo import Memo
from catalog.present.site.safety import json_text, plain_text, safe_url, script_safe

JSONLD_DESCRIPTION_MAX = 5000

#: Plain course fields of the JSON-LD, in order: (property, document field, is a URL to check).
_FIELDS = (
    ("courseCode", "key", False),
    ("identifier", "id", False),
    ("inLanguage", "language", False),
    ("url", "url", True),
    ("image", "image_url", True),
    ("educationalLevel", "level", False),
)
_NO_RUN = ',"hasCourseInstance":[{"@type":"CourseInstance","courseMode":"online"}]}'


class JsonLd:
    """The JSON-LD of one site's course pages: ``render(course, …)`` gives a page's."""

    def __init__(self) -> None:
        self._providers: Memo[str] = Memo()
        self._offers: Memo[str] = Memo()

    def render(
        self,
        course: Mapping[str, Any],
        institution_name: str | None,
        description: str | None = None,
    ) -> str:
        """The JSON-LD of ``course``; ``institution_name`` names its provider (else its
        institution id). ``description`` is the description's plain text when the caller has
        it already (``safety.sanitize_description``); else it is taken from the document."""
        if description is None:
            description = plain_text(course.get("description")) or plain_text(
                course.get("short_description")
            )
        get = course.get
        parts = ['{"@context":"https://schema.org","@type":"Course"']
        append = parts.append
        title = str(get("title") or get("key") or "")
        if title:
            append(f',"name":{json_text(title)}')
        if description:
            append(f',"description":{json_text(description[:JSONLD_DESCRIPTION_MAX])}')
        for name, field, check in _FIELDS:
            value = safe_url(get(field)) if check else get(field)
            if value not in (None, ""):
                append(f',"{name}":{json_text(value)}')
        is_free = get("is_free")
        if is_free not in (None, ""):
            append(f',"isAccessibleForFree":{_boolean(is_free)}')
        organization = get("organization")
        provider = (
            institution_name or get("institution"),
            str(organization) if organization else "",
        )
        append(self._providers.get(provider, _provider, provider))
        subjects = [(s.get("labels") or {}).get("en") for s in get("subjects_isced") or ()] or list(
            get("subjects") or ()
        )
        if any(subjects):
            append(',"about":[' + ",".join([json_text(str(s)) for s in subjects if s]) + "]")
        offers = get("offers")
        if offers:
            append(
                ',"offers":[' + ",".join([self._offer(offer, is_free) for offer in offers]) + "]"
            )
        runs = get("runs")
        if runs:
            append(',"hasCourseInstance":[' + ",".join([_instance(run) for run in runs]) + "]}")
        else:
            append(_NO_RUN)
        return script_safe("".join(parts))

    def _offer(self, offer: Mapping[str, Any], is_free: Any) -> str:
        """An offer's JSON, once per distinct (term, free, window, seats)."""
        key = (
            offer.get("term"),
            is_free,
            offer.get("application_start"),
            offer.get("application_end"),
            offer.get("seats"),
        )
        return self._offers.get(key, _offer, key)


def _boolean(value: Any) -> str:
    """A JSON boolean as itself; any other value as the JSON the document gives."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return json_text(value)


def _instance(run: Mapping[str, Any]) -> str:
    key, start, end = run.get("key"), run.get("start"), run.get("end")
    return "".join(
        (
            '{"@type":"CourseInstance","courseMode":"online"',
            "" if key is None else f',"identifier":{json_text(key)}',
            "" if start is None else f',"startDate":{json_text(start)}',
            "" if end is None else f',"endDate":{json_text(end)}',
            "}",
        )
    )


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
