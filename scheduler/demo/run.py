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
from catalog.models import Course, CourseRun
from scheduler.config import load_config
from scheduler.demo.server import DemoServer, OpenEdxPlatform, load_sample
from scheduler.demo.xuetangx_platform import XuetangXPlatform
from scheduler.exchange_setup import rebuild_exchange
from scheduler.exports import export
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

[[credit_systems]]
id = "tin_chi"                 # Vietnamese tín chỉ
hours_per_credit = 15
names = {{ vi = "tín chỉ", zh = "越南学分", en = "Vietnamese credit" }}

[[credit_systems]]
id = "xuefen"                  # Chinese 学分
hours_per_credit = 16
names = {{ vi = "học phần (Trung Quốc)", zh = "学分", en = "Chinese credit" }}

[credits]
rounding = 0.5
equivalences = "equivalences.csv"

[[institutions]]
id = "vnu"
country = "VN"
timezone = "Asia/Ho_Chi_Minh"
credit_system = "tin_chi"
[institutions.names]
vi = "Đại học Quốc gia Hà Nội"
zh = "越南河内国家大学"
en = "Vietnam National University, Hanoi"

[[institutions]]
id = "tsinghua"
country = "CN"
timezone = "Asia/Shanghai"
credit_system = "xuefen"
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

# VNU opens its courses taught in Vietnamese or English to Tsinghua students ...
[[exchange]]
id = "vnu-to-tsinghua"
from = "vnu"
to = "tsinghua"
include = {{ languages = ["vi", "en"] }}
default_credits = 3
notes = "Đăng ký qua Văn phòng Hợp tác quốc tế ĐHQGHN / 通过越南国家大学国际合作处报名"

[[exchange.terms]]
name = "2025-2026 HK1"
application_start = 2025-08-01
application_end = 2025-09-15
seats = 40
runs_starting_from = 2025-07-01
runs_starting_until = 2025-12-31

[[exchange.terms]]
name = "2025-2026 HK2"
application_start = 2025-12-01
application_end = 2026-12-31
seats = 40
runs_starting_from = 2026-01-01
runs_starting_until = 2026-12-31

# ... and Tsinghua opens its courses to VNU students.
[[exchange]]
id = "tsinghua-to-vnu"
from = "tsinghua"
to = "vnu"
default_credits = 2
notes = "清华大学在线课程，面向越南国家大学学生开放"

[[exchange.terms]]
name = "2026-2027学年"
application_start = 2026-09-01
application_end = 2027-01-31
seats = 50
"""

EQUIVALENCES = """\
host_institution,host_course,home_institution,home_course,status,home_credits,valid_terms
vnu,UETx+INT3401,tsinghua,THU-30240243,approved,3,2025-2026 HK1;2025-2026 HK2
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
        (directory / "equivalences.csv").write_text(EQUIVALENCES, encoding="utf-8")
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

    console.print("\nThe exchange:")
    for s in rebuild_exchange(config, engine).directions:
        console.print(
            f"  {s.offering} → {s.audience}: {s.courses} courses, {s.runs} runs, "
            f"{s.open_now} open for application now, {s.seats} seats",
            markup=False,
        )
    export_path = directory / "catalog.json"
    export(config, engine, "json", export_path)
    sites = {}
    for audience in ("vnu", "tsinghua"):
        sites[audience] = directory / f"site-{audience}"
        export(config, engine, "site", sites[audience], audience=audience)
        export(config, engine, "csv", directory / f"offers-{audience}.csv", audience=audience)
    engine.dispose()

    moocx = sys.argv[0] if sys.argv and sys.argv[0].endswith("moocx") else "moocx"
    console.print("\nOpen next:")
    for audience, site in sites.items():
        console.print(
            f"  {site / 'index.html'}   the catalog for {audience} students "
            "(double-click: it works offline)",
            markup=False,
        )
    console.print(f"  {export_path}   the JSON export (schema mooc-exchange/1)", markup=False)
    for command, what in (("feeds", "feeds and their health"), ("runs", "harvest runs")):
        console.print(f"  {moocx} --config {config_file} {command:6} {what}", markup=False)
    return 0 if all(r.ok for r in results) else 1
