"""The offers section of a course page: one card per term, listing every run it offers.

Course documents give one offer per (run, audience) — and one per (course, audience) for a
course without runs — so a term that offers three runs arrives as three offers that differ in
nothing but their run. A student wants one card: the term, its application window and state,
the runs to choose from, seats, credits, equivalence and the rule's notes. Offers are grouped
by everything a card shows but the run, in the order they come; a course without runs gets a
card saying it has no scheduled run and its dates are set by the platform.

Times are in the audience's zone (``display.time_text``). The notes are the document's
``notes`` (already in the audience's language); when the rule gives them per language,
``notes_by_language`` rides along in a ``data-notes`` attribute (JSON, attribute-safe) and the
page's language switch shows the one of the interface (assets/strings.js).

The markup is ``course_main.html``'s and the macros' of ``offer_card.html``. The offers of one
rule share their term, window, seats and credits, so a card's head (term, window, state) and
tail (seats … notes) are rendered once per distinct value and remembered (``catalog.memo``), and
a catalog's thousands of offers cost a few renderings each; per course there is a dict of its
groups and the runs each card offers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from markupsafe import Markup

from catalog.memo import Memo
from catalog.present.site.display import number_text
from catalog.present.site.templating import SiteTemplates

_NOTHING: Mapping[str, Any] = {}


def _key(offer: Mapping[str, Any]) -> tuple[tuple[Any, ...], tuple[Any, ...], bool]:
    """What a card shows but its runs: the head's values (term, window, state), the tail's
    (seats … notes) and whether it is of the whole course — hashable unless the document is not.
    ``notes_by_language`` is a dict and ``valid_terms`` a list: as tuples (a rule's offers give
    them in the same order)."""
    credits = offer.get("credits") or _NOTHING
    equivalence = offer.get("equivalence") or _NOTHING
    terms = equivalence.get("valid_terms")
    notes = offer.get("notes_by_language")
    run = offer.get("run")
    head = (
        offer.get("term"),
        offer.get("application_start"),
        offer.get("application_end"),
        bool(offer.get("open_now")),
    )
    tail = (
        offer.get("seats"),
        credits.get("host"),
        credits.get("host_system"),
        credits.get("home"),
        credits.get("home_system"),
        credits.get("source"),
        equivalence.get("status"),
        equivalence.get("home_course"),
        tuple(terms) if type(terms) is list else terms,
        offer.get("notes"),
        tuple(notes.items()) if type(notes) is dict else notes,
    )
    return head, tail, bool(offer.get("whole_course", not run))


def group(offers: Sequence[Mapping[str, Any]]) -> list[tuple[Any, Sequence[Mapping[str, Any]]]]:
    """The offers a card each: ``[(key, offers)]`` in the order of each card's first offer;
    ``key`` is :func:`_key`'s, or None for an offer whose values cannot be compared (a hostile
    document: a card of its own)."""
    if len(offers) == 1:  # most courses: one offer, one card
        key: Any = _key(offers[0])
        try:
            hash(key)
        except TypeError:
            key = None
        return [(key, offers)]
    cards: dict[Any, list[Mapping[str, Any]]] = {}
    alone: list[tuple[Any, list[Mapping[str, Any]]]] = []
    order: list[Any] = []
    for offer in offers:
        key = _key(offer)
        try:
            found = cards.get(key)
        except TypeError:
            order.append(len(alone))
            alone.append((None, [offer]))
            continue
        if found is None:
            cards[key] = found = []
            order.append(key)
        found.append(offer)
    return [alone[k] if type(k) is int else (k, cards[k]) for k in order]


class OfferedRun(NamedTuple):
    """A run a card offers: its key and `` · Starts …`` (``""`` when it has no start)."""

    key: str
    starts: str


class Card(NamedTuple):
    """One offer card: its head and tail (markup), the runs it offers, and whether it is of
    the whole course (no scheduled run)."""

    head: str
    runs: list[OfferedRun]
    whole: bool
    tail: str


class OfferCards:
    """The offer cards of one site's course pages (its ``templates``: macros, language, zone)."""

    def __init__(self, templates: SiteTemplates) -> None:
        self.ui, self.time = templates.ui, templates.time
        self._head_macro = templates.offer_head
        self._tail_macro = templates.offer_tail
        self._starts_macro = templates.starts
        self._heads: Memo[Markup] = Memo()
        self._tails: Memo[Markup] = Memo()
        self._starts: Memo[Markup] = Memo()

    def cards(
        self, offers: Sequence[Mapping[str, Any]], runs: Sequence[Mapping[str, Any]]
    ) -> list[Card]:
        """The cards of a course's ``offers`` (its ``runs`` give the offered runs' starts)."""
        runs_by_key = {run.get("key"): run for run in runs}
        cards = []
        for key, members in group(offers):
            offer = members[0]
            if key is None:
                whole = bool(offer.get("whole_course", not offer.get("run")))
                head, tail = self._head(offer), self._tail(offer)
            else:
                head_key, tail_key, whole = key
                head = self._heads.get(head_key, self._head, offer)
                tail = self._tails.get(tail_key, self._tail, offer)
            cards.append(Card(head, self._offered(members, runs_by_key), whole, tail))
        return cards

    def _offered(
        self, offers: Sequence[Mapping[str, Any]], runs: Mapping[Any, Mapping[str, Any]]
    ) -> list[OfferedRun]:
        """The runs a card offers, in the course's run order."""
        if len(offers) == 1:
            key = offers[0].get("run")
            keys = [str(key)] if key else []
        else:
            keys = list(dict.fromkeys([str(o["run"]) for o in offers if o.get("run")]))
            if len(keys) > 1:
                position = {key: at for at, key in enumerate(runs)}
                keys.sort(key=lambda k: position.get(k, len(position)))
        return [OfferedRun(key, self._start(key, runs)) for key in keys]

    def _start(self, key: str, runs: Mapping[Any, Mapping[str, Any]]) -> str:
        """`` · Starts 2026-02-23 08:00 UTC+07:00`` for an offered run, or ``""``."""
        start = self.time((runs.get(key) or _NOTHING).get("start"))
        return self._starts.get(start, self._starts_macro, start) if start else ""

    def _head(self, offer: Mapping[str, Any]) -> Markup:
        return self._head_macro(
            offer.get("term"),
            offer.get("application_start"),
            offer.get("application_end"),
            bool(offer.get("open_now")),
        )

    def _tail(self, offer: Mapping[str, Any]) -> Markup:
        credits = offer.get("credits") or _NOTHING
        equivalence = offer.get("equivalence") or _NOTHING
        status = equivalence.get("status") or ""
        by_language = offer.get("notes_by_language")
        given = (
            {str(k): v for k, v in by_language.items() if isinstance(v, str) and v}
            if isinstance(by_language, dict)
            else {}
        )
        return self._tail_macro(
            number_text(offer.get("seats")),
            {
                "host": number_text(credits.get("host")),
                "home": number_text(credits.get("home")),
                "host_system": credits.get("host_system") or "",
                "home_system": credits.get("home_system") or "",
                "source": credits.get("source") or "",
            },
            {
                "status": status,
                "home_course": (equivalence.get("home_course") or "") if status else "",
                "valid_terms": [str(t) for t in equivalence.get("valid_terms") or []]
                if status
                else [],
            },
            offer.get("notes") or given.get(self.ui) or next(iter(given.values()), ""),
            given,
        )
