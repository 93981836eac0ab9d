"""Config problems as an admin reads them: a key path with the entry's id, and a plain reason.

``feeds[2] (hou-oai).schedule: …`` — the index says where the table is, the id says which feed it
is (an admin thinks in ids, and a file with twelve ``[[feeds]]`` is hard to count). Problems are
kept as ``(loc, message)`` until the end, so the loader can still swap a message (a value that
failed only because its ``${VAR}`` is unset) before the paths are written out.

Pydantic's own errors are translated here: an unknown key gets a did-you-mean (or the keys the
table takes), found by walking the model types along the error's location; union members that
pydantic names in a location (``notes.Names.fr``) are dropped from the path, and the member that
does not fit the value's shape (a table given for ``str | Names``) is not reported at all.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

Loc = tuple[Any, ...]
Problem = tuple[Loc, str]

#: Arrays of tables whose entries have an ``id`` that names them in a key path.
LABELLED = ("feeds", "exchange", "institutions", "credit_systems")
_IDENTIFIER_HINT = (
    "use lowercase letters, digits, - and _ (at most 64), starting with a letter or digit"
)


class KeyPaths:
    """Renders locations against the raw document: ``("feeds", 2, "schedule")`` →
    ``feeds[2] (hou-oai).schedule``."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw

    def label(self, section: str, index: int) -> str:
        entries = self.raw.get(section)
        if section not in LABELLED or not isinstance(entries, list) or index >= len(entries):
            return ""
        entry = entries[index]
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(entry_id, str) or not entry_id.strip():
            return ""
        return f" ({entry_id if len(entry_id) <= 64 else entry_id[:63] + '…'})"

    def __call__(self, loc: Iterable[Any]) -> str:
        out = ""
        parts = list(loc)
        for n, part in enumerate(parts):
            if isinstance(part, int):
                out += f"[{part}]"
                if n == 1:
                    out += self.label(str(parts[0]), part)
            else:
                out += f".{part}" if out else str(part)
        return out or "(top level)"


def suggest(key: str, names: Iterable[str]) -> str:
    """`` (did you mean 'schedule'?)`` when one name is close to ``key``, else ``""``."""
    close = difflib.get_close_matches(str(key), list(names), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def known(what: str, name: object, ids: Iterable[str], where: str) -> str:
    """``unknown institution 'tsinghu' (did you mean 'tsinghua'?); [[institutions]] ids: …``."""
    ids = list(ids)
    listing = ", ".join(ids) if ids else "none are configured"
    return f"unknown {what} {name!r}{suggest(str(name), ids)}; {where} ids: {listing}"


def pydantic_problem(
    err: ErrorDetails, model: type[BaseModel], raw: Any, prefix: Loc = ()
) -> Problem | None:
    """One pydantic error as ``(clean loc, message)``; None for a union member's noise."""
    walked = _walk(model, tuple(err["loc"]), raw)
    if walked is None:
        return None
    loc, holders = walked
    loc = (*prefix, *loc)
    message = err["msg"]
    for noise in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(noise)
    if err["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        names = _keys_of(holders[-1])
        key = str(loc[-1])
        parent = _keys_of(holders[-2]) if len(holders) > 2 else []
        if key in parent:
            message = "unknown key; " + misplaced(key, loc[:-1])
        else:
            hint = suggest(key, names)
            message = "unknown key" + (
                hint or (f"; known keys: {', '.join(names)}" if names else "")
            )
    elif err["type"] == "missing":
        message = "missing (required)"
    elif err["type"] == "string_pattern_mismatch" and "a-z0-9_-" in message:
        message = f"{err['input']!r} is not an id: {_IDENTIFIER_HINT}"
    return loc, message


def misplaced(key: str, table: Loc) -> str:
    """The hint for a key of the enclosing table written under a sub-table's header."""
    inner = table[:-2] if isinstance(table[-1], int) else table[:-1]
    return (
        f"{key} belongs to {toml_header(inner)}: move it above {toml_header(table)} "
        "(in TOML, the keys after a header belong to that table)"
    )


def toml_header(loc: Loc) -> str:
    """The header a table is written under: ``("feeds", 0, "options")`` → ``[feeds.options]``,
    ``("exchange", 0, "terms", 1)`` → ``[[exchange.terms]]``."""
    names = ".".join(str(part) for part in loc if not isinstance(part, int))
    if not names:
        return "the top level"
    return f"[[{names}]]" if isinstance(loc[-1], int) else f"[{names}]"


def _walk(model: type[BaseModel], loc: Loc, raw: Any) -> tuple[Loc, list[Any]] | None:
    """The location without union-member names, and the type holding each of its parts."""
    tp: Any = model
    value = raw
    clean: list[Any] = []
    holders: list[Any] = []
    for part in loc:
        members = _members(tp)
        tagged = next((m for m in members if len(members) > 1 and _name(m) == part), None)
        if tagged is not None:
            if _is_model(tagged) != isinstance(value, dict):
                return None  # the member that does not fit the value's shape: noise
            tp = tagged
            continue
        holder = next((m for m in members if _is_model(m)), members[0] if members else None)
        if _is_model(holder):
            holders.append(holder)
        tp = _child(members, part)
        value = _index(value, part)
        clean.append(part)
    return tuple(clean), holders or [None]


def _members(tp: Any) -> list[Any]:
    """A type's alternatives without ``None`` and ``Annotated`` wrappers."""
    if typing.get_origin(tp) is typing.Annotated:
        return _members(typing.get_args(tp)[0])
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(tp) for m in _members(arg) if m is not type(None)]
    return [tp]


def _child(members: list[Any], part: Any) -> Any:
    for tp in members:
        if _is_model(tp) and isinstance(part, str):
            for name, info in tp.model_fields.items():
                if part in (name, info.alias):
                    return info.annotation
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if isinstance(part, int) and origin in (list, tuple) and args:
            return args[0]
        if isinstance(part, str) and origin is dict and len(args) == 2:
            return args[1]
    return None


def _index(value: Any, part: Any) -> Any:
    if isinstance(part, int) and isinstance(value, list) and part < len(value):
        return value[part]
    if isinstance(part, str) and isinstance(value, dict):
        return value.get(part)
    return None


def _keys_of(holder: Any) -> list[str]:
    if not _is_model(holder):
        return []
    return [info.alias or name for name, info in holder.model_fields.items()]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _name(tp: Any) -> str:
    return tp.__name__ if isinstance(tp, type) else repr(tp)
