"""The bounded memo the exports remember repeated values with (catalog/memo.py)."""

from __future__ import annotations

from typing import Any

from catalog.memo import Memo, cached


def test_a_memo_computes_each_key_once() -> None:
    calls: list[Any] = []

    def make(value: int) -> int:
        calls.append(value)
        return value * 2

    memo: Memo[int] = Memo()
    assert [memo.get(k, make, k) for k in (1, 2, 1, 2, 1)] == [2, 4, 2, 4, 2]
    assert calls == [1, 2]


def test_a_memo_starts_afresh_when_full() -> None:
    memo: Memo[int] = Memo(size=2)
    memo.get("a", len, "a")
    memo.get("bb", len, "bb")
    assert len(memo) == 2
    assert memo.get("ccc", len, "ccc") == 3
    assert len(memo) == 1


def test_an_unhashable_key_is_computed_every_time() -> None:
    calls: list[Any] = []

    def make(value: list[str]) -> int:
        calls.append(value)
        return len(value)

    memo: Memo[int] = Memo()
    assert memo.get(["x"], make, ["x"]) == 1 and memo.get(["x"], make, ["x"]) == 1
    assert len(calls) == 2 and len(memo) == 0


def test_a_cached_function_remembers_each_value_and_keeps_its_doc() -> None:
    calls: list[Any] = []

    def upper(value: Any) -> str:
        """Upper case."""
        calls.append(value)
        return str(value).upper()

    remembered = cached(upper, size=2)
    assert [remembered(v) for v in ("a", "a", "b", ["c"], ["c"])] == [
        "A",
        "A",
        "B",
        "['C']",
        "['C']",
    ]
    assert calls == ["a", "b", ["c"], ["c"]]
    assert remembered.__doc__ == "Upper case."
    remembered("d")  # the third distinct value: the memo starts afresh
    remembered("a")
    assert calls[-2:] == ["d", "a"]
