"""``${VAR}`` in the config: interpolated from the environment, and kept out of every message.

An unset variable is a problem, except in what only a harvest reads (``[http]`` and a feed's
``options``, ``auth`` and ``http``): there it is recorded as a :class:`PendingSecret`, and
:meth:`scheduler.config.Config.require_secrets` refuses it for the feeds a harvest is about to
run. Every value that came from the environment is masked in the config's error messages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scheduler.config_paths import Loc, Problem

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


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


def harvest_only(loc: Loc) -> bool:
    """Values only a harvest reads: there an unset ``${VAR}`` waits for :meth:`require_secrets`."""
    return loc[:1] == ("http",) or (
        len(loc) >= 3 and loc[0] == "feeds" and loc[2] in ("auth", "options", "http")
    )


class Interpolator:
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
            if harvest_only(loc):
                self.pending.append((loc, name))
                return match.group(0)
            self.problems.append((loc, unset(name)))
            return ""
        if len(value) >= 4:  # masking "1" everywhere would garble messages, not hide a secret
            self.secrets.append(value)
        return value


def unset(name: str) -> str:
    return f"environment variable {name} is not set (or is empty)"


def mask(errors: list[str], secrets: list[str]) -> list[str]:
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
