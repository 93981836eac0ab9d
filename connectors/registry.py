"""Find connectors by name through the ``mooc_exchange.connectors`` entry-point group.

The built-ins are registered in ``pyproject.toml`` exactly like a third-party package would
register its own, so installing a new platform's connector needs no change here. Entry points
are loaded lazily, by name, and checked to be :class:`~connectors.base.Connector` subclasses.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from connectors.base import Connector

GROUP = "mooc_exchange.connectors"


class UnknownConnectorError(LookupError):
    """No connector of that name is installed."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        listing = ", ".join(known) if known else "none installed"
        super().__init__(f"unknown connector {name!r}; known connectors: {listing}")


class BrokenConnectorError(LookupError):
    """An entry point exists but does not load, or is not a Connector subclass."""


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def available() -> list[str]:
    """Names of every installed connector, sorted."""
    return sorted(_entry_points())


def load(name: str) -> type[Connector]:
    """The connector class registered as ``name``."""
    eps = _entry_points()
    if name not in eps:
        raise UnknownConnectorError(name, sorted(eps))
    try:
        obj = eps[name].load()
    except Exception as exc:  # a third-party package can fail to import in any way
        raise BrokenConnectorError(
            f"connector {name!r} ({eps[name].value}) failed to load: {type(exc).__name__}: {exc}"
        ) from exc
    if not (isinstance(obj, type) and issubclass(obj, Connector)):
        raise BrokenConnectorError(
            f"connector {name!r} ({eps[name].value}) is not a subclass of connectors.base.Connector"
        )
    return obj
