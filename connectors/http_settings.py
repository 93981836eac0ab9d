"""The HTTP limits of one feed, declared once.

:class:`HttpSettings` is what :class:`~connectors.http.HttpClient` obeys. Each field also carries
a :class:`Setting` — its bounds, its documentation and how the config writes it — so that the
config's ``[http]`` and ``[feeds.http]`` tables (scheduler/config_http.py) are derived from this
one declaration: a new limit is a new field here, and nothing else. Defaults follow
shared/RELIABILITY.md (e).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Setting:
    """How one :class:`HttpSettings` field is bounded, documented and written in the config."""

    doc: str
    #: Bounds on the config's value (exclusive ``gt``, inclusive ``ge`` and ``le``).
    gt: float | None = None
    ge: float | None = None
    le: float | None = None
    #: The config key when it differs from the field's name (``max_response_mb``) ...
    key: str | None = None
    #: ... and how many of the field's units one of the key's is (a MiB is 1,048,576 bytes).
    scale: int = 1


def _limit(default: Any, setting: Setting) -> Any:
    return field(default=default, metadata={"setting": setting})


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """Limits for one feed's HTTP traffic."""

    connect_timeout: float = _limit(10.0, Setting("Seconds to establish a connection.", gt=0))
    read_timeout: float = _limit(
        30.0, Setting("Seconds of silence allowed while waiting for bytes.", gt=0)
    )
    deadline: float = _limit(
        120.0, Setting("Total seconds one attempt may take, headers and body together.", gt=0)
    )
    max_retries: int = _limit(
        4,
        Setting(
            "Retries after the first attempt (so at most max_retries + 1 requests per call).",
            ge=0,
            le=10,
        ),
    )
    backoff_base: float = _limit(
        1.0, Setting("The first retry waits about this long; it doubles each time.", ge=0)
    )
    backoff_max: float = _limit(60.0, Setting("The longest wait between retries.", ge=0))
    retry_after_max: float = _limit(
        300.0,
        Setting("The longest Retry-After we will sleep; a longer one fails the call.", ge=0),
    )
    max_response_bytes: int = _limit(
        50 * MiB,
        Setting(
            "Cap on a decoded response body (the config gives it in MiB).",
            gt=0,
            key="max_response_mb",
            scale=MiB,
        ),
    )
    max_redirects: int = _limit(5, Setting("Redirects followed per request.", ge=0, le=20))
    min_interval: float = _limit(
        0.0, Setting("Politeness: the least seconds between two requests of this client.", ge=0)
    )
    proxy: str | None = _limit(
        None,
        Setting("Explicit proxy URL (trust_env is off, so environment proxies are ignored)."),
    )

    @classmethod
    def from_config(cls, values: Mapping[str, Any]) -> HttpSettings:
        """The settings from config keys (``max_response_mb`` …); a key left out keeps its
        default."""
        given: dict[str, Any] = {}
        for name, setting, _default in config_fields():
            key = setting.key or name
            if key in values:
                value = values[key]
                given[name] = value if setting.scale == 1 else int(value * setting.scale)
        return cls(**given)


def config_fields() -> Iterator[tuple[str, Setting, Any]]:
    """``(field name, its Setting, its default)`` for every field, in declaration order."""
    for f in dataclasses.fields(HttpSettings):
        yield f.name, f.metadata["setting"], f.default
