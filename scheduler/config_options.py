"""Each feed's connector, checked: its name against the registry, its ``options`` against the
connector's own ``Options`` dataclass, with the same key paths as every other config problem."""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import TypeAdapter, ValidationError

from connectors import registry
from scheduler.config_checks import connector_checks
from scheduler.config_models import FeedConfig
from scheduler.config_paths import Loc, Problem, misplaced, pydantic_problem, suggest


def validate_connectors(feeds: Any) -> tuple[dict[str, Any], list[Problem]]:
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
