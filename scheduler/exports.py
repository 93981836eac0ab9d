"""Writing exports so that a reader never sees half a file: a temporary file, then a rename.

Used by ``moocx export``, by ``moocx demo`` and by ``moocx serve``, which rebuilds the configured
``[[exports]]`` after every sync that changed the catalog.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from sqlalchemy import Engine

from catalog.export_json import write_json
from scheduler.config import Config, ExportConfig

log = logging.getLogger(__name__)


@contextmanager
def atomic_text(path: Path) -> Iterator[TextIO]:
    """Write to a temporary file beside ``path`` and rename it into place when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_export(engine: Engine, export: ExportConfig) -> int:
    """Write one configured export in place, atomically; returns the number of courses."""
    with atomic_text(Path(export.path)) as fh:
        return write_json(engine, fh)


def rebuild_all(config: Config, engine: Engine) -> list[tuple[ExportConfig, int]]:
    """Every configured export, each written atomically; a failing one does not stop the rest."""
    done = []
    for export in config.exports:
        try:
            done.append((export, write_export(engine, export)))
            log.info("export %s rebuilt (%s)", export.path, export.format)
        except OSError as exc:
            log.error("export %s could not be written: %s", export.path, exc)
    return done
