"""How exports create their files: with the mode any program's new file gets, never half-written.

**Mode.** Every file an export writes — the JSON and CSV files, every file of the static site —
is created with :data:`FILE_MODE` (``0o666``) less the process umask, as ``open()`` and
``touch`` create files: ``0644`` under the usual umask ``022``, so the web server that serves
the exports can read them, and ``0600`` for an admin whose umask says so. The umask is applied
by the kernel when the file is created (``os.open(…, mode)``), never read with ``os.umask``,
which would change it for every thread of the process for an instant.

``tempfile.mkstemp`` creates ``0600`` files whatever the umask; a file renamed into place keeps
the mode it was created with, so exports do not use it.

**Never half a file.** :func:`atomic_text` writes beside the target and renames the complete file
over it (``os.replace``: atomic on POSIX and Windows), so a reader sees the old file or the new
one. The site does the same for its whole directory (catalog/present/site/build.py).

**Leftovers** (RELIABILITY.md H8). An export killed mid-write (``kill -9``, a power cut) leaves
its temporary file or folder behind; the next export of the same target removes it. What tells
a leftover from the temporary file of an export still at work — another process, a cron
``moocx export`` beside ``moocx serve``, another container on the same volume — is a lock: a
running export holds an exclusive ``flock`` on its temporary file or folder, and the kernel
drops it when the process ends, however it ends. A pid would not do: pids are reused, and a
container sees other pids than its neighbours. Where no lock can be taken (Windows, a file
system without ``flock``), a leftover is removed once it is :data:`STALE_AFTER` old.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

try:
    import fcntl
except ImportError:  # Windows: leftovers are told by their age alone
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "FILE_MODE",
    "NEW_FILE_FLAGS",
    "STALE_AFTER",
    "atomic_text",
    "create_new",
    "lock_existing",
    "lock_new",
    "release",
    "remove_leftovers",
]

#: The mode new files are created with, before the umask: what ``open(path, "w")`` uses.
FILE_MODE = 0o666
#: Create a new file for writing, failing if it exists. ``O_BINARY``: on Windows a descriptor is
#: in text mode otherwise, and ``"\n"`` would become ``"\r\n"``.
NEW_FILE_FLAGS = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)


log = logging.getLogger(__name__)

#: Seconds after which a leftover that no lock can vouch for is taken for a crashed export's.
STALE_AFTER = 3600
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)


def create_new(path: str | Path, *, dir_fd: int | None = None) -> int:
    """Create ``path`` (relative to ``dir_fd`` if given), which must not exist; returns its
    descriptor, open for writing, mode :data:`FILE_MODE` less the umask."""
    return os.open(path, NEW_FILE_FLAGS, FILE_MODE, dir_fd=dir_fd)


@contextmanager
def atomic_text(path: Path, *, encoding: str = "utf-8") -> Iterator[TextIO]:
    """A text stream to a temporary file beside ``path``, renamed over ``path`` when the block
    ends without an error (and deleted if it raises). Newlines are written as given. The
    temporary files of killed writers of ``path`` are removed first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(path.parent, re.compile(rf"\.{re.escape(path.name)}\.[0-9a-f]{{8}}\.tmp"))
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = create_new(tmp)
        except FileExistsError:  # another writer's temporary file: pick another name
            continue
        try:
            lock = lock_new(tmp, fd=fd)
            break
        except FileNotFoundError:  # taken for a leftover before we locked it: another name
            os.close(fd)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        release(lock)  # after the rename: until then the temporary file is visibly ours


def _try_lock(fd: int, *, wait: bool = False) -> bool | None:
    """An exclusive ``flock`` on ``fd``: True taken, False held by a live process, None where
    this system or file system has no such locks."""
    if fcntl is None:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return None
    return True


def _names(path: Path, fd: int) -> bool:
    """Whether ``path`` still names the file or folder open as ``fd``."""
    try:
        found, held = os.stat(path, follow_symlinks=False), os.fstat(fd)
    except FileNotFoundError:
        return False
    return (found.st_dev, found.st_ino) == (held.st_dev, held.st_ino)


def lock_new(path: Path, *, fd: int | None = None) -> int | None:
    """Mark the file or folder just created at ``path`` (open as ``fd``, if given) as a running
    export's: the descriptor holding its lock, for :func:`release` (None where locks cannot be
    taken). A lock taken through a copy of ``fd`` outlives ``fd`` being closed.

    Raises FileNotFoundError when another export's :func:`remove_leftovers` took it for a
    leftover in the instant between its creation and the lock: the caller picks another name.
    """
    if fcntl is None:
        return None
    fd = os.dup(fd) if fd is not None else os.open(path, _OPEN_FLAGS)
    taken = _try_lock(fd)
    if taken is None:
        os.close(fd)
        return None
    if not taken or not _names(path, fd):
        os.close(fd)
        raise FileNotFoundError(path)
    return fd


def lock_existing(path: Path) -> int | None:
    """Lock the folder ``path`` (an existing site about to be retired), waiting for another
    export that is replacing it; the descriptor for :func:`release`, or None where locks cannot
    be taken. Raises FileNotFoundError if ``path`` is gone."""
    if fcntl is None:
        return None
    while True:
        fd = os.open(path, _OPEN_FLAGS)
        taken = _try_lock(fd, wait=True)
        if taken is None:
            os.close(fd)
            return None
        if _names(path, fd):
            return fd
        os.close(fd)  # replaced while we waited: lock the new one


def release(fd: int | None) -> None:
    """Give up a lock taken by :func:`lock_new` or :func:`lock_existing`."""
    if fd is not None:
        os.close(fd)


def remove_leftovers(folder: Path, names: re.Pattern[str]) -> list[Path]:
    """Delete the files and folders in ``folder`` whose whole name matches ``names`` and that no
    running export holds: what killed exports left. Returns what was deleted."""
    try:
        entries = [entry for entry in os.scandir(folder) if names.fullmatch(entry.name)]
    except OSError:
        return []
    removed = []
    for entry in entries:
        path = Path(entry.path)
        try:
            if not entry.is_symlink() and _remove_if_abandoned(path):
                log.info("removed %s, left by an export that did not finish", path)
                removed.append(path)
        except OSError:
            continue  # gone already, or not ours to delete: the next export tries again
    return removed


def _remove_if_abandoned(path: Path) -> bool:
    fd = os.open(path, _OPEN_FLAGS) if fcntl is not None else None
    try:
        taken = None if fd is None else _try_lock(fd)
        if taken is False:
            return False  # a running export's
        if taken is None and os.stat(path).st_mtime > time.time() - STALE_AFTER:
            return False  # no lock can tell: only an old one is surely a leftover
        if fd is not None and not _names(path, fd):
            return False
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        return True
    finally:
        release(fd)
