"""`moocx demo`: the embedded default runs end to end offline."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import jsonschema

from catalog.export_json import SCHEMA_FILE
from scheduler.cli import run
from scheduler.demo.server import load_sample


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
