"""The TOML config: read, interpolate ``${ENV_VARS}``, validate, and hand out typed values.

Every error is collected — not just the first — and named by its key path and the entry's id
(``feeds[1] (vnu-oai).schedule: "0 25 * * *" is not a cron expression: …``), so an admin fixes a
file in one go. Unknown keys are errors with a did-you-mean (a typo must not silently fall back
to a default). Connector options are validated against the connector's own ``Options``
dataclass, found through the registry, with the same key paths (:mod:`scheduler.config_options`).
The tables are :mod:`scheduler.config_models` (``[http]``: :mod:`scheduler.config_http`), checks
across entries :mod:`scheduler.config_checks`, the key paths :mod:`scheduler.config_paths`.

Secrets are needed only where they are used. A ``${VAR}`` that is unset inside what only a
harvest reads — ``[http]`` and a feed's ``options``, ``auth`` and ``http`` — does not fail the
load: it is recorded, and :meth:`Config.require_secrets` refuses it for the feeds a harvest is
about to run (``export``, ``search`` or ``feeds`` never need the harvesters' secrets). Anything
else every command reads (the catalog URL, ids, paths) must resolve at load. Secret values never
appear in a message (:mod:`scheduler.config_env`).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from catalog.derive.policy import HarvestPolicy
from catalog.present.publish.settings import PublishSettings
from connectors.auth import Secret
from connectors.base import AuthSettings, FeedContext
from connectors.redact import url_credentials
from scheduler.config_checks import cross_checks
from scheduler.config_env import Interpolator, PendingSecret, mask, unset
from scheduler.config_files import relative_to, resolve_sqlite
from scheduler.config_http import FeedHttpConfig, HttpConfig, HttpSection
from scheduler.config_models import (
    AuthConfig,
    CatalogConfig,
    ConfigModel,
    CreditsConfig,
    CreditSystemConfig,
    ExchangeRuleConfig,
    ExportConfig,
    FeedConfig,
    FiltersConfig,
    InstitutionConfig,
    Names,
    PublishConfig,
    ServiceConfig,
    SyncConfig,
    TermConfig,
    WebConfig,
    parse_duration,
)
from scheduler.config_options import validate_connectors
from scheduler.config_paths import KeyPaths, Loc, pydantic_problem

#: The models are imported from here by the rest of the tree.
__all__ = [
    "DEFAULT_CONFIG",
    "ENV_CONFIG",
    "AuthConfig",
    "CatalogConfig",
    "Config",
    "ConfigError",
    "CreditSystemConfig",
    "CreditsConfig",
    "ExchangeRuleConfig",
    "ExportConfig",
    "FeedConfig",
    "FeedHttpConfig",
    "FiltersConfig",
    "HttpConfig",
    "InstitutionConfig",
    "Names",
    "PendingSecret",
    "PublishConfig",
    "ServiceConfig",
    "SyncConfig",
    "TermConfig",
    "WebConfig",
    "config_path",
    "load_config",
    "parse_config",
    "parse_duration",
    "status_path",
]

ENV_CONFIG = "MOOCX_CONFIG"
DEFAULT_CONFIG = "config.toml"


class ConfigError(Exception):
    """The config cannot be used; ``errors`` lists every problem with its key path."""

    def __init__(self, errors: list[str], path: Path | None = None) -> None:
        self.errors = errors
        self.path = path
        where = f"{path}: " if path else ""
        lines = "\n".join(f"  {e}" for e in errors)
        count = f"{len(errors)} error{'s' if len(errors) != 1 else ''}"
        super().__init__(f"{where}{count} in the config:\n{lines}")


@dataclass(frozen=True)
class Config:
    """The validated config. ``options`` of each feed are the connector's own typed values."""

    path: Path | None
    catalog_url: str = field(repr=False)  # may hold a database password
    http: HttpSection
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
    #: ``[publish]``: None when the node publishes nothing (``moocx web`` refuses to start).
    publish: PublishConfig | None = None
    web: WebConfig = field(default_factory=WebConfig)

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
        http = self.http.merged(feed.http)
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
            home=self.home(),
        )

    def home(self) -> tuple[str, ...]:
        """This node's identities, for connectors that must not re-import its own courses:
        its public ``base_url`` and its OAI identifier prefix (empty without ``[publish]``)."""
        if self.publish is None:
            return ()
        return (self.publish.base_url, f"oai:{self.publish.node_id}:")

    def publish_settings(self, token_key: bytes) -> PublishSettings:
        """``[publish]`` as the publishing functions read it, signing with ``token_key``
        (:func:`catalog.store.node_secrets.node_secret`); a :class:`ConfigError` without it."""
        p = self.publish
        if p is None:
            raise ConfigError(
                ["[publish]: missing; moocx web needs the node's node_id, base_url, "
                 "repository_name, admin_email and the institutions it publishes"],
                self.path,
            )  # fmt: skip
        return PublishSettings(
            node_id=p.node_id,
            base_url=p.base_url,
            repository_name=p.repository_name,
            admin_emails=p.admin_emails,
            institutions=tuple(p.institutions),
            audiences=None if p.audiences is None else tuple(p.audiences),
            page_size=p.page_size,
            token_lifetime=p.token_lifetime,
            token_key=token_key,
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
    interpolate = Interpolator(env)
    data = interpolate(data)
    problems, secrets, pending = interpolate.problems, interpolate.secrets, interpolate.pending

    model: ConfigModel | None = None
    try:
        model = ConfigModel.model_validate(data)
    except ValidationError as exc:
        problems.extend(
            p for err in exc.errors() if (p := pydantic_problem(err, ConfigModel, data))
        )
    feed_options, option_problems = validate_connectors(data.get("feeds"))
    problems.extend(option_problems)
    problems.extend(cross_checks(data))
    if problems:
        problems.sort(key=lambda problem: _document_order(data, problem[0]))
        errors = [_render(loc, message, paths, pending) for loc, message in problems]
        raise ConfigError(mask(_dedupe(errors), secrets), path)
    assert model is not None
    return _config(model, feed_options, path, paths, pending)


def _config(
    model: ConfigModel,
    feed_options: Mapping[str, Any],
    path: Path | None,
    paths: KeyPaths,
    pending: list[tuple[Loc, str]],
) -> Config:
    """The validated document as a :class:`Config`: paths resolved against the config file's
    folder, unset harvest-only ``${VAR}`` kept as :class:`PendingSecret`."""
    return Config(
        path=path,
        catalog_url=resolve_sqlite(model.catalog.url, path),
        http=model.http,
        sync=model.sync,
        service=model.service,
        exports=tuple(
            e.model_copy(update={"path": str(relative_to(path, e.path))}) for e in model.exports
        ),
        credit_systems=tuple(model.credit_systems),
        credits=model.credits.model_copy(
            update={"equivalences": str(relative_to(path, model.credits.equivalences))}
        )
        if model.credits.equivalences
        else model.credits,
        exchange=tuple(model.exchange),
        subjects=dict(model.subjects),
        institutions=tuple(model.institutions),
        feeds=tuple(model.feeds),
        feed_options=feed_options,
        publish=model.publish,
        web=model.web,
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
    names = [name for at, name in pending if loc[: len(at)] == at]
    return f"{paths(loc)}: {unset(names[0]) if names else message}"


def _dedupe(errors: list[str]) -> list[str]:
    return list(dict.fromkeys(errors))


def status_path(config: Config) -> Path:
    """Where ``moocx serve`` writes its status file and ``moocx status`` reads it."""
    return relative_to(config.path, config.service.status_file)
