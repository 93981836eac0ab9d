"""When to retry a request and how long to wait first.

Connection errors, timeouts, 408, 429 and 5xx are retried with exponential backoff and "equal
jitter"; a server's own ``Retry-After`` (seconds or an HTTP date) wins over the backoff, and so
does the wait Open edX writes into its throttling message when its 429 lost the header.
"""

from __future__ import annotations

import email.utils
import random
import re
from datetime import UTC, datetime

from connectors.http_response import HttpResponse
from connectors.http_settings import HttpSettings

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_THROTTLE_HINT = re.compile(r"available in (\d+(?:\.\d+)?) seconds?", re.I)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def server_wait(response: HttpResponse) -> float | None:
    """How long the server asks us to wait before the next attempt, if it says."""
    wait = parse_retry_after(response.headers.get("Retry-After"))
    if wait is None and response.status == 429:
        # Open edX rebuilds its 429 response and loses DRF's Retry-After header; the
        # wait survives only in the message ("Expected available in 37 seconds.").
        match = _THROTTLE_HINT.search(response.content[:2000].decode("utf-8", "replace"))
        if match:
            wait = float(match.group(1))
    return wait


def backoff(settings: HttpSettings, attempt: int, rng: random.Random) -> float:
    """The wait before retry number ``attempt + 1``: between half and all of
    ``backoff_base × 2^attempt``, at most ``backoff_max``."""
    base = min(settings.backoff_max, settings.backoff_base * (2**attempt))
    return base * (0.5 + rng.random() / 2)


def attempts(n: int) -> str:
    """``1 attempt``, ``5 attempts``."""
    return f"{n} attempt{'s' if n != 1 else ''}"
