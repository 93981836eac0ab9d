"""``write_site``: the static catalog site a student opens by double-clicking ``index.html``.

Layout of the output directory::

    index.html              the catalog: search, filters, results (rendered by assets/*.js)
    courses/<slug>.html     one page per course, complete without JavaScript
    data/first.js           the first page of the list (``window.MOOCX_FIRST``), loaded first
    data/index.js           the search index (``window.MOOCX_INDEX``), see index.py here
    data/i18n.js            the interface strings (``window.MOOCX_I18N``), see i18n.py here
    assets/*.js, style.css  the page's scripts (plain files loaded in order) and style
    feeds/<audience>.atom   the audience's newest offers as an Atom feed (catalog/present/
                            publish/atom.py), linked from every page's head
    .moocx-site             marks the directory as ours, so a later export may replace it

Everything is local and loaded with ``<script src>``/``<link>``: pages opened from ``file://``
may not ``fetch()`` files, and a student's laptop may be offline.

**Never half a site.** The site is written into a temporary folder beside ``DIR`` and swapped in
whole when complete; an existing ``DIR`` is replaced only if a site or empty (catalog/present/site/
folder.py). Files get the mode of catalog/present/files.py (``0666`` less the umask: ``0644`` under
umask ``022``), folders ``0777`` less the umask, like the JSON and CSV exports: a web server may
serve them.

**Streaming.** Courses are rendered and written one by one as they are iterated, their index rows
too (catalog/present/site/index.py): nothing grows with the catalog but the index's small tables. A
course met twice is found by its page already being on disk (created with ``O_EXCL``), not by a
set of every id seen.

**The audience.** The caller gives the site's language (``language``: the audience's reading
language from its ``[[institutions]]`` entry); without it, the audience's entry in
``institutions`` gives it (``i18n.default_language``). That entry's ``timezone`` is the zone of
every time on the pages, the footer's included, and of the start dates and months of the index
(``audience_zone``).

**Speed.** Every page comes from Jinja2 templates compiled once per site (catalog/present/site/
templating.py); the frame of the course pages is rendered once, each course's part by
``pages.CoursePage``. nh3 reads each description twice (the allow-listed HTML, then its words
for the JSON-LD) and each short description once, shared by the page, the JSON-LD and the
search index.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup

from catalog.errors import SiteError
from catalog.present.course_document import CourseDocument
from catalog.present.files import release
from catalog.present.publish.atom import NewestCourses, render_feed
from catalog.present.site.display import moment_text
from catalog.present.site.folder import (
    MARKER,
    CourseFiles,
    check_replaceable,
    new_folder,
    remove_old_exports,
    swap,
)
from catalog.present.site.i18n import (
    ENDONYMS,
    LANGUAGES,
    STRINGS,
    default_language,
    with_credit_names,
)
from catalog.present.site.index import IndexBuilder
from catalog.present.site.jsonld import JsonLd
from catalog.present.site.pages import CoursePage, slot_marker
from catalog.present.site.safety import page_slug, plain_text, sanitize_description, script_json
from catalog.present.site.templating import SiteTemplates

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
#: An audience id that can name the feed's file as it is (the config's identifier pattern).
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
#: The page's scripts, in the order they load (assets/core.js says why several); a course page
#: needs only the interface's.
SCRIPTS = (
    "core.js",
    "state.js",
    "strings.js",
    "search.js",
    "results.js",
    "loading.js",
    "filters.js",
    "app.js",
)
COURSE_SCRIPTS = ("core.js", "state.js", "strings.js", "app.js")
ASSETS = (*SCRIPTS, "style.css")

__all__ = ["MARKER", "SiteError", "SiteStats", "audience_zone", "write_site"]


@dataclass(frozen=True)
class SiteStats:
    """What an export wrote: courses in the index, pages written, size of data/index.js."""

    courses: int
    pages: int
    index_bytes: int


def write_site(
    out_dir: Path,
    *,
    institutions: list[dict[str, Any]],
    courses: Iterable[CourseDocument],
    audience: str,
    generated_at: datetime,
    credit_systems: Mapping[str, Mapping[str, str]] | None = None,
    language: str | None = None,
) -> SiteStats:
    """Write the catalog site for ``audience`` into ``out_dir``, replacing it whole.

    ``courses`` are course documents already limited to what the audience may see;
    ``credit_systems`` optionally names credit systems (``{"tin_chi": {"vi": …, "zh": …}}``)
    beyond the built-in tín chỉ, 学分 and ECTS names. ``language`` is the language the pages
    open in (one of ``i18n.LANGUAGES``); without it, the audience's entry in ``institutions``
    gives it (``language``, else its ``country``). That entry's ``timezone`` (IANA) is the
    pages' time zone; without one, times keep the offsets the documents give.
    """
    out_dir = Path(out_dir)
    if generated_at.tzinfo is None:
        generated_at = generated_at.replace(tzinfo=UTC)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    check_replaceable(out_dir)
    remove_old_exports(out_dir)
    tmp, lock = new_folder(out_dir)
    try:
        ui = language if language in LANGUAGES else default_language(audience, institutions)
        site = _Site(audience, institutions, ui, credit_systems)
        stats = site.build(tmp, courses, generated_at)
        swap(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        release(lock)
    log.info(
        "site for %s written to %s: %d courses, index %d bytes",
        audience,
        out_dir,
        stats.courses,
        stats.index_bytes,
    )
    return stats


def audience_zone(audience: str, institutions: list[dict[str, Any]]) -> tzinfo | None:
    """The audience institution's time zone, in which the site shows every time; None when the
    institutions do not say (or name a zone this system does not know: logged)."""
    name = next((i.get("timezone") for i in institutions if i.get("id") == audience), None)
    if not name or not isinstance(name, str):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("site for %s: unknown time zone %r; times keep their offsets", audience, name)
        return None


def institution_names(
    institutions: list[dict[str, Any]], strings: dict[str, dict[str, str]]
) -> dict[str, dict[str, str]]:
    """Each institution's name in every language (English, then its id, when it has none),
    added to ``strings`` as ``inst.<id>`` for the page's language switch."""
    names: dict[str, dict[str, str]] = {}
    for inst in institutions:
        given = inst.get("names") or {}
        inst_id = str(inst.get("id"))
        names[inst_id] = {
            lang: str(given.get(lang) or given.get("en") or inst.get("id")) for lang in LANGUAGES
        }
        for lang in LANGUAGES:
            strings[lang][f"inst.{inst.get('id')}"] = names[inst_id][lang]
    return names


class _Site:
    """One site being built: its strings, templates and writers, and the courses written."""

    def __init__(
        self,
        audience: str,
        institutions: list[dict[str, Any]],
        ui: str,
        credit_systems: Mapping[str, Mapping[str, str]] | None,
    ) -> None:
        self.audience, self.ui = audience, ui
        self.institutions = institutions
        self.newest = NewestCourses()
        # the audience's Atom feed, beside the pages (an id a file may not be named by: none)
        self.feed = f"feeds/{audience}.atom" if _FILE_NAME.fullmatch(audience) else ""
        self.zone = audience_zone(audience, institutions)
        self.strings = with_credit_names(STRINGS, credit_systems)
        self.names = institution_names(institutions, self.strings)
        self.templates = SiteTemplates(self.strings, ui, self.zone)
        self.jsonld = JsonLd()
        self.written = 0

    def build(
        self, root: Path, courses: Iterable[CourseDocument], generated_at: datetime
    ) -> SiteStats:
        """Write the whole site into the empty folder ``root``."""
        generated = moment_text(generated_at.astimezone(self.zone or UTC))
        common = {
            "languages": LANGUAGES,
            "endonyms": ENDONYMS,
            "generated": generated,
            "audience": self.audience,
            "feed": self.feed,
        }
        for folder in ("courses", "data", "assets", "feeds")[: 4 if self.feed else 3]:
            (root / folder).mkdir()
        for name in ASSETS:
            shutil.copyfile(HERE / "assets" / name, root / "assets" / name)
        fill = lambda name: Markup(slot_marker(name))  # noqa: E731, S704
        frame = self.templates.render(
            "course.html", **common, root="../", fill=fill, scripts=COURSE_SCRIPTS
        )
        pages = CoursePage(frame, self.templates)
        index_path = root / "data" / "index.js"
        with (
            index_path.open("w", encoding="utf-8", newline="\n", buffering=1 << 16) as index_file,
            (root / "data" / "first.js").open("w", encoding="utf-8", newline="\n") as first_file,
            CourseFiles(root / "courses") as files,
            IndexBuilder(
                generated_at, index_file, first_file, scratch=root, zone=self.zone
            ) as index,
        ):
            index.begin(audience=self.audience, default_ui=self.ui, generated_at=generated)
            for course in courses:
                self._course(course, pages, files, index)
            index.finish()
        if self.feed:
            feed = render_feed(
                self.newest.courses(), self.institutions, None, self.audience,
                now=generated_at, site_url=None, language=self.ui,
            )  # fmt: skip
            (root / self.feed).write_bytes(feed)
        i18n = {"languages": LANGUAGES, "endonyms": ENDONYMS, "strings": self.strings}
        _write(root / "data" / "i18n.js", f"window.MOOCX_I18N={script_json(i18n)};\n")
        audience_name = self.names.get(self.audience, {}).get(self.ui, self.audience)
        index_html = self.templates.render(
            "index.html", **common, root="", audience_name=audience_name, scripts=SCRIPTS
        )
        _write(root / "index.html", index_html)
        (root / MARKER).write_text(
            f"{self.audience}\n{generated_at.isoformat()}\n", encoding="utf-8"
        )
        return SiteStats(
            courses=index.count, pages=self.written + 1, index_bytes=index_path.stat().st_size
        )

    def _course(
        self,
        course: CourseDocument,
        pages: CoursePage,
        files: CourseFiles,
        index: IndexBuilder,
    ) -> None:
        """Write the page of ``course`` and add it to the index (unless it has no id, or its
        page is written already)."""
        course_id = course.id
        if not course_id:
            log.warning("site: a course without an id was left out (key %r)", course.key)
            return
        claimed = files.claim(page_slug(course_id), course_id)
        if claimed is None:
            log.warning("site: course %s appears twice; the first one is kept", course_id)
            return
        slug, fd = claimed
        try:
            self.written += 1
            self._learn_subjects(course)
            short = plain_text(course.short_description)
            description_html, description = sanitize_description(course.description)
            index.add(course, slug, short)
            self.newest.add(course, slug)
            provider = self.names.get(str(course.institution), {}).get(self.ui)
            # script-safe: < > & escaped so no value can end the script element (H5)
            jsonld = self.jsonld.render(course, provider, description or short)
            page = pages.render(
                course, jsonld=jsonld, short_description=short, description_html=description_html
            )
            _write_all(fd, page)
        finally:
            os.close(fd)

    def _learn_subjects(self, course: CourseDocument) -> None:
        """The ISCED subjects' names the course brings, for the interface strings."""
        strings = self.strings
        for subject in course.subjects_isced:
            code, labels = subject.code, subject.labels
            for lang in LANGUAGES:
                if code and labels.get(lang):
                    strings[lang].setdefault(f"isced.{code}", str(labels[lang]))


def _write_all(fd: int, data: bytes) -> None:
    done = os.write(fd, data)
    if done < len(data):  # a short write (a signal, a full disk): go on from there
        view = memoryview(data)[done:]
        while view:
            view = view[os.write(fd, view) :]


def _write(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
