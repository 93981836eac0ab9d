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
from catalog.present.course_document import NO_CREDITS, OfferDocument, RunDocument
from catalog.present.site.display import number_text
from catalog.present.site.templating import SiteTemplates

CardKey = tuple[tuple[Any, ...], tuple[Any, ...], bool]


def _key(offer: OfferDocument) -> CardKey:
    """What a card shows but its runs: the head's values (term, window, state), the tail's
    (seats … notes) and whether it is of the whole course. Times are keyed with their zone
    (equal instants in two zones are shown apart)."""
    credits, equivalence = offer.credits, offer.equivalence
    notes = offer.notes_by_language
    start, end = offer.application_start, offer.application_end
    head = (
        offer.term,
        start,
        start.tzinfo if start is not None else None,
        end,
        end.tzinfo if end is not None else None,
        offer.open_now,
    )
    tail = (
        offer.seats,
        credits,
        equivalence,
        offer.notes,
        tuple(notes.items()) if notes else None,
    )
    return head, tail, offer.whole_course


def group(offers: Sequence[OfferDocument]) -> list[tuple[CardKey, list[OfferDocument]]]:
    """The offers a card each: ``[(key, offers)]`` in the order of each card's first offer."""
    if len(offers) == 1:  # most courses: one offer, one card
        return [(_key(offers[0]), [offers[0]])]
    cards: dict[CardKey, list[OfferDocument]] = {}
    for offer in offers:
        cards.setdefault(_key(offer), []).append(offer)
    return list(cards.items())


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

    def cards(self, offers: Sequence[OfferDocument], runs: Sequence[RunDocument]) -> list[Card]:
        """The cards of a course's ``offers`` (its ``runs`` give the offered runs' starts)."""
        runs_by_key = {run.key: run for run in runs}
        cards = []
        for (head_key, tail_key, whole), members in group(offers):
            offer = members[0]
            head = self._heads.get(head_key, self._head, offer)
            tail = self._tails.get(tail_key, self._tail, offer)
            cards.append(Card(head, self._offered(members, runs_by_key), whole, tail))
        return cards

    def _offered(
        self, offers: Sequence[OfferDocument], runs: Mapping[str, RunDocument]
    ) -> list[OfferedRun]:
        """The runs a card offers, in the course's run order."""
        keys = list(dict.fromkeys([o.run for o in offers if o.run]))
        if len(keys) > 1:
            position = {key: at for at, key in enumerate(runs)}
            keys.sort(key=lambda k: position.get(k, len(position)))
        return [OfferedRun(key, self._start(key, runs)) for key in keys]

    def _start(self, key: str, runs: Mapping[str, RunDocument]) -> str:
        """`` · Starts 2026-02-23 08:00 UTC+07:00`` for an offered run, or ``""``."""
        run = runs.get(key)
        start = self.time(run.start) if run is not None else ""
        return self._starts.get(start, self._starts_macro, start) if start else ""

    def _head(self, offer: OfferDocument) -> Markup:
        return self._head_macro(
            offer.term, offer.application_start, offer.application_end, offer.open_now
        )

    def _tail(self, offer: OfferDocument) -> Markup:
        credits = offer.credits or NO_CREDITS
        equivalence = offer.equivalence
        given = {
            k: v for k, v in (offer.notes_by_language or {}).items() if isinstance(v, str) and v
        }
        return self._tail_macro(
            number_text(offer.seats),
            {
                "host": number_text(credits.host),
                "home": number_text(credits.home),
                "host_system": credits.host_system or "",
                "home_system": credits.home_system or "",
                "source": credits.source or "",
            },
            {
                "status": equivalence.status if equivalence else "",
                "home_course": (equivalence.home_course or "") if equivalence else "",
                "valid_terms": list(equivalence.valid_terms) if equivalence else [],
            },
            offer.notes or given.get(self.ui) or next(iter(given.values()), ""),
            given,
        )
