"""Where the config's paths point: relative to the config file's folder, never to the working
directory (``moocx`` run from cron, systemd or another folder reads the same files)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


def relative_to(config: Path | None, value: str) -> Path:
    """Paths in the config are relative to the config file's folder."""
    target = Path(value).expanduser()
    if target.is_absolute() or config is None:
        return target
    return config.resolve().parent / target


def resolve_sqlite(url: str, path: Path | None) -> str:
    """Relative SQLite paths are relative to the config file, not to the working directory."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # the catalog reports a malformed URL when it opens it
    database = parsed.database
    if path is None or parsed.get_backend_name() != "sqlite" or not database:
        return url
    if database == ":memory:" or database.startswith("file:") or Path(database).is_absolute():
        return url
    resolved = (path.resolve().parent / database).as_posix()
    return parsed.set(database=resolved).render_as_string(hide_password=False)
