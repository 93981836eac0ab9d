"""``write_site``: the static catalog site a student opens by double-clicking ``index.html``.

Layout of the output directory::

    index.html              the catalog: search, filters, results (rendered by assets/app.js)
    courses/<slug>.html     one page per course, complete without JavaScript
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
A crash leaves the old site whole and a ``.tmp-`` folder that the next export removes.
An existing ``DIR`` is replaced only if it is empty or carries the ``.moocx-site`` marker, so a
mistyped ``--out ~/Documents`` cannot delete anyone's files.

**Streaming.** Courses are rendered and written one by one as they are iterated; only the compact
index rows stay in memory.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from catalog.errors import CatalogError
from catalog.site.i18n import (
    ENDONYMS,
    LANGUAGES,
    STRINGS,
    default_language,
    translator,
    with_credit_names,
)
from catalog.site.index import IndexBuilder
from catalog.site.pages import json_ld, page_context
from catalog.site.safety import page_slug, script_json

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
MARKER = ".moocx-site"
ASSETS = ("app.js", "style.css")
#: Leftovers of a crashed export older than this are removed by the next one.
STALE_AFTER = 3600


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
    beyond the built-in tín chỉ, 学分 and ECTS names.
    """
    out_dir = Path(out_dir)
    if generated_at.tzinfo is None:
        generated_at = generated_at.replace(tzinfo=UTC)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _check_replaceable(out_dir)
    _remove_leftovers(out_dir)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{secrets.token_hex(4)}"
    tmp.mkdir()
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
    generated = f"{generated_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
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

    index = IndexBuilder(generated_at)
    course_page = env.get_template("course.html")
    slugs: set[str] = set()
    seen: set[str] = set()
    for course in courses:
        course_id = str(course.get("id") or "")
        if not course_id:
            log.warning("site: a course without an id was left out (key %r)", course.get("key"))
            continue
        if course_id in seen:
            log.warning("site: course %s appears twice; the first one is kept", course_id)
            continue
        seen.add(course_id)
        slug = page_slug(course_id)
        while slug in slugs:  # two ids with the same stem and hash: astronomically rare
            slug = f"{slug}-{len(slugs)}"
        slugs.add(slug)
        for subject in course.get("subjects_isced") or []:
            code, labels = subject.get("code"), subject.get("labels") or {}
            for lang in LANGUAGES:
                if code and labels.get(lang):
                    strings[lang].setdefault(f"isced.{code}", str(labels[lang]))
        index.add(course, slug)
        provider = names.get(str(course.get("institution")), {}).get(ui)
        html = course_page.render(
            **common,
            root="../",
            c=page_context(course),
            # script_json escapes < > & so no value can end the script element (RELIABILITY H5)
            jsonld=Markup(script_json(json_ld(course, provider))),  # noqa: S704
        )
        _write(root / "courses" / f"{slug}.html", html)

    document = index.document(audience=audience, default_ui=ui, generated_at=generated)
    index_js = f"window.MOOCX_INDEX={script_json(document)};\n"
    _write(root / "data" / "index.js", index_js)
    i18n = {"languages": LANGUAGES, "endonyms": ENDONYMS, "strings": strings}
    _write(root / "data" / "i18n.js", f"window.MOOCX_I18N={script_json(i18n)};\n")
    audience_name = names.get(audience, {}).get(ui, audience)
    _write(
        root / "index.html",
        env.get_template("index.html").render(**common, root="", audience_name=audience_name),
    )
    (root / MARKER).write_text(f"{audience}\n{generated_at.isoformat()}\n", encoding="utf-8")
    return SiteStats(
        courses=len(index.rows),
        pages=len(slugs) + 1,
        index_bytes=len(index_js.encode("utf-8")),
    )


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
    """Delete ``.DIR.tmp-*`` / ``.DIR.old-*`` left by crashed exports (old enough not to be
    another export still at work)."""
    cutoff = time.time() - STALE_AFTER
    for pattern in (f".{target.name}.tmp-*", f".{target.name}.old-*"):
        for path in target.parent.glob(pattern):
            try:
                if path.is_dir() and path.stat().st_mtime < cutoff:
                    shutil.rmtree(path, ignore_errors=True)
            except OSError:
                continue


def _swap(new: Path, target: Path) -> None:
    if not (target.exists() or target.is_symlink()):
        os.rename(new, target)
        return
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
