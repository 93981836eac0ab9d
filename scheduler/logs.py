"""Logging for the CLI and the service: plain lines or JSON lines, secrets redacted.

Libraries log through ``logging.getLogger(__name__)``; only this module decides where lines go.
A redaction filter replaces every configured secret value with ``***`` in every record, as a last
line of defence behind the rule that secrets are never formatted into messages at all.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

PLAIN_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


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
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(PLAIN_FORMAT))
    handler.addFilter(_redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_moocx", False):
            root.removeHandler(old)
    handler._moocx = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # Progress lines are what a non-interactive `moocx sync` shows by default.
    logging.getLogger("moocx.progress").setLevel(min(level, logging.INFO))
    # urllib3 logs full URLs at DEBUG; keep it at INFO unless asked for everything.
    logging.getLogger("urllib3").setLevel(max(level, logging.INFO))
