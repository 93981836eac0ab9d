"""The site's folder on disk: replaced whole, never half-written, never someone else's.

The site is written into ``.DIR.tmp-XXXX`` beside ``DIR`` (:func:`new_folder`). When it is
complete, an existing ``DIR`` is renamed to ``.DIR.old-XXXX``, the new one renamed to ``DIR``, and
the old one deleted (:func:`swap`). Each rename is atomic, so a reader sees the old site, the new
site, or — for the instant between the two renames — no directory, but never a mix. A symlink
swap would close that instant, but ``DIR`` must stay a plain folder a student can copy to a USB
stick or zip. A crash (even ``kill -9``) leaves the old site whole and a ``.tmp-`` folder that
the next export removes (:func:`remove_old_exports`): a running export holds a lock on its
``.tmp-`` folder, and on the site it retires, so another export can tell a crashed one's
leftovers from a live one's work (catalog/present/files.py). An existing ``DIR`` is replaced only
if it is empty or carries the :data:`MARKER` file (:func:`check_replaceable`), so a mistyped
``--out ~/Documents`` cannot delete anyone's files.

The course pages go to ``courses/``, one file each, created exclusively (:class:`CourseFiles`).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from pathlib import Path

from catalog.errors import SiteError
from catalog.present.files import create_new, lock_existing, lock_new, release, remove_leftovers

#: The file that marks a directory as a site moocx wrote, so a later export may replace it.
MARKER = ".moocx-site"


class CourseFiles:
    """The ``courses/`` folder: one file per course, created exclusively (``O_EXCL``), so a
    course met twice finds its page already there and no set of ids seen has to grow."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fd: int | None = None

    def __enter__(self) -> CourseFiles:
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


def check_replaceable(target: Path) -> None:
    """Raise :class:`SiteError` unless ``target`` is absent, empty or a site (:data:`MARKER`)."""
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


def remove_old_exports(target: Path) -> None:
    """Delete the ``.DIR.tmp-*`` / ``.DIR.old-*`` folders of exports that were killed: those
    whose lock no running export holds (catalog/present/files.py)."""
    name = re.escape(target.name)
    remove_leftovers(target.parent, re.compile(rf"\.{name}\.(tmp|old)-[0-9a-f]{{8}}"))


def new_folder(target: Path) -> tuple[Path, int | None]:
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


def swap(new: Path, target: Path) -> None:
    """Put the complete site ``new`` in the place of ``target`` (retiring the old one)."""
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
