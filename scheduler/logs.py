"""Logging for the CLI and the service: plain lines or JSON lines, secrets redacted.

Libraries log through ``logging.getLogger(__name__)``; only this module decides where lines go.
A redaction filter replaces every configured secret value, and anything in a URL that looks like
a credential, with ``***`` in every record, as a last line of defence behind the rule that
secrets are never formatted into messages at all.

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
from typing import Any

from connectors.redact import redact_text
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
    """Masks secrets in every record: the configured secret values, and what looks like one in
    any URL (userinfo, ``?api_key=``/``token=``/``access_token=``… values, a quoted
    ``Authorization`` credential) even when no config names it (RELIABILITY.md K2).

    It rewrites the message, the exception text (formatted here, so the formatter prints the
    masked one) and string ``extra`` fields (the JSON lines carry them): urllib3 puts full URLs
    in its DEBUG lines and requests in its exception messages, neither through our code.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: set[str] = {s for s in secrets if s}

    def add(self, secrets: Iterable[str]) -> None:
        self.secrets.update(s for s in secrets if s)

    def mask(self, text: str) -> str:
        """``text`` with every secret it holds replaced by ``***``."""
        masked = redact_text(text)
        # Longest first: a secret that contains another is masked whole.
        for secret in sorted(self.secrets, key=len, reverse=True):
            masked = masked.replace(secret, "***")
        return masked

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        for key, value in vars(record).items():
            if key not in _STANDARD and isinstance(value, str | list | dict):
                setattr(record, key, self._masked(value))
        return True

    def _masked(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, list):
            return [self._masked(v) for v in value]
        if isinstance(value, dict):
            return {k: self._masked(v) for k, v in value.items()}
        return value


#: The attributes every record has; anything else came in through ``extra``.
_STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}
#: Formats tracebacks for :class:`RedactSecrets` exactly as every formatter here would.
_TRACEBACKS = logging.Formatter()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = value
        if record.exc_text:  # the redaction filter leaves the masked traceback here
            payload["exception"] = record.exc_text
        elif record.exc_info:
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
    # urllib3's DEBUG lines (each connection, each request line with its status) only with -vv:
    # they quote full URLs, query strings included, which the redaction filter masks.
    logging.getLogger("urllib3").setLevel(
        logging.DEBUG if level <= logging.DEBUG else max(level, logging.INFO)
    )
