"""What one course page shows — its facts, offers and runs — written by :class:`CoursePage`.

A page is the frame ``templates/course.html`` gives (rendered once per site, with markers where
the course goes: its title, its JSON-LD and the ``main`` block) around ``course_main.html``,
rendered for the course. A site has a page per course, 100,000 of them for a large catalog, so
what is the same on every page is done once per site: the frame, the interface strings (escaped
once, ``label``), the offer cards' parts many courses share (catalog/present/site/offer_cards.py).
What the template gets for a course is its values, decided here: the language code, the subject
codes, each run's times in the audience's time zone with its offset (``display.time_text``), so
a student in Hanoi reads a Tsinghua run's start as Hanoi time, ``UTC+07:00``. The facts a
source states — how the course is taught, its credits, until when it is available, when the
source last changed it — and each run's price, availability and own page are shown when given;
a price always with its currency and how often it is paid (``9.99 EUR a month``: the span of
``i18n_facts.PRICE_KEYS``, made once per distinct price).

Every text is escaped by the template's autoescape; the description is nh3's output, and every
URL has passed ``safe_url``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from markupsafe import Markup, escape

from catalog.memo import Memo, cached
from catalog.present.course_document import CourseDocument, OfferDocument, RunDocument
from catalog.present.site.display import language_code, number_text
from catalog.present.site.i18n_facts import PRICE_KEYS
from catalog.present.site.offer_cards import OfferCards
from catalog.present.site.safety import safe_url
from catalog.present.site.templating import SiteTemplates

#: Where the course goes in the frame ``course.html`` renders (see :class:`CoursePage`).
SLOTS = ("title", "jsonld", "main")


def slot_marker(name: str) -> str:
    """The marker ``course.html``'s ``fill(name)`` puts where a course's part goes."""
    return f"\x00moocx-slot:{name}\x00"


class Run(NamedTuple):
    """A row of the runs table: times as the audience reads them (``""``: not given)."""

    key: Any
    start: str
    end: str
    enrollment_start: str
    enrollment_end: str
    pacing: Any
    offered: bool
    #: The run's own page (``safe_url``), its availability as the source says it, its price
    #: (markup: amount, currency, how often) or ``""``; ``free`` when it has no price but is free.
    url: str
    availability: str
    price: Markup | str
    free: bool


class CoursePage:
    """The course pages of one site: ``render(course, …)`` gives a page's HTML (UTF-8).

    ``frame`` is ``course.html`` rendered with :func:`slot_marker` markers for the title, the
    JSON-LD and the ``main`` block; ``templates`` are the site's (its strings, language and time
    zone).
    """

    def __init__(self, frame: str, templates: SiteTemplates) -> None:
        parts: list[str] = []
        rest = frame
        for name in SLOTS:
            before, found, rest = rest.partition(slot_marker(name))
            if not found:
                raise ValueError(f"course.html has no {name} slot")
            parts.append(before)
        parts.append(rest)
        self._frame = [part.encode("utf-8") for part in parts]  # the same for every page
        self._main = templates.course_main
        self._ui = templates.ui
        self.time = templates.time
        self._language = cached(language_code)
        self.cards = OfferCards(templates)
        self._priced = vars(templates.env.get_template("offer_card.html").module)["priced"]
        self._prices: Memo[Markup] = Memo()

    def render(
        self,
        course: CourseDocument,
        *,
        jsonld: str,
        short_description: str,
        description_html: str,
    ) -> bytes:
        """The whole page of ``course``, UTF-8; ``jsonld`` is script-safe JSON
        (``JsonLd.render``), the short description plain text and the description nh3's
        output."""
        frame = self._frame
        title = escape(course.title or course.key)
        main = self._main
        values = self.values(course, title, short_description, description_html)
        # the values as they are, without the environment's globals (none is used): the context
        # is made cheaply for every course
        html = "".join(main.root_render_func(main.new_context(values, shared=True)))
        return b"".join(
            (
                frame[0],
                title.encode("utf-8"),
                frame[1],
                jsonld.encode("utf-8"),
                frame[2],
                html.encode("utf-8"),
                frame[3],
            )
        )

    def values(
        self, course: CourseDocument, title: str, short_description: str, description_html: str
    ) -> dict[str, Any]:
        """What ``course_main.html`` shows of ``course`` (``title`` escaped already)."""
        offers, runs = course.offers, course.runs
        rows = self._runs(runs, offers) if runs else ()
        return {
            "ui": self._ui,
            "title": title,
            "lang": self._language(course.language),
            "withdrawn": course.status == "withdrawn",
            "is_free": course.is_free,
            "certificate": course.certificate,
            "short_description": short_description,
            "url": safe_url(course.url),
            "institution": course.institution or "",
            "organization": course.organization or "",
            "language": course.language or "",
            "subjects": [s.code for s in course.subjects_isced if s.code],
            "level": course.level or "",
            "pacing": course.pacing or "",
            "effort": course.effort or "",
            "mode": course.mode or "",
            "credits": number_text(course.credits),
            "expires": self.time(course.expires),
            "modified": self.time(course.modified),
            "key": course.key,
            "cards": self.cards.cards(offers, runs) if offers else (),
            "description_html": description_html,
            "runs": rows,
            # the columns a source gives for some run (a price column only when one has a price:
            # "free" alone is the course's badge)
            "run_availability": any(row.availability for row in rows),
            "run_prices": any(row.price for row in rows),
        }

    def _runs(self, runs: Sequence[RunDocument], offers: Sequence[OfferDocument]) -> list[Run]:
        offered = {offer.run for offer in offers}
        time, prices, price = self.time, self._prices, self._price
        return [
            Run(
                run.key,
                time(run.start),
                time(run.end),
                time(run.enrollment_start),
                time(run.enrollment_end),
                run.pacing,
                run.key in offered,
                (safe_url(run.url) or "") if run.url is not None else "",
                run.availability or "",
                ""
                if run.price is None
                else prices.get((run.price, run.currency, run.payment_frequency), price, run),
                run.price is None and run.is_free is True,
            )
            for run in runs
        ]

    def _price(self, run: RunDocument) -> Markup:
        """``9.99 EUR a month`` (a translatable span) or ``49.00 USD`` (no frequency said)."""
        amount = f"{run.price} {run.currency}" if run.currency else str(run.price)
        frequency = run.payment_frequency
        key = PRICE_KEYS.get(frequency) if frequency is not None else None
        if key is not None:
            return self._priced(key, amount)
        # a frequency the catalog has no words for (it validates them: a newer MOOChub's)
        return escape(f"{amount} ({frequency})" if frequency else amount)
