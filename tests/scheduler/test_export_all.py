"""`moocx export --all` builds the config's `[[exports]]` with the site's permissions; one
audience's JSON; unknown audiences are command-line mistakes — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import responses

from catalog.present.export_json import SCHEMA_FILE
from scheduler.cli import run
from tests.support import openedx_feed as feed

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
page_size = 10

[[exchange]]
id = "vnu-to-tsinghua"
from = "vnu"
to = "tsinghua"
include = {{ courses = ["VNUx+EDU1001", "VNUx+AI3001"] }}

[[feeds]]
id = "tsinghua"
institution = "tsinghua"
connector = "openedx"
base_url = "{tsinghua}"

[feeds.options]
page_size = 10

[[exchange]]
id = "tsinghua-to-vnu"
from = "tsinghua"
to = "vnu"
{exports}
"""
TSINGHUA = "https://mooc.tsinghua.example.cn"

EXPORTS = """
[[exports]]
format = "json"
path = "out/catalog.json"

[[exports]]
format = "csv"
path = "out/offers-tsinghua.csv"
audience = "tsinghua"

[[exports]]
format = "site"
path = "out/site-tsinghua"
audience = "tsinghua"
"""


def synced_config(tmp_path: Path, catalog_url: str, exports: str = EXPORTS) -> Path:
    config = tmp_path / "config.toml"
    text = CONFIG.format(
        catalog_url=catalog_url, base=feed.BASE, tsinghua=TSINGHUA, exports=exports
    )
    config.write_text(text, encoding="utf-8")
    with responses.RequestsMock() as mock:
        runs = [feed.run("EDU1001", "Giáo dục học đại cương"),
                feed.run("EDU2002", "Lịch sử giáo dục Việt Nam"),
                feed.run("AI3001", "人工智能原理与应用"),
                feed.run("ML4001", "Applied Machine Learning")]  # fmt: skip
        for url, body in feed.pages(runs, 10):
            mock.get(url, json=body)
        for url, body in feed.pages([feed.run("PHY101", "大学物理", org="THUx")], 10):
            moved = json.dumps(body).replace(feed.BASE, TSINGHUA)
            mock.get(url.replace(feed.BASE, TSINGHUA), json=json.loads(moved))
        assert run(["--config", str(config), "sync", "--quiet"]) == 0
    return config


@pytest.fixture
def umask() -> Iterator[None]:
    """The usual umask, 022, for the test (restored after)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def modes(root: Path) -> set[tuple[str, int]]:
    """(kind, permission bits) of ``root`` and of everything under it."""
    found = set()
    for path in [root, *root.rglob("*")]:
        kind = "dir" if path.is_dir() else "file"
        found.add((kind, stat.S_IMODE(path.stat().st_mode)))
    return found


def test_export_all_builds_every_configured_export_readable_by_a_web_server(
    tmp_path: Path, catalog_url: str, umask: None, capsys
) -> None:
    config = synced_config(tmp_path, catalog_url)
    capsys.readouterr()
    assert run(["--config", str(config), "export", "--all"]) == 0
    out = tmp_path / "out"
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"json: wrote 5 courses to {out / 'catalog.json'}",
        f"csv for tsinghua: wrote 2 rows (one per offer to tsinghua) to "
        f"{out / 'offers-tsinghua.csv'}",
        f"site for tsinghua: wrote 2 courses to {out / 'site-tsinghua'}",
    ]
    assert len(json.loads((out / "catalog.json").read_text("utf-8"))["courses"]) == 5
    assert "人工智能原理与应用" in (out / "offers-tsinghua.csv").read_text("utf-8-sig")
    # 0644 like any file the admin's programs create, not mkstemp's 0600: a web server reads them
    for name in ("catalog.json", "offers-tsinghua.csv"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o644, name
    assert modes(out / "site-tsinghua") == {("dir", 0o755), ("file", 0o644)}
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # no temporary files


def test_exports_respect_a_stricter_umask_as_the_site_does(
    tmp_path: Path, catalog_url: str, capsys
) -> None:
    config = synced_config(tmp_path, catalog_url)
    old = os.umask(0o027)
    try:
        assert run(["--config", str(config), "export", "--all"]) == 0
    finally:
        os.umask(old)
    out = tmp_path / "out"
    for name in ("catalog.json", "offers-tsinghua.csv"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o640, name
    assert modes(out / "site-tsinghua") == {("dir", 0o750), ("file", 0o640)}


def test_one_failing_export_does_not_stop_the_others_and_the_exit_code_says_so(
    tmp_path: Path, catalog_url: str, capsys
) -> None:
    config = synced_config(tmp_path, catalog_url)
    someone_elses = tmp_path / "out" / "site-tsinghua"
    someone_elses.mkdir(parents=True)
    (someone_elses / "thesis.docx").write_text("not ours", encoding="utf-8")
    capsys.readouterr()
    assert run(["--config", str(config), "export", "--all"]) == 1
    out = capsys.readouterr().out
    assert f"site for tsinghua: could not write {someone_elses}: " in out
    assert "was not written by moocx" in out and "1 of 3 exports failed" in out
    assert (tmp_path / "out" / "catalog.json").is_file()
    assert (tmp_path / "out" / "offers-tsinghua.csv").is_file()
    assert [p.name for p in someone_elses.iterdir()] == ["thesis.docx"]  # nothing lost


def test_export_all_without_exports_or_with_other_options_is_refused(
    tmp_path: Path, catalog_url: str, capsys
) -> None:
    config = synced_config(tmp_path, catalog_url, exports="")
    capsys.readouterr()
    assert run(["--config", str(config), "export", "--all"]) == 2
    assert "no [[exports]] in the config" in capsys.readouterr().err
    assert run(["--config", str(config), "export", "--all", "--format", "csv"]) == 2
    assert "--all builds the config's [[exports]]; it takes no --format" in capsys.readouterr().err
    assert run(["--config", str(config), "export"]) == 2
    assert "give --out PATH (or --all" in capsys.readouterr().err


def test_a_json_export_for_an_audience_holds_only_its_courses_and_offers(
    tmp_path: Path, catalog_url: str, capsys
) -> None:
    config = synced_config(tmp_path, catalog_url)
    out = tmp_path / "vnu.json"
    capsys.readouterr()
    args = ["export", "--format", "json", "--audience", "vnu", "--out", str(out)]
    assert run(["--config", str(config), *args]) == 0
    assert capsys.readouterr().err.strip() == (
        f"wrote 1 courses (those offered to vnu, with vnu's offers only) to {out}"
    )
    document = json.loads(out.read_text("utf-8"))
    jsonschema.validate(document, json.loads(SCHEMA_FILE.read_text("utf-8")))
    assert [c["key"] for c in document["courses"]] == ["THUx+PHY101"]
    assert {o["audience"] for c in document["courses"] for o in c["offers"]} == {"vnu"}

    assert run(["--config", str(config), "export", "--format", "json", "--audience", "tsinghua",
                "--out", "-"]) == 0  # fmt: skip
    streamed = json.loads(capsys.readouterr().out)
    assert sorted(c["key"] for c in streamed["courses"]) == ["VNUx+AI3001", "VNUx+EDU1001"]
    assert {o["audience"] for c in streamed["courses"] for o in c["offers"]} == {"tsinghua"}


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(
            ["export", "--format", "csv", "--audience", "hou", "-o", "x.csv"], id="export"
        ),
        pytest.param(
            ["export", "--format", "json", "--audience", "hou", "-o", "x.json"], id="json"
        ),
        pytest.param(["search", "--audience", "hou", "giao duc"], id="search"),
    ],
)
def test_an_unknown_audience_is_a_command_line_mistake_listing_the_known_ones(
    tmp_path: Path, args: list[str], capsys
) -> None:
    config = synced_config(tmp_path, f"sqlite:///{tmp_path / 'catalog.db'}")
    capsys.readouterr()
    assert run(["--config", str(config), *args]) == 2
    err = capsys.readouterr().err
    assert "Error: unknown audience 'hou': known institutions: tsinghua, vnu" in err
    assert "error in the config" not in err
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.json").exists()


def test_an_unknown_institution_in_search_is_reported_the_same_way(tmp_path: Path, capsys) -> None:
    config = synced_config(tmp_path, f"sqlite:///{tmp_path / 'catalog.db'}")
    capsys.readouterr()
    assert run(["--config", str(config), "search", "--institution", "thu", "ai"]) == 2
    assert "unknown institution 'thu': known institutions: tsinghua, vnu" in capsys.readouterr().err
