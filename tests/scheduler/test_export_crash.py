"""H8: a crash during an export leaves the previous export whole, and the next export cleans up.

JSON and CSV are written to a temporary file renamed over the old one, the site to a temporary
folder swapped in (catalog/present/files.py, catalog/present/site/build.py). Here: an error halfway
through (the database gone mid-stream) and a ``kill -9`` of a real `moocx export` halfway through (a
pause planted by tests/support/paused.py after a few courses) both leave the old file or site
byte for byte, with nothing mixed in; the next export removes what the killed one left, but
never the temporary folder of an export still at work — on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

import catalog.present.export_json
import scheduler.exports
from scheduler.cli import run
from scheduler.demo.server import DemoServer, OpenEdxPlatform, load_sample

ROOT = Path(__file__).resolve().parents[2]
CONFIG = """
[catalog]
url = "{catalog_url}"

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[institutions]]
id = "tsinghua"
names = {{ zh = "清华大学" }}

[[feeds]]
id = "vnu"
institution = "vnu"
connector = "openedx"
base_url = "{base}"

[feeds.options]
page_size = 25

[[exchange]]
id = "vnu-to-tsinghua"
from = "vnu"
to = "tsinghua"

[[exports]]
format = "json"
path = "out/catalog.json"

[[exports]]
format = "csv"
path = "out/offers.csv"
audience = "tsinghua"

[[exports]]
format = "site"
path = "out/site"
audience = "tsinghua"
"""
#: Where each format's export goes (the config's [[exports]]), and its audience.
TARGETS = {"json": ("catalog.json", None), "csv": ("offers.csv", "tsinghua"),
           "site": ("site", "tsinghua")}  # fmt: skip


@pytest.fixture(scope="module")
def platform_url() -> Iterator[str]:
    """The demo's VNU platform on loopback: 58 courses."""
    with DemoServer({"vnu": OpenEdxPlatform(load_sample("vnu_openedx_courses.json"))}) as server:
        yield server.url("vnu")


@pytest.fixture
def config(tmp_path: Path, catalog_url: str, platform_url: str) -> Path:
    """A synced catalog, every VNU course offered to Tsinghua, and its exports written once."""
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(catalog_url=catalog_url, base=platform_url), "utf-8")
    assert run(["--config", str(path), "sync", "--quiet"]) == 0
    assert run(["--config", str(path), "export", "--all"]) == 0
    return path


def contents(path: Path) -> Any:
    """A file's bytes, or a folder's files by relative path: what a reader of it sees."""
    if path.is_dir():
        return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}
    return path.read_bytes()


def hidden(folder: Path) -> list[str]:
    """Temporary files and folders in ``folder`` (every one starts with a dot)."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def retitle(url: str) -> None:
    """A sync changed every title since the last export, so a new export differs from it."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE courses SET title = title || ' (v2)'"))
    engine.dispose()


def export_args(config: Path, fmt: str) -> list[str]:
    name, audience = TARGETS[fmt]
    args = ["--config", str(config), "export", "--format", fmt]
    args += ["--out", str(config.parent / "out" / name)]
    return args + (["--audience", audience] if audience else [])


def test_an_error_halfway_through_leaves_every_old_export_whole_and_no_temporary_file(
    config: Path, catalog_url: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """H8: the database goes away after two courses of each export (JSON and CSV through the
    temporary file and rename, the site through its folder): each export fails on its own
    line, the old files are unchanged byte for byte, no temporary file is left, and the next
    export writes the new catalog."""
    out = config.parent / "out"
    before = {name: contents(out / name) for name in ("catalog.json", "offers.csv", "site")}
    retitle(catalog_url)
    documents = scheduler.exports.course_documents

    def database_gone(*args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        stream = documents(*args, **kwargs)
        yield next(stream)
        yield next(stream)
        raise OperationalError("SELECT … FROM courses", {}, Exception("server closed"))

    monkeypatch.setattr(scheduler.exports, "course_documents", database_gone)
    monkeypatch.setattr(catalog.present.export_json, "course_documents", database_gone)
    capsys.readouterr()
    assert run(["--config", str(config), "export", "--all"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"json: could not write {out / 'catalog.json'}: the catalog failed: server closed",
        f"csv for tsinghua: could not write {out / 'offers.csv'}: the catalog failed: "
        "server closed",
        f"site for tsinghua: could not write {out / 'site'}: the catalog failed: server closed",
        "3 of 3 exports failed",
    ]
    assert {name: contents(out / name) for name in before} == before
    assert hidden(out) == []

    monkeypatch.undo()
    assert run(["--config", str(config), "export", "--all"]) == 0
    assert "(v2)" in (out / "catalog.json").read_text("utf-8")
    assert "(v2)" in (out / "offers.csv").read_text("utf-8-sig")
    assert hidden(out) == []


def start_paused_export(config: Path, fmt: str, marker: Path) -> subprocess.Popen:
    """A real `moocx export` of ``fmt`` that stops dead after writing three courses."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.paused", "--marker", str(marker),
         "--after-documents", "3", "--", *export_args(config, fmt)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def wait_for(marker: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the export never reached its pause: {proc.communicate(timeout=30)}")
        time.sleep(0.05)


def kill_9(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    proc.communicate(timeout=30)


def check_temporary(out: Path, fmt: str) -> None:
    """The paused export's temporary file or folder, three courses in."""
    [tmp] = hidden(out)
    if fmt == "site":
        assert tmp.startswith(".site.tmp-")
        assert len(list((out / tmp / "courses").glob("*.html"))) == 3
    else:
        name = TARGETS[fmt][0]
        assert tmp.startswith(f".{name}.") and tmp.endswith(".tmp")


@pytest.mark.parametrize("fmt", ["json", "csv", "site"])
def test_kill_9_halfway_through_an_export_leaves_the_old_one_whole_and_the_next_cleans_up(
    config: Path, catalog_url: str, tmp_path: Path, fmt: str
) -> None:
    """H8: `moocx export` killed three courses into a new export of a changed catalog: the
    old file or site is unchanged byte for byte — no new page mixed into the old site — while
    it runs and after the kill; the next export removes the temporary file or folder the
    killed one left and writes the new export whole."""
    out = config.parent / "out"
    target = out / TARGETS[fmt][0]
    before = contents(target)
    retitle(catalog_url)
    marker = tmp_path / "paused"
    victim = start_paused_export(config, fmt, marker)
    wait_for(marker, victim)
    check_temporary(out, fmt)
    assert contents(target) == before
    kill_9(victim)
    assert contents(target) == before
    check_temporary(out, fmt)  # a killed process cleans nothing up

    assert run(export_args(config, fmt)) == 0
    assert hidden(out) == []
    if fmt == "json":
        courses = json.loads(target.read_text("utf-8"))["courses"]
        assert len(courses) == 58 and all(c["title"].endswith(" (v2)") for c in courses)
    elif fmt == "csv":
        assert target.read_text("utf-8-sig").count(" (v2)") >= 58
    else:
        assert len(list((target / "courses").glob("*.html"))) == 58
        assert all(" (v2)" in p.read_text("utf-8") for p in (target / "courses").glob("*.html"))


@pytest.mark.parametrize("fmt", ["json", "site"])
def test_the_temporary_files_of_an_export_still_at_work_are_never_taken_for_leftovers(
    config: Path, tmp_path: Path, fmt: str
) -> None:
    """H8: while one `moocx export` is at work (paused), another export of the same target runs
    to the end and leaves the first one's temporary file or folder alone; once the first is
    killed, the next export removes it."""
    out = config.parent / "out"
    marker = tmp_path / "paused"
    first = start_paused_export(config, fmt, marker)
    try:
        wait_for(marker, first)
        [working] = hidden(out)
        assert run(export_args(config, fmt)) == 0
        assert hidden(out) == [working]
    finally:
        kill_9(first)
    assert run(export_args(config, fmt)) == 0
    assert hidden(out) == []
