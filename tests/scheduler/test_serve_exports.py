"""`moocx serve` builds the configured exports that are missing when it starts, though no sync
changes anything — a real process, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import stat
from pathlib import Path

from scheduler.cli import run
from scheduler.demo.server import DemoServer, OpenEdxPlatform, load_sample
from tests.scheduler.test_service import rows, wait_for
from tests.support.cli import start_moocx

CONFIG = """
[catalog]
url = "{catalog_url}"

[service]
status_file = "status.json"
heartbeat_interval = "1s"

[[exports]]
format = "json"
path = "exports/catalog.json"

[[exports]]
format = "csv"
path = "exports/offers-tsinghua.csv"
audience = "tsinghua"

[[exports]]
format = "site"
path = "exports/site-tsinghua"
audience = "tsinghua"

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
base_url = "{vnu}"
schedule = "0 3 1 1 *"   # once a year: no scheduled run during the test

[feeds.options]
page_size = 25

[[exchange]]
id = "vnu-to-tsinghua"
from = "vnu"
to = "tsinghua"
"""


def heartbeat(tmp_path: Path) -> str | None:
    try:
        return json.loads((tmp_path / "status.json").read_text("utf-8"))["service"]["heartbeat_at"]
    except (OSError, ValueError, KeyError):
        return None


def test_serve_builds_missing_exports_at_start_and_leaves_existing_ones(
    tmp_path: Path, catalog_url: str
) -> None:
    config = tmp_path / "config.toml"
    with DemoServer({"vnu": OpenEdxPlatform(load_sample("vnu_openedx_courses.json"))}) as server:
        config.write_text(CONFIG.format(catalog_url=catalog_url, vnu=server.url("vnu")), "utf-8")
        assert run(["--config", str(config), "sync", "--quiet"]) == 0
    # The platform is gone: a sync now could change nothing. The JSON export exists already.
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "catalog.json").write_text('{"kept": true}', encoding="utf-8")
    runs_before = rows(catalog_url, "SELECT id FROM harvest_runs")

    service = start_moocx("--config", str(config), "serve", umask=0o022)
    try:
        wait_for(
            lambda: (
                (exports / "site-tsinghua" / "index.html").exists()
                and (exports / "offers-tsinghua.csv").exists()
            ),
            what="the missing exports",
        )
        # A heartbeat after the exports were built: the service runs (its signal handlers too).
        first = heartbeat(tmp_path)
        wait_for(lambda: heartbeat(tmp_path) not in (None, first), what="a heartbeat")
        os.kill(service.pid, signal.SIGTERM)
        _out, err = service.communicate(timeout=30)
    finally:
        if service.poll() is None:
            service.kill()
    assert service.returncode == 0, err[-3000:]

    assert rows(catalog_url, "SELECT id FROM harvest_runs") == runs_before  # no sync ran
    assert json.loads((exports / "catalog.json").read_text("utf-8")) == {"kept": True}
    offers = (exports / "offers-tsinghua.csv").read_text("utf-8-sig").splitlines()
    assert len(offers) > 1 and offers[0].startswith("course_id,")
    courses = list((exports / "site-tsinghua" / "courses").iterdir())
    assert courses
    for path in [exports / "offers-tsinghua.csv", exports / "site-tsinghua" / "index.html"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
