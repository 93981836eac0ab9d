"""``write_site``: the static catalog site a student opens by double-clicking ``index.html``.

Layout of the output directory::

    index.html              the catalog: search, filters, results (rendered by assets/app.js)
    courses/<slug>.html     one page per course, complete without JavaScript
    data/first.js           the first page of the list (``window.MOOCX_FIRST``), loaded first
    data/index.js           the search index (``window.MOOCX_INDEX``), see catalog/site/index.py
    data/i18n.js            the interface strings (``window.MOOCX_I18N``), see catalog/site/i18n.py
    assets/app.js, style.css
    .moocx-site             marks the directory as ours, so a later export may replace it

Everything is local and loaded with ``<script src>``/``<link>``: pages opened from ``file://``
may not ``fetch()`` files, and a student's laptop may be offline.

**Never half a site.** The site is written into ``.DIR.tmp-XXXX`` beside ``DIR``. When it is
complete, an existing ``DIR`` is renamed to ``.DIR.old-XXXX``, the new one renamed to ``DIR``, and
the old one deleted. Each rename is atomic, so a reader sees the old site, the new site, or — for
the instant between the two renames — no directory, but never a mix. A symlink swap would close
that instant, but ``DIR`` must stay a plain folder a student can copy to a USB stick or zip.
A crash (even ``kill -9``) leaves the old site whole and a ``.tmp-`` folder that the next export
removes: a running export holds a lock on its ``.tmp-`` folder, and on the site it retires, so
another export can tell a crashed one's leftovers from a live one's work (catalog/files.py).
Files get the mode of catalog/files.py (``0666`` less the umask: ``0644`` under umask ``022``),
folders ``0777`` less the umask, like the JSON and CSV exports: a web server may serve them.
An existing ``DIR`` is replaced only if it is empty or carries the ``.moocx-site`` marker, so a
mistyped ``--out ~/Documents`` cannot delete anyone's files.

**Streaming.** Courses are rendered and written one by one as they are iterated, their index rows
too (catalog/site/index.py): nothing grows with the catalog but the index's small tables. A
course met twice is found by its page already being on disk (created with ``O_EXCL``), not by a
set of every id seen.

**The audience.** Its entry in ``institutions`` gives the site's language (``language``, see
``i18n.default_language``) and time zone (``timezone``): every time on the pages, the footer's
included, and the start dates and months of the index are in that zone (``audience_zone``).

**Speed.** Jinja2 renders the frame of the course pages once per site; the course's part is
written by ``pages.CoursePage`` (see there why). nh3 reads each description twice (the
allow-listed HTML, then its words for the JSON-LD) and each short description once, shared by
the page, the JSON-LD and the search index.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from catalog.errors import CatalogError
from catalog.files import create_new, lock_existing, lock_new, release, remove_leftovers
from catalog.site.i18n import (
    ENDONYMS,
    LANGUAGES,
    STRINGS,
    default_language,
    translator,
    with_credit_names,
)
from catalog.site.index import IndexBuilder
from catalog.site.markup import moment_text
from catalog.site.pages import CoursePage, json_ld, slot_marker
from catalog.site.safety import page_slug, plain_text, sanitize_description, script_json

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
MARKER = ".moocx-site"
ASSETS = ("app.js", "style.css")


class SiteError(CatalogError):
    """The site cannot be written where asked (the directory is not ours to replace)."""


@dataclass(frozen=True)
class SiteStats:
    """What an export wrote: courses in the index, pages written, size of data/index.js."""

    courses: int
    pages: int
    index_bytes: int


def environment() -> Environment:
    """Jinja2 with autoescape everywhere: the only unescaped values are nh3 output and the
    script-safe JSON of ``safety.script_json``."""
    return Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def write_site(
    out_dir: Path,
    *,
    institutions: list[dict[str, Any]],
    courses: Iterable[Mapping[str, Any]],
    audience: str,
    generated_at: datetime,
    credit_systems: Mapping[str, Mapping[str, str]] | None = None,
) -> SiteStats:
    """Write the catalog site for ``audience`` into ``out_dir``, replacing it whole.

    ``courses`` are course documents already limited to what the audience may see;
    ``credit_systems`` optionally names credit systems (``{"tin_chi": {"vi": …, "zh": …}}``)
    beyond the built-in tín chỉ, 学分 and ECTS names. The audience's entry in
    ``institutions`` gives the pages' time zone (``timezone``, IANA) and language
    (``language``); without them times keep the offsets the documents give.
    """
    out_dir = Path(out_dir)
    if generated_at.tzinfo is None:
        generated_at = generated_at.replace(tzinfo=UTC)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _check_replaceable(out_dir)
    _remove_leftovers(out_dir)
    tmp, lock = _new_folder(out_dir)
    try:
        stats = _build(
            tmp,
            institutions=institutions,
            courses=courses,
            audience=audience,
            generated_at=generated_at,
            credit_systems=credit_systems,
        )
        _swap(tmp, out_dir)
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


def _build(
    root: Path,
    *,
    institutions: list[dict[str, Any]],
    courses: Iterable[Mapping[str, Any]],
    audience: str,
    generated_at: datetime,
    credit_systems: Mapping[str, Mapping[str, str]] | None,
) -> SiteStats:
    ui = default_language(audience, institutions)
    zone = audience_zone(audience, institutions)
    strings = with_credit_names(STRINGS, credit_systems)
    names: dict[str, dict[str, str]] = {}
    for inst in institutions:
        inst_names = inst.get("names") or {}
        names[str(inst.get("id"))] = {
            lang: str(inst_names.get(lang) or inst_names.get("en") or inst.get("id"))
            for lang in LANGUAGES
        }
        for lang in LANGUAGES:
            strings[lang][f"inst.{inst.get('id')}"] = names[str(inst.get("id"))][lang]
    t = translator(strings, ui)
    generated = moment_text(generated_at.astimezone(zone or UTC))
    env = environment()
    common = {
        "ui": ui,
        "t": t,
        "languages": LANGUAGES,
        "endonyms": ENDONYMS,
        "generated": generated,
        "audience": audience,
        "known": strings[ui],
    }
    (root / "courses").mkdir()
    (root / "data").mkdir()
    (root / "assets").mkdir()
    for name in ASSETS:
        shutil.copyfile(HERE / "assets" / name, root / "assets" / name)

    frame = env.get_template("course.html").render(
        **common,
        root="../",
        fill=lambda name: Markup(slot_marker(name)),  # noqa: S704
    )
    pages = CoursePage(frame, strings, ui, zone)
    index_path = root / "data" / "index.js"
    written = 0
    with (
        index_path.open("w", encoding="utf-8", newline="\n", buffering=1 << 16) as index_file,
        (root / "data" / "first.js").open("w", encoding="utf-8", newline="\n") as first_file,
        _Pages(root / "courses") as course_pages,
        IndexBuilder(generated_at, index_file, first_file, scratch=root, zone=zone) as index,
    ):
        index.begin(audience=audience, default_ui=ui, generated_at=generated)
        for course in courses:
            course_id = str(course.get("id") or "")
            if not course_id:
                log.warning("site: a course without an id was left out (key %r)", course.get("key"))
                continue
            claimed = course_pages.claim(page_slug(course_id), course_id)
            if claimed is None:
                log.warning("site: course %s appears twice; the first one is kept", course_id)
                continue
            slug, fd = claimed
            try:
                written += 1
                for subject in course.get("subjects_isced") or []:
                    code, labels = subject.get("code"), subject.get("labels") or {}
                    for lang in LANGUAGES:
                        if code and labels.get(lang):
                            strings[lang].setdefault(f"isced.{code}", str(labels[lang]))
                short = plain_text(course.get("short_description"))
                description_html, description = sanitize_description(course.get("description"))
                index.add(course, slug, short)
                provider = names.get(str(course.get("institution")), {}).get(ui)
                # script-safe: < > & escaped so no value can end the script element (H5)
                jsonld = json_ld(course, provider, description or short)
                page = pages.render(
                    course,
                    jsonld=jsonld,
                    short_description=short,
                    description_html=description_html,
                )
                _write_all(fd, page)
            finally:
                os.close(fd)
        index.finish()

    i18n = {"languages": LANGUAGES, "endonyms": ENDONYMS, "strings": strings}
    _write(root / "data" / "i18n.js", f"window.MOOCX_I18N={script_json(i18n)};\n")
    audience_name = names.get(audience, {}).get(ui, audience)
    _write(
        root / "index.html",
        env.get_template("index.html").render(**common, root="", audience_name=audience_name),
    )
    (root / MARKER).write_text(f"{audience}\n{generated_at.isoformat()}\n", encoding="utf-8")
    return SiteStats(courses=index.count, pages=written + 1, index_bytes=index_path.stat().st_size)


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


class _Pages:
    """The ``courses/`` folder: one file per course, created exclusively (``O_EXCL``), so a
    course met twice finds its page already there and no set of ids seen has to grow."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fd: int | None = None

    def __enter__(self) -> _Pages:
        if os.open in os.supports_dir_fd:
            self.fd = os.open(self.folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _open(self, name: str) -> int:
        if self.fd is not None:
            return create_new(name, dir_fd=self.fd)
        return create_new(self.folder / name)

    def claim(self, slug: str, course_id: str) -> tuple[str, int] | None:
        """Create ``<slug>.html``: (the slug used, its open descriptor, for the caller to write
        and close), or None if the course has its page already. Two ids with the same slug
        (same stem and hash: astronomically rare) get ``-2``, ``-3``… — names no plain slug
        has, as those end in ten hex digits."""
        candidate, n = slug, 1
        while True:
            try:
                return candidate, self._open(f"{candidate}.html")
            except FileExistsError:
                if self._course_of(candidate) == course_id:
                    return None
                n += 1
                candidate = f"{slug}-{n}"

    def _course_of(self, slug: str) -> str | None:
        """The course id a written page names in its JSON-LD (``identifier``)."""
        text = (self.folder / f"{slug}.html").read_text(encoding="utf-8")
        _, _, rest = text.partition('<script type="application/ld+json">')
        data, found, _ = rest.partition("</script>")
        if not found:
            return None
        try:
            return json.loads(data).get("identifier")
        except ValueError:
            return None


def _write_all(fd: int, data: bytes) -> None:
    done = os.write(fd, data)
    if done < len(data):  # a short write (a signal, a full disk): go on from there
        view = memoryview(data)[done:]
        while view:
            view = view[os.write(fd, view) :]


def _write(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def _check_replaceable(target: Path) -> None:
    if target.is_symlink() or not target.exists():
        return
    if not target.is_dir():
        raise SiteError(f"{target} exists and is not a directory; choose a directory for the site")
    if (target / MARKER).exists() or not any(target.iterdir()):
        return
    raise SiteError(
        f"{target} is not empty and was not written by moocx (no {MARKER} file); "
        "choose a new or empty directory for the site"
    )


def _remove_leftovers(target: Path) -> None:
    """Delete the ``.DIR.tmp-*`` / ``.DIR.old-*`` folders of exports that were killed: those
    whose lock no running export holds (catalog/files.py)."""
    name = re.escape(target.name)
    remove_leftovers(target.parent, re.compile(rf"\.{name}\.(tmp|old)-[0-9a-f]{{8}}"))


def _new_folder(target: Path) -> tuple[Path, int | None]:
    """``.DIR.tmp-XXXX``, created empty beside ``target`` and locked as this export's."""
    while True:
        tmp = target.parent / f".{target.name}.tmp-{secrets.token_hex(4)}"
        try:
            tmp.mkdir()
        except FileExistsError:
            continue
        try:
            return tmp, lock_new(tmp)
        except FileNotFoundError:  # taken for a leftover before we locked it: another name
            continue


def _swap(new: Path, target: Path) -> None:
    if not (target.exists() or target.is_symlink()):
        os.rename(new, target)
        return
    # Locked while it is retired (renamed .old-, then deleted), so that another export's
    # cleanup does not take it for a leftover; waits for an export replacing it just now.
    lock = None if target.is_symlink() else lock_existing(target)
    try:
        old = target.parent / f".{target.name}.old-{secrets.token_hex(4)}"
        os.rename(target, old)
        try:
            os.rename(new, target)
        except BaseException:
            os.rename(old, target)
            raise
        if old.is_symlink():
            old.unlink()
        else:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        release(lock)
