"""The config's ``[http]`` and ``[feeds.http]`` tables, derived from :class:`HttpSettings`.

The keys, defaults, bounds and documentation are those of
:class:`connectors.http_settings.HttpSettings`; this module only turns them into two pydantic
models — ``[http]`` with every default, ``[feeds.http]`` where an unset key means "as in
``[http]``" — so validation, its messages and the client's limits can never disagree.
"""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from connectors.http_settings import HttpSettings, Setting, config_fields


class HttpSection(BaseModel):
    """A validated ``[http]`` (or ``[feeds.http]``) table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def settings(self) -> HttpSettings:
        """The client's limits: the keys that are set, the defaults for the rest."""
        return HttpSettings.from_config(self.model_dump(exclude_none=True))

    def merged(self, override: HttpSection | None) -> HttpSection:
        """This table with the keys ``override`` sets (a feed's ``[feeds.http]``)."""
        if override is None:
            return self
        return self.model_copy(update=override.model_dump(exclude_none=True))


def _section(name: str, doc: str, *, overrides: bool) -> type[HttpSection]:
    hints = typing.get_type_hints(HttpSettings)
    fields: dict[str, Any] = {}
    for field_name, setting, default in config_fields():
        annotation: Any = hints[field_name] if setting.scale == 1 else float
        value = default if setting.scale == 1 else default / setting.scale
        if overrides:
            annotation, value = annotation | None, None
        fields[setting.key or field_name] = (annotation, _field(value, setting))
    return create_model(name, __base__=HttpSection, __doc__=doc, **fields)


def _field(default: Any, setting: Setting) -> Any:
    bounds = {k: getattr(setting, k) for k in ("gt", "ge", "le") if getattr(setting, k) is not None}
    return Field(default, description=setting.doc, **bounds)


if TYPE_CHECKING:  # built at run time from HttpSettings; to a type checker, what they are
    HttpConfig = HttpSection
    FeedHttpConfig = HttpSection
else:
    HttpConfig = _section(
        "HttpConfig", "``[http]``: the HTTP limits of every feed.", overrides=False
    )
    FeedHttpConfig = _section(
        "FeedHttpConfig",
        "``[feeds.http]``: any ``[http]`` key, overriding it for one feed.",
        overrides=True,
    )
