"""``moocx demo``: the whole pipeline on bundled sample feeds, offline, in one directory.

It starts local stand-ins for the partner platforms, writes a real config for them, syncs them
into ``DIR/catalog.db``, exports ``DIR/catalog.json`` and says what to look at next. Running it
again re-syncs the same data: the second run reports every course unchanged.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from sqlalchemy import func, select

from catalog.db import read_only
from catalog.export_json import write_json
from catalog.models import Course, CourseRun
from scheduler.config import load_config
from scheduler.demo.server import DemoServer, OpenEdxPlatform, load_sample
from scheduler.demo.xuetangx_platform import XuetangXPlatform
from scheduler.exports import atomic_text
from scheduler.progress import make_progress
from scheduler.sync import open_catalog, sync_feeds

#: Tried first so that re-runs keep the same URLs (and report courses unchanged); any free port
#: is used when these are taken.
PREFERRED_PORTS = {"vnu": 48741, "tsinghua": 48742}

CONFIG_TEMPLATE = """\
# Written by `moocx demo`. The feeds point at local servers that live only while the demo runs;
# copy config.example.toml for a real deployment.

[catalog]
url = "sqlite:///catalog.db"   # relative to this file

[[institutions]]
id = "vnu"
country = "VN"
timezone = "Asia/Ho_Chi_Minh"
[institutions.names]
vi = "Đại học Quốc gia Hà Nội"
zh = "越南河内国家大学"
en = "Vietnam National University, Hanoi"

[[institutions]]
id = "tsinghua"
country = "CN"
timezone = "Asia/Shanghai"
[institutions.names]
vi = "Đại học Thanh Hoa"
zh = "清华大学"
en = "Tsinghua University"

[[feeds]]
id = "vnu-openedx"
institution = "vnu"
connector = "openedx"
base_url = "{vnu_url}"
schedule = "0 */6 * * *"

[feeds.options]
page_size = 25
language = "vi"

[[feeds]]
id = "tsinghua-xuetangx"
institution = "tsinghua"
connector = "xuetangx"
base_url = "{tsinghua_url}"
schedule = "30 2 * * *"

[feeds.options]
requests_per_second = 1000   # a local server; keep the default (1) for the real platform
"""


def run_demo(directory: Path, console: Console) -> int:
    """Run the demo in ``directory``; returns the exit code."""
    directory.mkdir(parents=True, exist_ok=True)
    platforms = {
        "vnu": OpenEdxPlatform(load_sample("vnu_openedx_courses.json")),
        "tsinghua": XuetangXPlatform(load_sample("tsinghua_xuetangx_courses.json")),
    }
    console.print(f"[bold]mooc-exchange demo[/] in {directory.resolve()}")
    with DemoServer(platforms, PREFERRED_PORTS) as server:
        console.print(f"  VNU Open edX (sample data) serving at {server.url('vnu')}")
        console.print(f"  Tsinghua XuetangX (sample data) serving at {server.url('tsinghua')}")
        config_file = directory / "config.toml"
        config_file.write_text(
            CONFIG_TEMPLATE.format(vnu_url=server.url("vnu"), tsinghua_url=server.url("tsinghua")),
            encoding="utf-8",
        )
        config = load_config(config_file)
        engine = open_catalog(config)
        with make_progress(console) as progress:
            results = sync_feeds(
                config, engine, [f.id for f in config.feeds], progress=progress, trigger="demo"
            )
    for r in results:
        style = "green" if r.ok else "red"
        console.print(f"  {r.summary()}", style=style, markup=False)
        if r.error:
            console.print(f"    {r.error}", style="red", markup=False)

    with read_only(engine) as conn:
        courses = conn.execute(select(func.count()).select_from(Course)).scalar_one()
        runs = conn.execute(select(func.count()).select_from(CourseRun)).scalar_one()
        sample = [
            conn.execute(
                select(Course.title).where(Course.feed_id == f.id).order_by(Course.key).limit(3)
            )
            .scalars()
            .all()
            for f in config.feeds
        ]
    console.print(
        f"\nThe catalog holds [bold]{courses}[/] courses with [bold]{runs}[/] runs, e.g.:"
    )
    for titles in sample:
        for title in titles:
            console.print(f"  · {title}", markup=False)

    export_path = directory / "catalog.json"
    with atomic_text(export_path) as fh:
        write_json(engine, fh)
    engine.dispose()

    moocx = sys.argv[0] if sys.argv and sys.argv[0].endswith("moocx") else "moocx"
    console.print("\nOpen next:")
    console.print(f"  {export_path}   the JSON export students' tools read", markup=False)
    for command, what in (("feeds", "feeds and their health"), ("runs", "harvest runs")):
        console.print(f"  {moocx} --config {config_file} {command:6} {what}", markup=False)
    return 0 if all(r.ok for r in results) else 1
