"""The offers section of a course page: one card per term, listing every run it offers.

Course documents give one offer per (run, audience) — and one per (course, audience) for a
course without runs — so a term that offers three runs arrives as three offers that differ in
nothing but their run. A student wants one card: the term, its application window and state,
the runs to choose from, seats, credits, equivalence and the rule's notes. Offers are grouped
by everything a card shows but the run, in the order they come; a course without runs gets a
card saying it has no scheduled run and its dates are set by the platform.

Times are in the audience's zone (``markup.time_text``). The notes are the document's
``notes`` (already in the audience's language); when the rule gives them per language,
``notes_by_language`` rides along in a ``data-notes`` attribute (JSON, attribute-safe) and the
page's language switch shows the one of the interface (assets/app.js).

**Speed.** The offers of one rule share their term, window, seats and credits, so a card's head
(term, window, state) and tail (seats … notes) are kept per distinct value in bounded caches and
a catalog's thousands of offers cost a few renderings each; per course there is a dict of its
groups and the run lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jinja2.utils import htmlsafe_json_dumps

from catalog.site.markup import CACHE_MAX, epoch, escape_text, number_text

_e = escape_text
_NOTHING: Mapping[str, Any] = {}
#: The keys of the definition terms an offer card shows.
KEYS = (
    "application_window", "application_state", "offered_run", "offered_runs", "seats",
    "credits_host", "credits_home", "equivalence", "notes",
)  # fmt: skip


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


class OfferCards:
    """The offer cards of one site's course pages.

    ``t(key)`` is the string in the site's language, ``span(key, fallback)`` a translatable
    span (``CoursePage.span``), ``time`` the site's time formatter (``markup.time_text``) and
    ``ui`` the language pages open in.
    """

    def __init__(
        self,
        t: Callable[[str], str],
        span: Callable[[str, Any], str],
        time: Callable[[Any], str],
        ui: str,
    ) -> None:
        self.t, self.span, self.time, self.ui = t, span, time, ui
        self._dt = {key: f'<dt data-i18n="{key}">{_e(t(key))}</dt>' for key in KEYS}
        self._heads: dict[Any, str] = {}
        self._tails: dict[Any, str] = {}
        self._starts: dict[str, str] = {}
        self._section = (
            '  <section aria-labelledby="offers-h">\n'
            f'    <h2 id="offers-h" data-i18n="offers">{_e(t("offers"))}</h2>\n'
        )
        self._no_term = f'<span data-i18n="offers">{_e(t("offers"))}</span>'
        self._not_set = f'<span data-i18n="not_set">{_e(t("not_set"))}</span>'
        self._state = {
            state: f'" data-i18n="{state}">{_e(t(state))}</span></dd>\n'
            for state in ("open_now", "closed")
        }
        self._home_course = f' · <span data-i18n="home_course">{_e(t("home_course"))}</span>: '
        self._valid_terms = f' · <span data-i18n="valid_terms">{_e(t("valid_terms"))}</span>: '
        self._whole = (
            f'{self._dt["offered_run"]}<dd class="whole-course"><span data-i18n="whole_course'
            f'">{_e(t("whole_course"))}</span></dd>\n'
        )
        self._starts_text = _e(t("starts"))

    def render(
        self, out: list[str], offers: Sequence[Mapping[str, Any]], runs: Sequence[Mapping[str, Any]]
    ) -> None:
        """Append the offers section of a course (its ``offers`` and ``runs``) to ``out``."""
        out.append(self._section)
        runs_by_key = {run.get("key"): run for run in runs}
        for key, members in group(offers):
            offer = members[0]
            if key is None:
                whole = bool(offer.get("whole_course", not offer.get("run")))
                out += (self._head(offer), self._runs(members, runs_by_key, whole))
                out.append(self._tail(offer))
                continue
            head, tail, whole = key
            out.append(self._part(self._heads, head, self._head, offer))
            out.append(self._runs(members, runs_by_key, whole))
            out.append(self._part(self._tails, tail, self._tail, offer))
        out.append("  </section>\n")

    @staticmethod
    def _part(
        memo: dict[Any, str],
        key: tuple[Any, ...],
        render: Callable[[Mapping[str, Any]], str],
        offer: Mapping[str, Any],
    ) -> str:
        found = memo.get(key)
        if found is None:
            if len(memo) >= CACHE_MAX:
                memo.clear()
            found = memo[key] = render(offer)
        return found

    def _runs(
        self,
        offers: Sequence[Mapping[str, Any]],
        runs: Mapping[Any, Mapping[str, Any]],
        whole: bool,
    ) -> str:
        """The runs a card offers, in the course's run order; or "no scheduled run"."""
        if len(offers) == 1:
            key = offers[0].get("run")
            if not key:
                return self._whole if whole else ""
            return f"{self._dt['offered_run']}<dd>{self._run(str(key), runs)}</dd>"
        keys = list(dict.fromkeys([str(o["run"]) for o in offers if o.get("run")]))
        if not keys:
            return self._whole if whole else ""
        if len(keys) == 1:
            return f"{self._dt['offered_run']}<dd>{self._run(keys[0], runs)}</dd>"
        position = {key: at for at, key in enumerate(runs)}
        keys.sort(key=lambda k: position.get(k, len(position)))
        items = "".join([f"<li>{self._run(key, runs)}</li>" for key in keys])
        return f'{self._dt["offered_runs"]}<dd><ul class="offered-runs">{items}</ul></dd>'

    def _run(self, key: str, runs: Mapping[Any, Mapping[str, Any]]) -> str:
        """``<code>key</code> · Starts 2026-02-23 08:00 UTC+07:00``."""
        start = self.time((runs.get(key) or _NOTHING).get("start"))
        return f"<code>{_e(key)}</code>{self._start(start) if start else ''}"

    def _start(self, start: str) -> str:
        """`` · <span data-i18n="starts" …>`` for an offered run's start."""
        found = self._starts.get(start)
        if found is None:
            args = htmlsafe_json_dumps({"date": start}, sort_keys=True)
            text = self._starts_text.replace("{date}", _e(start))
            found = f" · <span data-i18n=\"starts\" data-i18n-args='{args}'>{text}</span>"
            if len(self._starts) >= CACHE_MAX:
                self._starts.clear()
            self._starts[start] = found
        return found

    def _head(self, offer: Mapping[str, Any]) -> str:
        dt, time = self._dt, self.time
        term = offer.get("term") or ""
        app_start = time(offer.get("application_start"))
        app_end = time(offer.get("application_end"))
        if app_start or app_end:
            window = f"<time>{app_start or '…'}</time> – <time>{app_end or '…'}</time>"
        else:
            window = self._not_set
        open_now = bool(offer.get("open_now"))
        state = "open_now" if open_now else "closed"
        start_epoch = epoch(offer.get("application_start"))
        end_epoch = epoch(offer.get("application_end"))
        return (
            '    <section class="offer">\n'
            f"      <h3>{_e(term) if term else self._no_term}</h3>\n"
            '      <dl class="facts">\n'
            f"        {dt['application_window']}\n"
            f"        <dd>{window}</dd>\n"
            f"        {dt['application_state']}\n"
            f'        <dd><span class="badge state-{state}" data-open-state data-start="'
            f'{"" if start_epoch is None else start_epoch}" data-end="'
            f'{"" if end_epoch is None else end_epoch}" data-open="{1 if open_now else 0}'
            f"{self._state[state]}"
        )

    def _tail(self, offer: Mapping[str, Any]) -> str:
        span, dt = self.span, self._dt
        seats = number_text(offer.get("seats"))
        out = [f"        {dt['seats']}<dd>{_e(seats) if seats else self._not_set}</dd>\n"]
        credits = offer.get("credits") or _NOTHING
        host_credits = number_text(credits.get("host"))
        home_credits = number_text(credits.get("home"))
        if host_credits or home_credits:
            host_system = credits.get("host_system") or ""
            home_system = credits.get("home_system") or ""
            source = credits.get("source") or ""
            basis = ""
            if source:
                basis = f' <span class="muted">({span(f"src.{source}", source)})</span>'
            out.append(
                f"        {dt['credits_host']}<dd>"
                f"{_e(host_credits) if host_credits else self._not_set} "
                f"{span(f'credit.{host_system}', host_system)}</dd>\n"
                f"        {dt['credits_home']}<dd>"
                f"{_e(home_credits) if home_credits else self._not_set} "
                f"{span(f'credit.{home_system}', home_system)}{basis}</dd>\n"
            )
        equivalence = offer.get("equivalence") or _NOTHING
        status = equivalence.get("status") or ""
        if status:
            home_course = equivalence.get("home_course") or ""
            terms = [str(t) for t in equivalence.get("valid_terms") or []]
            out.append(
                f"        {dt['equivalence']}\n"
                f'        <dd><span class="badge eq-{_e(status)}">{span(f"eq.{status}", status)}'
                "</span>"
                + (f"{self._home_course}<code>{_e(home_course)}</code>" if home_course else "")
                + (self._valid_terms + ", ".join(map(_e, terms)) if terms else "")
                + "</dd>\n"
            )
        out.append(self._notes(offer))
        out.append("      </dl>\n    </section>\n")
        return "".join(out)

    def _notes(self, offer: Mapping[str, Any]) -> str:
        """The rule's notes in the audience's language, with every language it gives them in
        for the page's language switch."""
        by_language = offer.get("notes_by_language")
        given = (
            {str(k): v for k, v in by_language.items() if isinstance(v, str) and v}
            if isinstance(by_language, dict)
            else {}
        )
        notes = offer.get("notes") or given.get(self.ui) or next(iter(given.values()), "")
        if not notes:
            return ""
        if not given:
            return f'{self._dt["notes"]}<dd class="notes">{_e(notes)}</dd>'
        # attribute-safe: htmlsafe_json_dumps escapes < > & ' (the attribute is single-quoted)
        data = htmlsafe_json_dumps(given, sort_keys=True)
        return f"{self._dt['notes']}<dd class=\"notes\" data-notes='{data}'>{_e(notes)}</dd>"
