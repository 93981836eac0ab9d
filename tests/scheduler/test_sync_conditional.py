"""Conditional harvests (ETag / 304) against the demo's Open edX platform on loopback: an
unchanged catalog costs one 304 per page, a changed page is read again, and absence is still
judged on the whole listing because each 304 stands for the page it confirms."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from scheduler.cli import run
from scheduler.demo.server import DemoServer, OpenEdxPlatform, load_sample

CONFIG = """
[catalog]
url = "{catalog_url}"

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[feeds]]
id = "vnu"
institution = "vnu"
connector = "openedx"
base_url = "{base}"

[feeds.options]
page_size = 25
"""


class CountingPlatform(OpenEdxPlatform):
    """Counts answers by status, so a test can see what the harvester asked for."""

    def __init__(self, runs: list) -> None:
        super().__init__(runs)
        self.statuses: list[int] = []

    def __call__(self, request):
        reply = super().__call__(request)
        self.statuses.append(int(reply[0]))
        return reply


@pytest.fixture
def platform():
    runs = [r for r in load_sample("vnu_openedx_courses.json")]
    served = CountingPlatform(copy.deepcopy(runs))
    with DemoServer({"vnu": served}) as server:
        served.url = server.url("vnu")
        yield served


def sync(config: Path, *args: str) -> int:
    return run(["--config", str(config), "sync", "--quiet", *args])


def last_run(url: str) -> dict:
    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM harvest_runs ORDER BY id DESC LIMIT 1")).mappings()
        result = dict(row.one())
    engine.dispose()
    return result


def test_an_unchanged_catalog_answers_304_for_every_page_and_writes_no_course(
    platform, tmp_path: Path, catalog_url: str, capsys
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(catalog_url=catalog_url, base=platform.url), "utf-8")
    assert sync(config) == 0
    assert platform.statuses == [200, 200, 200, 200]
    first = last_run(catalog_url)

    platform.statuses.clear()
    capsys.readouterr()
    assert sync(config) == 0
    assert platform.statuses == [304, 304, 304, 304]
    second = last_run(catalog_url)
    assert (second["new"], second["updated"], second["unchanged"]) == (0, 0, first["new"])
    assert second["mode"] == "full" and second["complete"]
    assert "(full)" in capsys.readouterr().out

    # One course changes: only its page is read again.
    runs = copy.deepcopy(platform.runs)
    runs[30]["name"] = "Tên mới của khóa học"
    platform.set_runs(runs)
    platform.statuses.clear()
    assert sync(config) == 0
    assert platform.statuses.count(200) == 1 and platform.statuses.count(304) == 3
    assert last_run(catalog_url)["updated"] == 1

    # A course leaves: its page changes and absence is judged on the whole listing.
    gone = runs.pop(0)
    platform.set_runs(runs)
    assert sync(config) == 0
    engine = create_engine(catalog_url)
    with engine.connect() as conn:
        key = "+".join(gone["id"].split(":")[1].split("+")[:2])
        status = conn.execute(text("SELECT status FROM courses WHERE key = :k"), {"k": key})
        still_listed = any(r["id"].startswith(f"course-v1:{key}+") for r in runs)
        assert status.scalar() == ("active" if still_listed else "withdrawn")
    engine.dispose()


def test_full_forces_unconditional_requests(platform, tmp_path: Path, catalog_url: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(catalog_url=catalog_url, base=platform.url), "utf-8")
    assert sync(config) == 0
    platform.statuses.clear()
    assert sync(config, "--full") == 0
    assert platform.statuses == [200, 200, 200, 200]
