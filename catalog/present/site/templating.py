"""The site's Jinja2 templates, compiled once per site, and the interface strings they show.

Every page of the site is written from ``templates/``: ``index.html`` and the frame of the course
pages (``course.html``, both extending ``base.html``) are rendered once per site; the ``main``
block of each course page is ``course_main.html``, rendered once per course, and the parts many
courses share (an offer card's head and tail, an offered run's start, a translatable span) are
the macros of ``offer_card.html``, rendered once per distinct value and remembered by the
caller. One :class:`SiteTemplates` holds one environment for the whole site, so each template
is compiled once however many courses there are.

Autoescape is on everywhere: the only unescaped values are nh3's output (``|safe``) and the
script-safe JSON of ``safety.script_json``. A page is therefore the same text whichever way a
value reaches it, and ``markupsafe.escape`` of a value is what a template would write.

**The site's language.** The filter ``"back"|t`` (``"generated"|t(date=…)`` to fill ``{date}``) is
the string of a key in the language the site opens in (English, then the key itself, if it has
none). The environment is the site's, so Jinja2 evaluates a ``t`` of a constant key when it
compiles the template and writes the escaped string into it: a course page costs nothing for
its interface strings. ``code|tr("pacing")`` is a ``data-i18n`` span of ``pacing.<code>`` when
the site has a string for it, else the code as the source gave it, so the page's language switch
can translate it (``text|tr(kind, code)`` shows ``text`` for a ``kind.<code>`` it has no string
for).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from markupsafe import Markup, escape

from catalog.present.site.display import epoch, time_text
from catalog.present.site.escaping import EscapingCodeGenerator
from catalog.present.site.i18n import translator

TEMPLATES = Path(__file__).parent / "templates"
#: A template's macro called from Python: its arguments in, markup out.
Macro = Callable[..., Markup]


class _SiteEnvironment(Environment):
    """Jinja2's environment, its autoescaped output written without a ``Markup`` per value
    (:mod:`catalog.present.site.escaping`)."""

    code_generator_class = EscapingCodeGenerator


def environment() -> Environment:
    """Jinja2 with autoescape everywhere, strict about undefined names, block tags on their
    own lines leaving no blank lines behind."""
    return _SiteEnvironment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def epoch_text(value: datetime | None) -> int | str:
    """Epoch seconds of a moment, for a ``data-`` attribute; ``""`` for none."""
    seconds = epoch(value)
    return "" if seconds is None else seconds


class SiteTemplates:
    """The templates of one site: its interface ``strings`` (all languages, as ``data/i18n.js``
    gets them), ``ui`` the language its pages open in and ``zone`` the audience's time zone
    (None: each time in the offset it comes with).

    The build may add subject names to ``strings`` as it meets them: ``tr`` looks them up when
    asked, so a subject first seen on the thousandth course is still translated.
    """

    def __init__(
        self, strings: Mapping[str, Mapping[str, str]], ui: str, zone: tzinfo | None
    ) -> None:
        self.ui = ui
        self.table, self.english = strings[ui], strings["en"]
        self.t = translator(strings, ui)
        self.time = time_text(zone)
        self._spans: dict[str, Markup] = {}
        self.env = env = environment()  # the filters before any template is compiled
        env.filters.update(t=self.t, tr=self.tr, time=self.time, epoch=epoch_text)
        env.globals["ui"] = ui
        macros = vars(env.get_template("offer_card.html").module)
        #: The macros of ``offer_card.html`` (see there), each giving markup.
        self.offer_head: Macro = macros["offer_head"]
        self.offer_tail: Macro = macros["offer_tail"]
        self.starts: Macro = macros["starts"]
        self._span: Macro = macros["span"]
        self.course_main: Template = env.get_template("course_main.html")

    def render(self, name: str, **values: Any) -> str:
        """The template ``name`` rendered with ``values`` (and the site's ``ui``)."""
        return self.env.get_template(name).render(**values)

    def tr(self, text: Any, kind: str, code: Any = None) -> Markup:
        """A translatable span of ``kind.code`` (``code`` is ``text`` unless given) when the site
        has a string for it, else ``text`` as the source gave it."""
        key = f"{kind}.{text if code is None else code}"
        found = self._spans.get(key)
        if found is not None:
            return found
        if key not in self.table:  # not (yet) known: subject names arrive with their courses
            return escape(text)
        found = self._spans[key] = self._span(key, self.t(key))
        return found
