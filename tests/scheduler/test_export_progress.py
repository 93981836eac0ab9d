"""An export says how far it has got: a bar on a terminal, a timed log line elsewhere."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from scheduler import exports
from scheduler.config import load_config
from scheduler.progress import EXPORT_LOG_EVERY, ExportLog, export_progress
from scheduler.sync import open_catalog
from tests.scheduler.test_search_cli import synced  # noqa: F401  # the fixture


def _export(config_path: Path, fmt: str, out: Path, audience: str | None = None) -> list:
    config = load_config(config_path)
    calls: list[tuple[int, int]] = []
    count = exports.export(
        config,
        open_catalog(config),
        fmt,
        out,
        audience=audience,
        progress=lambda done, total: calls.append((done, total)),
    )
    return [count, calls]


@pytest.mark.parametrize(
    ("fmt", "audience", "courses"),
    [("json", None, 4), ("csv", "tsinghua", 1), ("site", "tsinghua", 1)],
)
def test_progress_counts_the_courses_the_export_writes(
    synced: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    audience: str | None,
    courses: int,
) -> None:
    """The total is what the export will write (the whole catalog for JSON, the audience's
    offered courses for CSV and the site), told before the first course and after the last."""
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 1)
    _count, calls = _export(synced, fmt, tmp_path / f"out-{fmt}", audience)
    assert calls[0] == (0, courses)
    assert calls[-1] == (courses, courses)
    assert [done for done, _ in calls[:-1]] == list(range(courses + 1))
    assert {total for _, total in calls} == {courses}


def test_progress_is_told_every_so_many_courses_not_every_one(
    synced: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 3)
    count, calls = _export(synced, "json", tmp_path / "catalog.json")
    assert count == 4
    assert calls == [(0, 4), (3, 4), (4, 4)]


def test_a_non_terminal_gets_a_line_every_ten_seconds_and_none_for_a_short_export(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    progress = ExportLog("site", clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="moocx.progress"):
        progress(0, 100_000)
        now[0] = EXPORT_LOG_EVERY - 1
        progress(30_000, 100_000)
        assert caplog.messages == []
        now[0] = EXPORT_LOG_EVERY + 0.5
        progress(40_000, 100_000)
        now[0] += EXPORT_LOG_EVERY
        progress(100_000, 100_000)  # the end: the command's own "wrote …" line says it
    assert caplog.messages == ["export site: 40000 of 100000 courses (40%)"]


def test_a_terminal_gets_a_bar_of_courses_that_goes_away() -> None:
    from rich.console import Console

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with export_progress(console, "site") as progress:
        assert progress is not None
        progress(0, 3)
        progress(3, 3)
    shown = out.getvalue()
    assert "export site" in shown and "3/3" in shown and "courses" in shown
    with export_progress(None, "site") as nothing:
        assert nothing is None
