"""The config's tables as typed, frozen pydantic models: what each key takes and its default.

Validation only: the messages an admin reads are made from pydantic's errors in
:mod:`scheduler.config_paths`, checks across entries live in :mod:`scheduler.config_checks`, and
:mod:`scheduler.config` turns the validated document into a :class:`~scheduler.config.Config`.
The ``[http]`` tables are derived from the HTTP client's settings (:mod:`scheduler.config_http`).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, field_validator

from scheduler.config_http import FeedHttpConfig, HttpConfig

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CatalogConfig(Strict):
    #: SQLAlchemy URL. Relative SQLite paths are resolved against the config file's folder.
    url: str = "sqlite:///catalog.db"


class Names(Strict):
    vi: str | None = None
    zh: str | None = None
    en: str | None = None


class InstitutionConfig(Strict):
    id: Identifier
    names: Names
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$")
    timezone: str = "UTC"
    #: A [[credit_systems]] id: how this institution counts credits.
    credit_system: str | None = None
    #: The language its students read (vi, zh, en): the site opens in it, offers show the
    #: rules' notes in it and its CSV names subjects in it. Default: from the country
    #: (VN → vi, CN/TW/HK/MO → zh), else en.
    language: Literal["vi", "zh", "en"] | None = None

    @property
    def reading_language(self) -> str:
        """``language``, else the language of its country (VN → vi, CN/TW/HK/MO → zh), else en."""
        if self.language:
            return self.language
        return {"VN": "vi", "CN": "zh", "TW": "zh", "HK": "zh", "MO": "zh"}.get(
            self.country or "", "en"
        )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_zone(value)


class AuthConfig(Strict):
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    token_url: str | None = None
    token_type: Literal["jwt", "bearer"] = "jwt"

    @field_validator("token_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return None if value is None else check_http_url(value)


def parse_duration(value: str | float | int) -> timedelta:
    """``"7d"``, ``"12h"``, ``"30m"``, ``"45s"`` or a number of seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like 7d, 12h, 30m or 45s")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([dhms]?)\s*", value)
        if not match:
            raise ValueError(f"{value!r} is not a duration like 7d, 12h, 30m or 45s")
        unit = {"d": 86400, "h": 3600, "m": 60, "s": 1, "": 1}[match.group(2)]
        seconds = float(match.group(1)) * unit
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return timedelta(seconds=seconds)


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Fraction = Annotated[float, Field(ge=0, le=1)]


class SyncConfig(Strict):
    """``[sync]``: how careful every feed's sync is (each feed may override the first three)."""

    full_sync_every: Duration = timedelta(days=7)
    max_withdraw_fraction: Fraction = 0.2
    max_rejected_fraction: Fraction = 0.1
    lease_ttl: Duration = timedelta(minutes=5)
    resume_max_age: Duration = timedelta(hours=24)


class ServiceConfig(Strict):
    """``[service]``: how ``moocx serve`` schedules, backs off, stops and reports."""

    #: IANA zone the feeds' crontab schedules are read in.
    timezone: str = "UTC"
    #: Each run starts up to this many seconds late, at random, so feeds do not stampede.
    jitter: Duration | None = None
    #: A run missed by less than this (the service was down) still runs once when it is back.
    misfire_grace_time: Duration = timedelta(hours=1)
    #: On SIGTERM/SIGINT, wait this long for a running sync to finish its page; then exit anyway.
    stop_timeout: Duration = timedelta(seconds=30)
    #: After a failure, the feed's next run waits backoff_base × 2^(failures-1), at most
    #: backoff_max (or its next scheduled run, if that is later). A success resets it.
    backoff_base: Duration = timedelta(minutes=5)
    backoff_max: Duration = timedelta(hours=6)
    #: Rewritten after every run and on every heartbeat; `moocx status` reads it.
    status_file: str = "moocx-status.json"
    heartbeat_interval: Duration = timedelta(seconds=30)
    #: `moocx status` reports a feed unhealthy past this many failures in a row.
    max_consecutive_failures: int = Field(3, ge=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_zone(value)


class CreditSystemConfig(Strict):
    """``[[credit_systems]]``: contact hours per credit (tín chỉ 15, 学分 16, ECTS 25–30)."""

    id: Identifier
    hours_per_credit: float = Field(gt=0)
    names: Names | None = None


class CreditsConfig(Strict):
    """``[credits]``: rounding of converted credits and the equivalence register."""

    #: Converted home credits are rounded to a multiple of this.
    rounding: float = Field(0.5, ge=0)
    #: A CSV file (relative to the config): host_institution, host_course, home_institution,
    #: home_course, status (approved | conditional | partial), home_credits, valid_terms (";").
    equivalences: str | None = None


class FiltersConfig(Strict):
    languages: list[str] = Field(default_factory=list)
    subjects: list[str] = Field(default_factory=list)
    levels: list[str] = Field(default_factory=list)
    organizations: list[str] = Field(default_factory=list)
    pacing: list[Literal["instructor", "self"]] = Field(default_factory=list)
    courses: list[str] = Field(default_factory=list)


class TermConfig(Strict):
    name: str = Field(min_length=1, max_length=64)
    #: Dates in the offering institution's timezone.
    application_start: date | None = None
    application_end: date | None = None
    seats: int | None = Field(None, ge=0)
    runs_starting_from: date | None = None
    runs_starting_until: date | None = None


class ExchangeRuleConfig(Strict):
    """``[[exchange]]``: courses of ``from`` open to the students of ``to``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: Identifier
    offering: str = Field(alias="from")
    audience: str = Field(alias="to")
    include: FiltersConfig = FiltersConfig()
    exclude: FiltersConfig = FiltersConfig()
    terms: list[TermConfig] = Field(default_factory=list)
    default_credits: float | None = Field(None, ge=0)
    #: Shown to students with every offer: one text, or one per language
    #: (``notes = { vi = "…", zh = "…", en = "…" }``; students see their own language's).
    notes: str | Names | None = None


class ExportConfig(Strict):
    """``[[exports]]``: a file (or site) rebuilt after every sync that changed the catalog."""

    format: Literal["json", "csv", "site"]
    #: Where to write it; relative paths are relative to the config file.
    path: str
    #: The institution whose students it is for (formats that filter by audience use it).
    audience: str | None = None


class FeedConfig(Strict):
    id: Identifier
    institution: str
    connector: str
    base_url: str
    schedule: str = "0 3 * * *"
    enabled: bool = True
    options: dict[str, Any] = Field(default_factory=dict)
    auth: AuthConfig | None = None
    http: FeedHttpConfig | None = None
    full_sync_every: Duration | None = None
    max_withdraw_fraction: Fraction | None = None
    max_rejected_fraction: Fraction | None = None

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return check_http_url(value).rstrip("/")

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        from scheduler.cron import cron_trigger  # APScheduler: only for configs with schedules

        try:
            cron_trigger(value)
        except ValueError as exc:
            if value.strip().startswith("@"):  # a shorthand's message says what it is
                raise ValueError(str(exc)) from None
            raise ValueError(f'"{value}" is not a cron expression: {exc}') from None
        return value


class ConfigModel(Strict):
    catalog: CatalogConfig = CatalogConfig()
    http: HttpConfig = HttpConfig()
    sync: SyncConfig = SyncConfig()
    service: ServiceConfig = ServiceConfig()
    exports: list[ExportConfig] = Field(default_factory=list)
    credit_systems: list[CreditSystemConfig] = Field(default_factory=list)
    credits: CreditsConfig = CreditsConfig()
    exchange: list[ExchangeRuleConfig] = Field(default_factory=list)
    subjects: dict[str, str] = Field(default_factory=dict)
    institutions: list[InstitutionConfig] = Field(default_factory=list)
    feeds: list[FeedConfig] = Field(default_factory=list)


def check_zone(value: str) -> str:
    if value.upper() == "UTC":
        return "UTC"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Ho_Chi_Minh)") from None
    return value


def check_http_url(value: str) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value
