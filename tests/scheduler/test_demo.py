"""`moocx demo`: the embedded default runs end to end offline."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import threading
from pathlib import Path

import jsonschema
import pytest
import requests

from catalog.present.export_json import SCHEMA_FILE
from scheduler.cli import run
from scheduler.demo import run as demo_run
from scheduler.demo.server import load_sample
from tests.support.cli import start_moocx


def test_demo_runs_offline_and_its_export_holds_the_bundled_courses(tmp_path: Path, capsys) -> None:
    directory = tmp_path / "demo"
    assert run(["demo", "--dir", str(directory)]) == 0
    out = capsys.readouterr().out
    assert "vnu-openedx: succeeded" in out and "tsinghua-xuetangx: succeeded" in out
    assert str(directory / "catalog.json") in out

    bundled = load_sample("vnu_openedx_courses.json")
    visible = [r for r in bundled if not r["hidden"] and not r["invitation_only"]]
    expected_courses = {"+".join(r["id"].split(":")[1].split("+")[:2]) for r in visible}
    assert len(expected_courses) >= 40 and len(bundled) >= 60

    export = json.loads((directory / "catalog.json").read_text(encoding="utf-8"))
    jsonschema.validate(export, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    offered = [c for c in export["courses"] if c["offers"]]
    assert {o["audience"] for c in offered for o in c["offers"]} == {"vnu", "tsinghua"}
    for audience in ("vnu", "tsinghua"):  # the students' catalog site and CSV of each side
        assert (directory / f"site-{audience}" / "index.html").is_file()
        assert (directory / f"offers-{audience}.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    vnu = [c for c in export["courses"] if c["feed"] == "vnu-openedx"]
    assert {c["key"] for c in vnu} == expected_courses
    assert sum(len(c["runs"]) for c in vnu) == len(visible)

    xuetangx = load_sample("tsinghua_xuetangx_courses.json")
    tsinghua = [c for c in export["courses"] if c["feed"] == "tsinghua-xuetangx"]
    assert {c["key"] for c in tsinghua} == {p["sign"] for p in xuetangx["products"]}
    assert len(tsinghua) >= 40 and all(c["institution"] == "tsinghua" for c in tsinghua)
    assert any("人工智能" in c["title"] for c in tsinghua)
    assert sum(len(c["runs"]) for c in tsinghua) >= 2 * len(tsinghua)  # several terms each
    titles = {c["title"] for c in export["courses"]}
    assert "Giáo dục học đại cương" in titles
    assert any("<Nâng cao>" in t for t in titles)  # the escaped name came back unescaped
    with sqlite3.connect(directory / "catalog.db") as conn:
        count = conn.execute("SELECT count(*) FROM courses").fetchone()[0]
        assert count == len(expected_courses) + len(tsinghua)

    # Running it again re-syncs the same data: nothing new, nothing updated.
    assert run(["demo", "--dir", str(directory)]) == 0
    again = capsys.readouterr().out
    assert f"new 0 · updated 0 · unchanged {len(expected_courses)}" in again
    assert f"new 0 · updated 0 · unchanged {len(tsinghua)}" in again


# -- re-running the demo, and its platforms after it ------------------------------------------


@pytest.fixture
def any_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    """Free ports instead of the demo's preferred ones: the suite may run beside a real demo."""
    monkeypatch.setattr(demo_run, "PREFERRED_PORTS", {})


def test_an_edited_demo_config_is_left_alone_until_force(
    tmp_path: Path, any_ports: None, capsys
) -> None:
    directory = tmp_path / "demo"
    assert run(["demo", "--dir", str(directory)]) == 0
    config = directory / "config.toml"
    edited = config.read_text(encoding="utf-8").replace("seats = 50", "seats = 60")
    config.write_text(edited, encoding="utf-8")
    capsys.readouterr()

    assert run(["demo", "--dir", str(directory)]) == 2
    out = capsys.readouterr().out
    assert f"{config}: changed since `moocx demo` wrote it" in out
    assert f"\n  moocx demo --force --dir {directory}   replaces it (your changes" in out
    assert config.read_text(encoding="utf-8") == edited

    assert run(["demo", "--dir", str(directory), "--force"]) == 0
    assert "seats = 50" in config.read_text(encoding="utf-8")
    assert run(["demo", "--dir", str(directory)]) == 0  # its own config again: safe to re-run


def test_a_config_the_demo_did_not_write_is_not_overwritten(tmp_path: Path, capsys) -> None:
    directory = tmp_path / "demo"
    directory.mkdir()
    (directory / "config.toml").write_text("# mine\n", encoding="utf-8")
    assert run(["demo", "--dir", str(directory)]) == 2
    assert "not written by `moocx demo`" in capsys.readouterr().out
    assert (directory / "config.toml").read_text(encoding="utf-8") == "# mine\n"


class CountingAdapter:
    """Counts the HTTP requests ``requests`` sends (each retry is one more)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent = 0
        send = requests.adapters.HTTPAdapter.send

        def counting(adapter, request, *args, **kwargs):
            self.sent += 1
            return send(adapter, request, *args, **kwargs)

        monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", counting)


def test_after_the_demo_sync_and_check_say_at_once_that_its_platforms_are_not_running(
    tmp_path: Path, any_ports: None, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)  # the commands are shown as typed here: --dir demo
    directory = tmp_path / "demo"
    assert run(["demo", "--dir", "demo"]) == 0
    assert "  moocx demo --serve --dir demo   starts the sample platforms again" in (
        capsys.readouterr().out
    )
    config = str(directory / "config.toml")
    counter = CountingAdapter(monkeypatch)

    assert run(["--config", config, "sync"]) == 1
    out = capsys.readouterr().out
    for feed_id, platform in (("vnu-openedx", "vnu"), ("tsinghua-xuetangx", "tsinghua")):
        url = json.loads((directory / ".moocx-demo.json").read_text())["platforms"][platform]
        line = (
            f"  feed {feed_id}: the demo's sample platform is not running ({url}): "
            "start it with `moocx demo --serve --dir demo`"
        )
        assert line in out.splitlines()
    assert run(["--config", config, "check"]) == 1
    assert capsys.readouterr().out.count("the demo's sample platform is not running") == 2
    assert counter.sent == 0  # not one request, let alone retries


def read_until(process: subprocess.Popen, text: str, limit: int = 200) -> list[str]:
    """Lines of ``process``'s stdout up to the one containing ``text``."""
    lines = []
    for _ in range(limit):
        line = process.stdout.readline()
        assert line, f"the process ended first: {''.join(lines)}{process.stderr.read()[-2000:]}"
        lines.append(line)
        if text in line:
            return lines
    raise AssertionError(f"no line with {text!r} in {''.join(lines)}")


def start_demo(*args: str) -> subprocess.Popen:
    process = start_moocx("demo", *args)
    threading.Timer(120, process.kill).start()  # a hung test fails instead of hanging the suite
    return process


@pytest.mark.slow
def test_demo_serve_keeps_the_platforms_running_for_sync_until_sigint(tmp_path: Path) -> None:
    directory = tmp_path / "demo"
    process = start_demo("--serve", "--dir", str(directory))
    try:
        lines = read_until(process, "run until Ctrl-C")
        assert any("vnu-openedx: succeeded" in line for line in lines)
        config = str(directory / "config.toml")
        assert run(["--config", config, "sync", "--quiet"]) == 0
        assert run(["--config", config, "check"]) == 0
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err[-2000:]
    assert "SIGINT: the sample platforms stopped" in out


@pytest.mark.slow
def test_demo_serve_restarts_the_platforms_of_an_edited_demo_where_its_config_points(
    tmp_path: Path, any_ports: None, capsys
) -> None:
    directory = tmp_path / "demo"
    assert run(["demo", "--dir", str(directory)]) == 0
    config = directory / "config.toml"
    edited = config.read_text(encoding="utf-8") + "\n# my notes\n"
    config.write_text(edited, encoding="utf-8")

    process = start_demo("--serve", "--dir", str(directory))
    try:
        read_until(process, "run until Ctrl-C")
        capsys.readouterr()
        assert run(["--config", str(config), "sync", "--quiet"]) == 0
        out = capsys.readouterr().out
        assert "vnu-openedx: succeeded" in out and "new 0 · updated 0" in out
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err[-2000:]
    assert "SIGTERM: the sample platforms stopped" in out
    assert config.read_text(encoding="utf-8") == edited  # served, not rewritten
