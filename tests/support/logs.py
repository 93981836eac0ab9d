"""Putting the process's logging back after a test ran ``moocx``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

#: The loggers ``scheduler.logs.setup`` configures ("" is the root).
CONFIGURED = ("", "urllib3", "apscheduler", "moocx.progress", "moocx.service")


@contextmanager
def logging_kept() -> Iterator[None]:
    """``moocx`` sets up logging for the whole process (a root handler and level, the levels of
    urllib3, APScheduler and its own loggers): put it back afterwards, so a CLI run cannot
    change what a later test captures."""
    loggers = [logging.getLogger(name or None) for name in CONFIGURED]
    saved = [(logger, logger.level, list(logger.handlers)) for logger in loggers]
    try:
        yield
    finally:
        for logger, level, handlers in saved:
            logger.setLevel(level)
            logger.handlers[:] = handlers
