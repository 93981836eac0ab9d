"""What one course page shows — its facts, offers and runs — written by :class:`CoursePage`,
and its schema.org ``Course`` JSON-LD.

Text is escaped here exactly as Jinja2's autoescape does it (``markupsafe.escape``); the
description is nh3's output, and every URL has passed ``safe_url``. Every time — application
windows, run starts and ends, enrolment — is shown in the audience's time zone with its offset
(``markup.time_text``), so a student in Hanoi reads a Tsinghua deadline and a run's start as
Hanoi time, ``UTC+07:00``. The offers are one card per term (catalog/site/offer_cards.py).

**Why not a template per course.** A site has a page per course, 100,000 of them for a large
catalog, and Jinja2 spent about a millisecond on each (every ``{{ }}`` a call, an escape and a
lookup), ten times the cost of reading the course. The page is therefore a fixed frame, rendered
once per site by Jinja2 from ``templates/course.html`` (which extends ``base.html``, shared with
the catalog page) with markers where the course goes, and the course's own part — the ``main``
block — written here with the interface strings of the site's language escaped once. The
markup below is the ``main`` block ``course.html`` used to hold, whitespace and all (Jinja2's
``trim_blocks`` / ``lstrip_blocks`` applied); the tests check the pages against the strings of
every language and against hostile text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import tzinfo
from typing import Any

from catalog.site.markup import CACHE_MAX, cached, escape_text, language_code, time_text
from catalog.site.offer_cards import OfferCards
from catalog.site.safety import json_text, plain_text, safe_url, script_safe

JSONLD_DESCRIPTION_MAX = 5000

#: Where the course goes in the frame ``course.html`` renders (see :class:`CoursePage`).
SLOTS = ("title", "jsonld", "main")


def slot_marker(name: str) -> str:
    """The marker ``course.html``'s ``fill(name)`` puts where a course's part goes."""
    return f"\x00moocx-slot:{name}\x00"


@cached
def _lang_attribute(lang: str) -> str:
    return f' lang="{_e(lang)}"' if lang else ""


_e = escape_text


class CoursePage:
    """The course pages of one site: ``render(course, …)`` gives a page's HTML (UTF-8).

    ``frame`` is ``course.html`` rendered with :func:`slot_marker` markers for the title, the
    JSON-LD and the ``main`` block. ``strings`` are the site's interface strings (all languages, as
    ``data/i18n.js`` gets them) and ``ui`` the language pages open in; the build may add
    subject names to ``strings`` as it meets them, and they are looked up when needed.
    ``zone`` is the audience's time zone (None: each time in the offset it comes with).
    """

    def __init__(
        self,
        frame: str,
        strings: Mapping[str, Mapping[str, str]],
        ui: str,
        zone: tzinfo | None = None,
    ) -> None:
        parts: list[str] = []
        rest = frame
        for name in SLOTS:
            before, found, rest = rest.partition(slot_marker(name))
            if not found:
                raise ValueError(f"course.html has no {name} slot")
            parts.append(before)
        parts.append(rest)
        self._frame = [part.encode("utf-8") for part in parts]  # the same for every page
        self.table, self.english = strings[ui], strings["en"]
        self._spans: dict[str, str] = {}
        self.time = time_text(zone)
        t = self.t
        self.cards = OfferCards(t, self.span, self.time, ui)
        self._back = (
            f'<p class="back"><a href="../index.html#ui={_e(ui)}" data-back data-i18n="back">'
            f'{_e(t("back"))}</a></p>\n<article class="course">\n'
        )
        self._withdrawn = (
            f'  <p class="notice withdrawn"><strong data-i18n="withdrawn">{_e(t("withdrawn"))}'
            f'</strong> — <span data-i18n="withdrawn_note">{_e(t("withdrawn_note"))}</span></p>\n'
        )
        self._badge_gone = f'<li class="badge gone" data-i18n="withdrawn">{_e(t("withdrawn"))}</li>'
        self._badge_free = f'<li class="badge free" data-i18n="free">{_e(t("free"))}</li>'
        self._badge_cert = (
            f'<li class="badge cert" data-i18n="certificate">{_e(t("certificate"))}</li>'
        )
        self._platform = (
            f'" rel="noopener noreferrer" data-i18n="link_platform">{_e(t("link_platform"))}'
            "</a></p>"
        )
        self._facts = (
            '\n  <section aria-labelledby="facts-h">\n'
            f'    <h2 id="facts-h" data-i18n="facts">{_e(t("facts"))}</h2>\n'
            '    <dl class="facts">\n'
            f'      <dt data-i18n="f_institution">{_e(t("f_institution"))}</dt><dd>'
        )
        self._dt = {
            key: f'<dt data-i18n="{key}">{_e(t(key))}</dt>'
            for key in (
                "organization", "f_language", "f_subject", "f_level", "f_pacing", "effort",
                "course_code",
            )
        }  # fmt: skip
        self._about = (
            '  <section aria-labelledby="about-h">\n'
            f'    <h2 id="about-h" data-i18n="about">{_e(t("about"))}</h2>'
            '    <div class="description"'
        )
        self._runs = (
            '  <section aria-labelledby="runs-h">\n'
            f'    <h2 id="runs-h" data-i18n="runs">{_e(t("runs"))}</h2>\n'
            '    <div class="table-scroll" role="region" aria-labelledby="runs-h" tabindex="0">\n'
            "      <table>\n"
            "        <thead><tr>\n"
            + "".join(
                f'          <th scope="col" data-i18n="{key}">{_e(t(key))}</th>\n'
                for key in ("run", "run_start", "run_end", "run_enrollment", "f_pacing")
            )
            + "        </tr></thead>\n"
            "        <tbody>\n"
        )
        self._offered_badge = (
            f' <span class="badge" data-i18n="offered_run">{_e(t("offered_run"))}</span>'
        )

    # ------------------------------------------------------------------ strings

    def t(self, key: str) -> str:
        """The string for ``key`` in the site's language (English, then the key, if none)."""
        return self.table.get(key) or self.english.get(key) or key

    def span(self, key: str, fallback: Any = "") -> str:
        """The template's ``tr`` macro: a translatable span when ``key`` is a known string,
        else the fallback as given."""
        found = self._spans.get(key)
        if found is not None:
            return found
        if key not in self.table:  # not (yet) known: subject names arrive with their courses
            return _e(fallback)
        found = self._spans[key] = f'<span data-i18n="{_e(key)}">{_e(self.t(key))}</span>'
        return found

    # ------------------------------------------------------------------ the page

    def render(
        self,
        course: Mapping[str, Any],
        *,
        jsonld: str,
        short_description: str,
        description_html: str,
    ) -> bytes:
        """The whole page of ``course``, UTF-8; ``jsonld`` is script-safe JSON (``json_ld``), the
        short description plain text and the description nh3's output."""
        frame = self._frame
        title = _e(course.get("title") or course.get("key") or "")
        main = self.main(
            course, title, short_description=short_description, description_html=description_html
        )
        return b"".join(
            (
                frame[0],
                title.encode("utf-8"),
                frame[1],
                jsonld.encode("utf-8"),
                frame[2],
                main.encode("utf-8"),
                frame[3],
            )
        )

    def main(
        self,
        course: Mapping[str, Any],
        title: str,
        *,
        short_description: str,
        description_html: str,
    ) -> str:
        """The ``main`` block of ``course.html`` for one course (``title`` escaped already)."""
        span, dt = self.span, self._dt
        lang = language_code(course.get("language"))
        lang_attr = _lang_attribute(lang)
        withdrawn = course.get("status") == "withdrawn"
        out = [self._back, f"  <h1{lang_attr}>{title}</h1>\n"]
        if withdrawn:
            out.append(self._withdrawn)
        out.append('  <ul class="badges">\n')
        if withdrawn:
            out.append(self._badge_gone)
        if course.get("is_free"):
            out.append(self._badge_free)
        if course.get("certificate"):
            out.append(self._badge_cert)
        out.append("  </ul>\n")
        if short_description:
            out.append(f'<p class="lede"{lang_attr}>{_e(short_description)}</p>')
        url = safe_url(course.get("url"))
        if url:
            out.append(f'<p><a class="platform" href="{_e(url)}{self._platform}')

        institution = course.get("institution") or ""
        out += (self._facts, span(f"inst.{institution}", institution), "</dd>\n")
        organization = course.get("organization") or ""
        if organization:
            out.append(f"{dt['organization']}<dd{lang_attr}>{_e(organization)}</dd>")
        language = course.get("language") or ""
        if language:
            out.append(f"{dt['f_language']}<dd>{span(f'lang.{lang}', language)}</dd>")
        codes = [s.get("code") for s in course.get("subjects_isced") or [] if s.get("code")]
        if codes:
            items = "".join(f"<li>{span(f'isced.{code}', code)}</li>" for code in codes)
            out.append(f'{dt["f_subject"]}<dd><ul class="inline">{items}</ul></dd>')
        level = course.get("level") or ""
        if level:
            out.append(f"{dt['f_level']}<dd>{span(f'level.{str(level).lower()}', level)}</dd>")
        pacing = course.get("pacing") or ""
        if pacing:
            out.append(f"{dt['f_pacing']}<dd>{span(f'pacing.{pacing}', pacing)}</dd>")
        effort = course.get("effort") or ""
        if effort:
            out.append(f"{dt['effort']}<dd{lang_attr}>{_e(effort)}</dd>")
        key = course.get("key") or ""
        out.append(
            f"      {dt['course_code']}<dd><code>{_e(key)}</code></dd>\n    </dl>\n  </section>\n\n"
        )

        runs = course.get("runs") or []
        offers = course.get("offers") or []
        if offers:
            self.cards.render(out, offers, runs)
        out.append("\n")
        if description_html:
            out += (self._about, lang_attr, ">", description_html, "</div>\n  </section>\n")
        out.append("\n")
        if runs:
            offered = {offer.get("run") for offer in offers}
            out.append(self._runs)
            for run in runs:
                self._run(out, run, run.get("key") in offered)
            out.append("        </tbody>\n      </table>\n    </div>\n  </section>\n")
        out.append("</article>\n")
        return "".join(out)

    def _run(self, out: list[str], run: Mapping[str, Any], offered: bool) -> None:
        # the times are digits, "-", ":", " " and "UTC±hh:mm": nothing to escape
        time = self.time
        enrollment_start = time(run.get("enrollment_start"))
        enrollment_end = time(run.get("enrollment_end"))
        if enrollment_start or enrollment_end:
            enrollment = f"{enrollment_start or '…'} – {enrollment_end or '…'}"
        else:
            enrollment = "—"
        pacing = run.get("pacing")
        out.append(
            "".join(
                (
                    '          <tr class="offered">\n' if offered else "          <tr>\n",
                    '            <th scope="row"><code>',
                    _e(run.get("key") or ""),
                    "</code>",
                    self._offered_badge if offered else "",
                    "</th>\n            <td>",
                    time(run.get("start")) or "—",
                    "</td>\n            <td>",
                    time(run.get("end")) or "—",
                    "</td>\n            <td>",
                    enrollment,
                    "</td>\n            <td>",
                    self.span(f"pacing.{pacing}", pacing) if pacing else "—",
                    "</td>\n          </tr>\n",
                )
            )
        )


#: Plain course fields of the JSON-LD, in order: (property, document field, is a URL to check).
_JSONLD_FIELDS = (
    ("courseCode", "key", False),
    ("identifier", "id", False),
    ("inLanguage", "language", False),
    ("url", "url", True),
    ("image", "image_url", True),
    ("educationalLevel", "level", False),
)


def json_ld(
    course: Mapping[str, Any],
    institution_name: str | None,
    description: str | None = None,
) -> str:
    """schema.org ``Course`` with one ``CourseInstance`` per run (Google's course-info shape), as
    JSON safe inside the page's ``<script>`` (``safety.script_json``).

    ``description`` is the description's plain text when the caller has it already
    (``safety.sanitize_description``); else it is taken from the document. Members without a
    value are left out. Written piece by piece — the provider and each offer, shared by many
    courses, are serialised once per distinct value — into the same text ``script_json`` gives
    for the whole object.
    """
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
    for name, field, check in _JSONLD_FIELDS:
        value = safe_url(get(field)) if check else get(field)
        if value not in (None, ""):
            append(f',"{name}":{json_text(value)}')
    is_free = get("is_free")
    if is_free not in (None, ""):
        append(
            ',"isAccessibleForFree":true'
            if is_free is True
            else (
                ',"isAccessibleForFree":false'
                if is_free is False
                else f',"isAccessibleForFree":{json_text(is_free)}'
            )
        )
    organization = get("organization")
    append(
        _shared(
            _providers,
            (institution_name or get("institution"), str(organization) if organization else ""),
            _provider,
        )
    )
    subjects = [(s.get("labels") or {}).get("en") for s in get("subjects_isced") or ()] or list(
        get("subjects") or ()
    )
    if any(subjects):
        append(',"about":[' + ",".join([json_text(str(s)) for s in subjects if s]) + "]")
    offers = get("offers")
    if offers:
        append(
            ',"offers":['
            + ",".join(
                [
                    _shared(
                        _offers,
                        (
                            offer.get("term"),
                            is_free,
                            offer.get("application_start"),
                            offer.get("application_end"),
                            offer.get("seats"),
                        ),
                        _offer_ld,
                    )
                    for offer in offers
                ]
            )
            + "]"
        )
    runs = get("runs")
    if runs:
        append(',"hasCourseInstance":[' + ",".join([_instance(run) for run in runs]) + "]}")
    else:
        append(',"hasCourseInstance":[{"@type":"CourseInstance","courseMode":"online"}]}')
    return script_safe("".join(parts))


_providers: dict[Any, str] = {}
_offers: dict[Any, str] = {}


def _shared(memo: dict[Any, str], key: tuple[Any, ...], render: Callable[..., str]) -> str:
    """``render(*key)``, remembered (bounded) for the keys many courses share."""
    try:
        return memo[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable value: a hostile document, serialised as it is
        return render(*key)
    if len(memo) >= CACHE_MAX:
        memo.clear()
    text = memo[key] = render(*key)
    return text


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


def _provider(name: Any, organization: str) -> str:
    department = (
        f',"department":{{"@type":"Organization","name":{json_text(organization)}}}'
        if organization
        else ""
    )
    return f',"provider":{{"@type":"CollegeOrUniversity","name":{json_text(name)}{department}}}'


def _offer_ld(term: Any, is_free: Any, start: Any, end: Any, seats: Any) -> str:
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
