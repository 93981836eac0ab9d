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
one. The site does the same for its whole directory (catalog/site/build.py).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

__all__ = ["FILE_MODE", "NEW_FILE_FLAGS", "atomic_text", "create_new"]

#: The mode new files are created with, before the umask: what ``open(path, "w")`` uses.
FILE_MODE = 0o666
#: Create a new file for writing, failing if it exists. ``O_BINARY``: on Windows a descriptor is
#: in text mode otherwise, and ``"\n"`` would become ``"\r\n"``.
NEW_FILE_FLAGS = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)


def create_new(path: str | Path, *, dir_fd: int | None = None) -> int:
    """Create ``path`` (relative to ``dir_fd`` if given), which must not exist; returns its
    descriptor, open for writing, mode :data:`FILE_MODE` less the umask."""
    return os.open(path, NEW_FILE_FLAGS, FILE_MODE, dir_fd=dir_fd)


@contextmanager
def atomic_text(path: Path, *, encoding: str = "utf-8") -> Iterator[TextIO]:
    """A text stream to a temporary file beside ``path``, renamed over ``path`` when the block
    ends without an error (and deleted if it raises). Newlines are written as given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = create_new(tmp)
            break
        except FileExistsError:  # another writer's temporary file: pick another name
            continue
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
