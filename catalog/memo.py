"""A bounded memo: results remembered for the values an export repeats, in bounded memory.

An export meets the same few values again and again — one application window on every offer of a
rule, one start on every run of a term, one provider on every course of an institution — so
formatting each distinct value once pays. A catalog may also hold millions of distinct values,
so a memo holds at most :data:`CACHE_MAX` entries and then starts afresh: clearing is cheaper
than tracking recency, and the values that repeat are back after a few courses.

A value that cannot be hashed (a hostile document: a list where a string belongs) is computed
every time instead of failing.

* :class:`Memo` — ``memo.get(key, make, arg)``: ``make(arg)`` remembered under ``key``, for a
  result computed from something other than its key (an offer card from the offer, keyed by
  what the card shows);
* :func:`cached` — a function of one value, remembered for each value.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

#: Entries a memo keeps before it starts afresh.
CACHE_MAX = 4096

A = TypeVar("A")
V = TypeVar("V")

__all__ = ["CACHE_MAX", "Memo", "cached"]


class Memo(Generic[V]):
    """Results by key, at most ``size`` of them (then the memo starts afresh)."""

    __slots__ = ("_size", "_values")

    def __init__(self, size: int = CACHE_MAX) -> None:
        self._size = size
        self._values: dict[Hashable, V] = {}

    def get(self, key: Any, make: Callable[[A], V], arg: A) -> V:
        """The result remembered for ``key``, else ``make(arg)``, remembered."""
        try:
            return self._values[key]
        except KeyError:
            pass
        except TypeError:  # unhashable: a hostile document, computed as it is
            return make(arg)
        values = self._values
        if len(values) >= self._size:
            values.clear()
        value = values[key] = make(arg)
        return value

    def __len__(self) -> int:
        return len(self._values)


def cached(function: Callable[[Any], V], size: int = CACHE_MAX) -> Callable[[Any], V]:
    """``function`` of one value, remembered for each value (at most ``size`` at a time)."""
    values: dict[Hashable, V] = {}

    def lookup(value: Any) -> V:
        try:
            return values[value]
        except KeyError:
            pass
        except TypeError:  # unhashable: a hostile document
            return function(value)
        if len(values) >= size:
            values.clear()
        result = values[value] = function(value)
        return result

    lookup.__doc__ = function.__doc__
    lookup.__name__ = getattr(function, "__name__", "lookup")
    return lookup
