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
from urllib.parse import urlsplit
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


#: The OAI-PMH ``repositoryIdentifier`` grammar (a domain name), from the spec's
#: oai-identifier schema: letters first in every label, at least two labels.
_NODE_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*(\.[a-zA-Z][a-zA-Z0-9-]*)+")
_EMAIL = re.compile(r"[^@\s<>\"(),;:]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_LISTEN = re.compile(r"(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(?P<port>\d{1,5})")


class PublishConfig(Strict):
    """``[publish]``: the node's identity and what it publishes (consent, by institution)."""

    #: The OAI-PMH repository identifier: a domain name the node controls.
    node_id: str
    #: The public root of ``moocx web`` (``https://mooc.vnu.edu.vn/exchange``).
    base_url: str
    repository_name: str = Field(min_length=1, max_length=200)
    #: One address or a list of them (OAI-PMH Identify's ``adminEmail``).
    admin_email: str | list[str]
    #: The institutions whose courses are published; nothing else is, ever (default: none).
    institutions: list[str] = Field(default_factory=list)
    #: The audiences whose offers are published (feeds, exchange JSON); default: every one.
    audiences: list[str] | None = None
    #: Records per OAI-PMH ListRecords/ListIdentifiers page.
    page_size: int = Field(200, ge=10, le=1000)
    #: How long a resumption token stays valid (OAI best practice: at least 24 hours).
    token_lifetime: Duration = timedelta(days=2)

    @field_validator("node_id")
    @classmethod
    def _domain(cls, value: str) -> str:
        if not _NODE_ID.fullmatch(value) or len(value) > 253:
            raise ValueError(
                f"{value!r} is not a domain name (the OAI-PMH repository identifier), "
                "e.g. mooc.vnu.edu.vn"
            )
        return value.lower()

    @field_validator("base_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        return check_public_url(value)

    @field_validator("admin_email")
    @classmethod
    def _emails(cls, value: str | list[str]) -> str | list[str]:
        values = [value] if isinstance(value, str) else value
        if not values:
            raise ValueError("give at least one e-mail address")
        for email in values:
            if not _EMAIL.fullmatch(email):
                raise ValueError(f"{email!r} is not an e-mail address")
        return value

    @field_validator("token_lifetime")
    @classmethod
    def _a_day_at_least(cls, value: timedelta) -> timedelta:
        if value < timedelta(hours=24):
            raise ValueError(
                "a resumption token must stay valid for at least 24h (harvesters resume "
                "large lists the next day)"
            )
        return value

    @property
    def admin_emails(self) -> tuple[str, ...]:
        return (self.admin_email,) if isinstance(self.admin_email, str) else tuple(self.admin_email)


class WebConfig(Strict):
    """``[web]``: how ``moocx web`` listens and what it serves besides the protocols."""

    #: HOST:PORT (``[::1]:8080`` for IPv6).
    listen: str = "127.0.0.1:8080"
    #: waitress worker threads.
    threads: int = Field(8, ge=1, le=256)
    #: Serve the ``[[exports]] format = "site"`` folders under ``/site/{audience}/``.
    site: bool = True
    #: ``Access-Control-Allow-Origin`` of the JSON endpoints (``*``: any origin).
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        parse_listen(value)
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and not re.fullmatch(r"https?://[^/\s?#]+", origin):
                raise ValueError(
                    f"{origin!r} is not an origin: write * or scheme://host[:port], no path"
                )
        return value


def parse_listen(value: str) -> tuple[str, int]:
    """``"127.0.0.1:8080"`` → ``("127.0.0.1", 8080)``; ``"[::1]:80"`` → ``("::1", 80)``."""
    match = _LISTEN.fullmatch(value.strip())
    port = int(match.group("port")) if match else -1
    if match is None or not 0 <= port <= 65535:
        raise ValueError(f"{value!r} is not HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)")
    return match.group("host").strip("[]"), port


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
    publish: PublishConfig | None = None
    web: WebConfig = WebConfig()


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


def check_public_url(value: str) -> str:
    """An absolute http(s) URL others are given: no credentials, query or fragment; the
    trailing slash removed (paths are appended to it)."""
    check_http_url(value)
    parts = urlsplit(value)
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{value!r} holds credentials; a public URL must not")
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise ValueError(f"{value!r} has a query or fragment; give the service's root URL only")
    return value.rstrip("/")
