"""Logging for the CLI and the service: plain lines or JSON lines, secrets redacted.

Libraries log through ``logging.getLogger(__name__)``; only this module decides where lines go.
A redaction filter replaces every configured secret value with ``***`` in every record, as a last
line of defence behind the rule that secrets are never formatted into messages at all.

Two loggers speak at INFO even when the rest is at WARNING: ``moocx.progress`` (what a
non-interactive ``moocx sync`` shows) and ``moocx.service`` (what ``moocx serve`` does: start,
runs, reloads, stop). APScheduler's own lines ("Added job", "Running job"…) are internals of
the service: they show only with ``-vv``; its errors always do. Plain lines carry their time
with its UTC offset, in the local zone or the one :func:`use_timezone` names (``moocx serve``
uses ``[service] timezone``, the zone its schedules are read in).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo

from scheduler.display import offset, zone

PLAIN_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

#: The loggers shown at INFO by default (see the module docstring).
PROGRESS_LOGGER, SERVICE_LOGGER = "moocx.progress", "moocx.service"

#: The zone plain lines are stamped in; None: the machine's local zone.
_zone: tzinfo | None = None


def use_timezone(name: str | None) -> None:
    """Stamp plain log lines in this IANA zone from now on (None: the local zone)."""
    global _zone  # noqa: PLW0603 -- one process, one log clock
    _zone = zone(name) if name is not None else None


class PlainFormatter(logging.Formatter):
    """``2026-12-02 09:30:05 +07:00 INFO    moocx.service: …``: the time says its offset."""

    def __init__(self) -> None:
        super().__init__(PLAIN_FORMAT)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        local = moment.astimezone(_zone) if _zone is not None else moment.astimezone()
        return f"{local:%Y-%m-%d %H:%M:%S} {offset(local)}"


class RedactSecrets(logging.Filter):
    """Masks known secret values in log messages and their arguments."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: set[str] = {s for s in secrets if s}

    def add(self, secrets: Iterable[str]) -> None:
        self.secrets.update(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            masked = message
            for secret in self.secrets:
                masked = masked.replace(secret, "***")
            if masked != message:
                record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and any ``extra`` fields."""

    _STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in self._STANDARD and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


_redactor = RedactSecrets()


def redactor() -> RedactSecrets:
    """The process-wide redaction filter (the CLI adds the config's secrets to it)."""
    return _redactor


def setup(level: int = logging.WARNING, fmt: str = "plain") -> None:
    """Send log records to stderr in ``fmt`` ("plain" or "json") at ``level``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else PlainFormatter())
    handler.addFilter(_redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_moocx", False):
            root.removeHandler(old)
    handler._moocx = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # Progress lines are what a non-interactive `moocx sync` shows by default, and the
    # service's events what `moocx serve` shows.
    for name in (PROGRESS_LOGGER, SERVICE_LOGGER):
        logging.getLogger(name).setLevel(min(level, logging.INFO))
    # APScheduler's bookkeeping ("Added job", "Running job", "Job executed successfully") only
    # with -vv: the service says what happened in its own words, the feed id once per line.
    logging.getLogger("apscheduler").setLevel(
        logging.DEBUG if level <= logging.DEBUG else logging.ERROR
    )
    # urllib3 logs full URLs at DEBUG; keep it at INFO unless asked for everything.
    logging.getLogger("urllib3").setLevel(max(level, logging.INFO))
