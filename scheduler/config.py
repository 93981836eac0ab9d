"""The TOML config: read, interpolate ``${ENV_VARS}``, validate, and hand out typed values.

Every error is collected — not just the first — and named by its key path and the entry's id
(``feeds[1] (vnu-oai).schedule: "0 25 * * *" is not a cron expression: …``), so an admin fixes a
file in one go. Unknown keys are errors with a did-you-mean (a typo must not silently fall back
to a default). Connector options are validated against the connector's own ``Options``
dataclass, found through the registry, with the same key paths. Checks across entries live in
:mod:`scheduler.config_checks`, the key paths in :mod:`scheduler.config_paths`.

Secrets are needed only where they are used. A ``${VAR}`` that is unset inside what only a
harvest reads — ``[http]`` and a feed's ``options``, ``auth`` and ``http`` — does not fail the
load: it is recorded, and :meth:`Config.require_secrets` refuses it for the feeds a harvest is
about to run (``export``, ``search`` or ``feeds`` never need the harvesters' secrets). Anything
else every command reads (the catalog URL, ids, paths) must resolve at load. Secret values never
appear in a message.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_validator,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from catalog.policy import HarvestPolicy
from connectors import registry
from connectors.auth import Secret
from connectors.base import AuthSettings, FeedContext
from connectors.http import HttpSettings
from connectors.redact import url_credentials
from scheduler.config_checks import connector_checks, cross_checks
from scheduler.config_paths import KeyPaths, Loc, Problem, misplaced, pydantic_problem, suggest

ENV_CONFIG = "MOOCX_CONFIG"
DEFAULT_CONFIG = "config.toml"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class ConfigError(Exception):
    """The config cannot be used; ``errors`` lists every problem with its key path."""

    def __init__(self, errors: list[str], path: Path | None = None) -> None:
        self.errors = errors
        self.path = path
        where = f"{path}: " if path else ""
        lines = "\n".join(f"  {e}" for e in errors)
        count = f"{len(errors)} error{'s' if len(errors) != 1 else ''}"
        super().__init__(f"{where}{count} in the config:\n{lines}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CatalogConfig(_Strict):
    #: SQLAlchemy URL. Relative SQLite paths are resolved against the config file's folder.
    url: str = "sqlite:///catalog.db"


class HttpConfig(_Strict):
    connect_timeout: float = Field(10.0, gt=0)
    read_timeout: float = Field(30.0, gt=0)
    deadline: float = Field(120.0, gt=0)
    max_retries: int = Field(4, ge=0, le=10)
    backoff_base: float = Field(1.0, ge=0)
    backoff_max: float = Field(60.0, ge=0)
    retry_after_max: float = Field(300.0, ge=0)
    max_response_mb: float = Field(50.0, gt=0)
    max_redirects: int = Field(5, ge=0, le=20)
    min_interval: float = Field(0.0, ge=0)
    proxy: str | None = None

    def settings(self) -> HttpSettings:
        values = self.model_dump()
        values["max_response_bytes"] = int(values.pop("max_response_mb") * 1024 * 1024)
        return HttpSettings(**values)


class FeedHttpConfig(_Strict):
    """``[feeds.http]``: any ``[http]`` key, overriding it for one feed."""

    connect_timeout: float | None = Field(None, gt=0)
    read_timeout: float | None = Field(None, gt=0)
    deadline: float | None = Field(None, gt=0)
    max_retries: int | None = Field(None, ge=0, le=10)
    backoff_base: float | None = Field(None, ge=0)
    backoff_max: float | None = Field(None, ge=0)
    retry_after_max: float | None = Field(None, ge=0)
    max_response_mb: float | None = Field(None, gt=0)
    max_redirects: int | None = Field(None, ge=0, le=20)
    min_interval: float | None = Field(None, ge=0)
    proxy: str | None = None


class Names(_Strict):
    vi: str | None = None
    zh: str | None = None
    en: str | None = None


class InstitutionConfig(_Strict):
    id: Identifier
    names: Names
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$")
    timezone: str = "UTC"
    #: A [[credit_systems]] id: how this institution counts credits.
    credit_system: str | None = None
    #: The language its students read (vi, zh, en): the site opens in it and offers show the
    #: rules' notes in it. Default: from the country (VN → vi, CN/TW/HK → zh), else en.
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
        return _check_zone(value)


class AuthConfig(_Strict):
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    token_url: str | None = None
    token_type: Literal["jwt", "bearer"] = "jwt"

    @field_validator("token_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return None if value is None else _check_http_url(value)


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


class SyncConfig(_Strict):
    """``[sync]``: how careful every feed's sync is (each feed may override the first three)."""

    full_sync_every: Duration = timedelta(days=7)
    max_withdraw_fraction: Fraction = 0.2
    max_rejected_fraction: Fraction = 0.1
    lease_ttl: Duration = timedelta(minutes=5)
    resume_max_age: Duration = timedelta(hours=24)


class ServiceConfig(_Strict):
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
        return _check_zone(value)


class CreditSystemConfig(_Strict):
    """``[[credit_systems]]``: contact hours per credit (tín chỉ 15, 学分 16, ECTS 25–30)."""

    id: Identifier
    hours_per_credit: float = Field(gt=0)
    names: Names | None = None


class CreditsConfig(_Strict):
    """``[credits]``: rounding of converted credits and the equivalence register."""

    #: Converted home credits are rounded to a multiple of this.
    rounding: float = Field(0.5, ge=0)
    #: A CSV file (relative to the config): host_institution, host_course, home_institution,
    #: home_course, status (approved | conditional | partial), home_credits, valid_terms (";").
    equivalences: str | None = None


class FiltersConfig(_Strict):
    languages: list[str] = Field(default_factory=list)
    subjects: list[str] = Field(default_factory=list)
    levels: list[str] = Field(default_factory=list)
    organizations: list[str] = Field(default_factory=list)
    pacing: list[Literal["instructor", "self"]] = Field(default_factory=list)
    courses: list[str] = Field(default_factory=list)


class TermConfig(_Strict):
    name: str = Field(min_length=1, max_length=64)
    #: Dates in the offering institution's timezone.
    application_start: date | None = None
    application_end: date | None = None
    seats: int | None = Field(None, ge=0)
    runs_starting_from: date | None = None
    runs_starting_until: date | None = None


class ExchangeRuleConfig(_Strict):
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


class ExportConfig(_Strict):
    """``[[exports]]``: a file (or site) rebuilt after every sync that changed the catalog."""

    format: Literal["json", "csv", "site"]
    #: Where to write it; relative paths are relative to the config file.
    path: str
    #: The institution whose students it is for (formats that filter by audience use it).
    audience: str | None = None


class FeedConfig(_Strict):
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
        return _check_http_url(value).rstrip("/")

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


class _ConfigModel(_Strict):
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


@dataclass(frozen=True)
class PendingSecret:
    """A ``${VAR}`` that was unset when the config loaded, in a value only a harvest reads."""

    #: The key path, as messages write it: ``feeds[1] (tsinghua-xuetangx).auth.client_secret``.
    where: str
    variable: str
    #: The feed that needs it; ``None`` for ``[http]``, which every feed needs.
    feed_id: str | None
    loc: Loc = field(repr=False, default=())

    def message(self) -> str:
        return f"{self.where}: environment variable {self.variable} is not set (or is empty)"


@dataclass(frozen=True)
class Config:
    """The validated config. ``options`` of each feed are the connector's own typed values."""

    path: Path | None
    catalog_url: str = field(repr=False)  # may hold a database password
    http: HttpConfig
    sync: SyncConfig
    service: ServiceConfig
    exports: tuple[ExportConfig, ...]
    credit_systems: tuple[CreditSystemConfig, ...]
    credits: CreditsConfig
    exchange: tuple[ExchangeRuleConfig, ...]
    #: Extra source category → ISCED-F code mappings (``[subjects]``).
    subjects: Mapping[str, str]
    institutions: tuple[InstitutionConfig, ...]
    feeds: tuple[FeedConfig, ...]
    feed_options: Mapping[str, Any]
    #: Unset ``${VAR}`` of the harvest-only values; see :meth:`require_secrets`.
    pending_secrets: tuple[PendingSecret, ...] = ()

    def institution(self, institution_id: str) -> InstitutionConfig:
        for institution in self.institutions:
            if institution.id == institution_id:
                return institution
        known = ", ".join(i.id for i in self.institutions) or "none configured"
        raise ConfigError(
            [f"unknown institution {institution_id!r}; configured institutions: {known}"], self.path
        )

    def feed(self, feed_id: str) -> FeedConfig:
        for feed in self.feeds:
            if feed.id == feed_id:
                return feed
        known = ", ".join(f.id for f in self.feeds) or "none configured"
        raise ConfigError([f"unknown feed {feed_id!r}; configured feeds: {known}"], self.path)

    def require_secrets(self, feed_ids: Iterable[str] | None = None) -> None:
        """Refuse to harvest ``feed_ids`` (default: every enabled feed) while a ``${VAR}`` they
        need is unset: a :class:`ConfigError` naming each key path and variable.

        ``sync``, ``check`` and ``serve`` (at start and on reload) call it before anything runs;
        commands that only read the catalog never do, so they work without the secrets.
        """
        wanted = {f.id for f in self.feeds if f.enabled} if feed_ids is None else set(feed_ids)
        missing = [
            p.message()
            for p in self.pending_secrets
            if p.feed_id in wanted or (p.feed_id is None and wanted)
        ]
        if missing:
            raise ConfigError(missing, self.path)

    def feed_context(self, feed: FeedConfig) -> FeedContext:
        """What the feed's connector is built from; refuses a feed whose secrets are unset."""
        self.require_secrets([feed.id])
        http = self.http
        if feed.http is not None:
            http = http.model_copy(update=feed.http.model_dump(exclude_none=True))
        auth = None
        if feed.auth is not None:
            auth = AuthSettings(
                client_id=feed.auth.client_id,
                client_secret=Secret(feed.auth.client_secret.get_secret_value()),
                token_url=feed.auth.token_url,
                token_type=feed.auth.token_type,
            )
        return FeedContext(
            feed_id=feed.id,
            base_url=feed.base_url,
            auth=auth,
            http=http.settings(),
            timezone=self.institution(feed.institution).timezone,
        )

    def policy(self, feed: FeedConfig) -> HarvestPolicy:
        """The sync's safety settings for ``feed``: its own overrides over ``[sync]``."""
        s = self.sync
        return HarvestPolicy(
            full_sync_every=feed.full_sync_every or s.full_sync_every,
            max_withdraw_fraction=_first(feed.max_withdraw_fraction, s.max_withdraw_fraction),
            max_rejected_fraction=_first(feed.max_rejected_fraction, s.max_rejected_fraction),
            lease_ttl=s.lease_ttl,
            resume_max_age=s.resume_max_age,
        )

    def secrets(self) -> list[str]:
        """Every secret value in the config, for the log redaction filter."""
        unresolved = {p.loc for p in self.pending_secrets}
        found = [
            f.auth.client_secret.get_secret_value()
            for i, f in enumerate(self.feeds)
            if f.auth is not None
            and f.auth.client_secret.get_secret_value()
            and ("feeds", i, "auth", "client_secret") not in unresolved  # "${VAR}": no secret
        ]
        try:
            password = make_url(self.catalog_url).password
        except ArgumentError:
            password = None
        if password:
            found.append(str(password))
        return found + [value for feed in self.feeds for value in self.url_credentials(feed.id)]

    def url_credentials(self, feed_id: str) -> list[str]:
        """Keys and passwords in ``feed_id``'s ``base_url`` and string options (a path or URL
        with ``?access_token=…``): masked in logs and never stored in the catalog."""
        options = self.feed_options.get(feed_id)
        return url_credentials([self.feed(feed_id).base_url, *_strings(options)])


def config_path(explicit: str | os.PathLike[str] | None) -> Path:
    """The config file to read: ``--config``, else ``$MOOCX_CONFIG``, else ``./config.toml``."""
    return Path(explicit or os.environ.get(ENV_CONFIG) or DEFAULT_CONFIG)


def load_config(path: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> Config:
    """Read and validate a config file; raises :class:`ConfigError` listing every problem."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [f"no config file at {path}; copy config.example.toml there, or pass --config"], path
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"cannot read the config: {exc}"], path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"not valid TOML: {exc}"], path) from None
    return parse_config(data, path=path, env=os.environ if env is None else env)


def parse_config(
    data: dict[str, Any], *, path: Path | None = None, env: Mapping[str, str] | None = None
) -> Config:
    """Validate an already-parsed TOML document (tests and ``moocx demo`` use this directly)."""
    env = os.environ if env is None else env
    paths = KeyPaths(data)  # the raw document: ids in key paths are never interpolated
    interpolate = _Interpolator(env)
    data = interpolate(data)
    problems, secrets, pending = interpolate.problems, interpolate.secrets, interpolate.pending

    model: _ConfigModel | None = None
    try:
        model = _ConfigModel.model_validate(data)
    except ValidationError as exc:
        problems.extend(
            p for err in exc.errors() if (p := pydantic_problem(err, _ConfigModel, data))
        )
    feed_options, option_problems = _validate_connectors(data.get("feeds"))
    problems.extend(option_problems)
    problems.extend(cross_checks(data))
    if problems:
        problems.sort(key=lambda problem: _document_order(data, problem[0]))
        errors = [_render(loc, message, paths, pending) for loc, message in problems]
        raise ConfigError(_mask(_dedupe(errors), secrets), path)
    assert model is not None
    return Config(
        path=path,
        catalog_url=_resolve_sqlite(model.catalog.url, path),
        http=model.http,
        sync=model.sync,
        service=model.service,
        exports=tuple(
            e.model_copy(update={"path": str(_relative_to(path, e.path))}) for e in model.exports
        ),
        credit_systems=tuple(model.credit_systems),
        credits=model.credits.model_copy(
            update={"equivalences": str(_relative_to(path, model.credits.equivalences))}
        )
        if model.credits.equivalences
        else model.credits,
        exchange=tuple(model.exchange),
        subjects=dict(model.subjects),
        institutions=tuple(model.institutions),
        feeds=tuple(model.feeds),
        feed_options=feed_options,
        pending_secrets=tuple(
            PendingSecret(
                where=paths(loc),
                variable=name,
                feed_id=model.feeds[loc[1]].id if loc[0] == "feeds" else None,
                loc=loc,
            )
            for loc, name in pending
        ),
    )


# -- helpers ----------------------------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    """Every string in a connector's options (a dataclass, a model, or plain values)."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _first(value: float | None, default: float) -> float:
    return default if value is None else value


def _harvest_only(loc: Loc) -> bool:
    """Values only a harvest reads: there an unset ``${VAR}`` waits for :meth:`require_secrets`."""
    return loc[:1] == ("http",) or (
        len(loc) >= 3 and loc[0] == "feeds" and loc[2] in ("auth", "options", "http")
    )


class _Interpolator:
    """Replaces every ``${VAR}``. An unset one is a problem, or — in a harvest-only value —
    recorded in ``pending`` and left as written (``${VAR}`` is no secret)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[Problem] = []
        self.secrets: list[str] = []
        self.pending: list[tuple[Loc, str]] = []

    def __call__(self, value: Any, loc: Loc = ()) -> Any:
        if isinstance(value, dict):
            return {k: self(v, (*loc, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v, (*loc, i)) for i, v in enumerate(value)]
        if not isinstance(value, str) or "${" not in value:
            return value
        return _ENV_REF.sub(lambda match: self._substitute(match, loc), value)

    def _substitute(self, match: re.Match[str], loc: Loc) -> str:
        name = match.group(1)
        value = self.env.get(name)
        if not value or value.isspace():  # `VAR=` or `VAR="  "` in an env file: a mistake
            if _harvest_only(loc):
                self.pending.append((loc, name))
                return match.group(0)
            self.problems.append((loc, _unset(name)))
            return ""
        if len(value) >= 4:  # masking "1" everywhere would garble messages, not hide a secret
            self.secrets.append(value)
        return value


def _unset(name: str) -> str:
    return f"environment variable {name} is not set (or is empty)"


def _document_order(data: Mapping[str, Any], loc: Loc) -> tuple[int, int]:
    """Where a problem is in the file, roughly: its section, then its entry (the sort is
    stable, so one entry's problems keep the order the checks found them in)."""
    if not loc:
        return -1, -1
    sections = list(data)
    section = sections.index(loc[0]) if loc[0] in sections else len(sections)
    return section, loc[1] if len(loc) > 1 and isinstance(loc[1], int) else -1


def _render(loc: Loc, message: str, paths: KeyPaths, pending: list[tuple[Loc, str]]) -> str:
    """One problem as its line. A value that failed because its ``${VAR}`` is unset (a URL
    still reading ``${TOKEN_URL}``) is reported as the unset variable, not as a bad value."""
    unset = [name for at, name in pending if loc[: len(at)] == at]
    return f"{paths(loc)}: {_unset(unset[0]) if unset else message}"


def _validate_connectors(feeds: Any) -> tuple[dict[str, Any], list[Problem]]:
    """Check each feed's connector name and options against the connector's Options."""
    options: dict[str, Any] = {}
    problems: list[Problem] = []
    if not isinstance(feeds, list):
        return options, problems
    known = registry.available()
    for i, feed in enumerate(feeds):
        if not isinstance(feed, dict) or not isinstance(feed.get("connector"), str):
            continue
        name = feed["connector"]
        if name not in known:
            problems.append(
                (
                    ("feeds", i, "connector"),
                    f"unknown connector {name!r}{suggest(name, known)}; known connectors: "
                    + ", ".join(known),
                )
            )
            continue
        try:
            cls = registry.load(name)
        except LookupError as exc:
            problems.append((("feeds", i, "connector"), str(exc)))
            continue
        problems.extend(connector_checks(i, feed, cls))
        raw = feed.get("options", {})
        if not isinstance(raw, dict):
            continue  # the model check reports the wrong type
        problems.extend(_option_problems(cls.Options, raw, ("feeds", i, "options")))
        try:
            options[str(feed.get("id"))] = TypeAdapter(cls.Options).validate_python(raw)
        except ValidationError as exc:
            problems.extend(
                p
                for err in exc.errors()
                if err["type"] != "unexpected_keyword_argument"
                and (p := pydantic_problem(err, cls.Options, raw, prefix=("feeds", i, "options")))
            )
    return options, problems


def _option_problems(options_cls: type, raw: dict[str, Any], loc: Loc) -> list[Problem]:
    names = [f.name for f in dataclasses.fields(options_cls)]
    feed_keys = [info.alias or name for name, info in FeedConfig.model_fields.items()]
    return [
        (
            (*loc, key),
            f"unknown option; {misplaced(key, loc)}"
            if key in feed_keys
            else f"unknown option{suggest(key, names)}; this connector takes: "
            + (", ".join(names) or "no options"),
        )
        for key in raw
        if key not in names
    ]


def _mask(errors: list[str], secrets: list[str]) -> list[str]:
    # Messages quote values with repr(), which escapes quotes and backslashes: mask those forms too.
    forms: set[str] = set()
    for secret in filter(None, secrets):
        escaped = repr(secret + "'\"")[1:-4]  # as inside a repr() that escapes single quotes
        forms.update((secret, escaped, escaped.replace("\\'", "'")))
    out = []
    for line in errors:
        masked = line
        for form in sorted(forms, key=len, reverse=True):
            masked = masked.replace(form, "***")
        out.append(masked)
    return out


def _dedupe(errors: list[str]) -> list[str]:
    return list(dict.fromkeys(errors))


def _check_zone(value: str) -> str:
    if value.upper() == "UTC":
        return "UTC"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Ho_Chi_Minh)") from None
    return value


def _check_http_url(value: str) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


def _relative_to(config: Path | None, value: str) -> Path:
    """Paths in the config are relative to the config file's folder."""
    target = Path(value).expanduser()
    if target.is_absolute() or config is None:
        return target
    return config.resolve().parent / target


def status_path(config: Config) -> Path:
    """Where ``moocx serve`` writes its status file and ``moocx status`` reads it."""
    return _relative_to(config.path, config.service.status_file)


def _resolve_sqlite(url: str, path: Path | None) -> str:
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
