"""``moocx demo``: the whole pipeline on bundled sample feeds, offline, in one directory.

It starts local stand-ins for the partner platforms, writes a real config for them, syncs them
into ``DIR/catalog.db``, builds the config's ``[[exports]]`` (JSON, a site and a CSV per
audience) and says what to look at next. Running it again re-syncs the same data: the second run
reports every course unchanged. It never overwrites a config someone edited since it wrote it
(scheduler/demo/state.py): it says so and stops (``--force`` replaces it).

The platforms stop with the demo. ``--serve`` keeps them running until Ctrl-C (SIGINT) or
SIGTERM — after the demo, or at once if ``DIR`` holds a demo already, on the addresses its
config points at — so that ``moocx sync``, ``check`` and ``serve`` can be tried on its config.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from rich.console import Console
from sqlalchemy import Engine, func, select

from catalog.store import tables
from catalog.store.db import read_only
from scheduler.after_sync import after_sync
from scheduler.config import Config, load_config
from scheduler.demo.files import write_config
from scheduler.demo.server import DemoServer, Handler, OpenEdxPlatform, load_sample
from scheduler.demo.state import (
    STATE_FILE,
    DemoState,
    changed_files,
    demo_command,
    read_state,
)
from scheduler.demo.xuetangx_platform import XuetangXPlatform
from scheduler.progress import make_progress
from scheduler.sync import FeedResult, open_catalog, sync_feeds

#: Tried first so that re-runs keep the same URLs (and report courses unchanged); any free port
#: is used when these are taken. A demo that ran before tries the ports it had.
PREFERRED_PORTS = {"vnu": 48741, "tsinghua": 48742}
NAMES = {"vnu": "VNU Open edX", "tsinghua": "Tsinghua XuetangX"}
EXIT_OK, EXIT_FAILED, EXIT_EDITED = 0, 1, 2


def sample_platforms() -> dict[str, Handler]:
    return {
        "vnu": OpenEdxPlatform(load_sample("vnu_openedx_courses.json")),
        "tsinghua": XuetangXPlatform(load_sample("tsinghua_xuetangx_courses.json")),
    }


def run_demo(directory: Path, console: Console, *, force: bool = False, serve: bool = False) -> int:
    """Run the demo in ``directory``; returns the exit code (2: its config was edited)."""
    directory.mkdir(parents=True, exist_ok=True)
    state = read_state(directory)
    if serve and not force and state is not None and (directory / "config.toml").exists():
        return serve_again(directory, state, console)
    changed = [] if force else changed_files(directory, state)
    if changed:
        _refuse(directory, changed, state, console)
        return EXIT_EDITED
    ports = _ports(state) if state is not None else PREFERRED_PORTS
    console.print(f"[bold]mooc-exchange demo[/] in {directory.resolve()}")
    with DemoServer(sample_platforms(), ports) as server:
        _announce(server, console)
        config_file = write_config(directory, {name: server.url(name) for name in NAMES})
        config = load_config(config_file)
        engine = open_catalog(config)
        with make_progress(console) as progress:
            results = sync_feeds(
                config, engine, [f.id for f in config.feeds], progress=progress, trigger="demo"
            )
        code = _report(config, engine, results, console)
        _next_steps(directory, config_file, console, serving=serve)
        if serve:
            _serve_until_stopped(directory, console)
    return code


def serve_again(directory: Path, state: DemoState, console: Console) -> int:
    """``moocx demo --serve`` on a demo that ran before: its platforms only, on the addresses
    its config points at, until SIGINT or SIGTERM. The config is left as it is."""
    console.print(
        f"[bold]mooc-exchange demo[/] in {directory.resolve()}: its sample platforms, again"
    )
    try:
        server = DemoServer(sample_platforms(), _ports(state), exact=True).start()
    except OSError as exc:
        console.print(
            f"{exc.strerror}: is `moocx demo --serve` running already?", style="red", markup=False
        )
        return EXIT_FAILED
    try:
        _announce(server, console)
        _serve_until_stopped(directory, console)
    finally:
        server.stop()
    return EXIT_OK


def _ports(state: DemoState) -> dict[str, int]:
    ports = {}
    for name, url in state.platforms.items():
        port = urlsplit(url).port
        ports[name] = port if port is not None else PREFERRED_PORTS.get(name, 0)
    return {**PREFERRED_PORTS, **ports}


def _refuse(directory: Path, changed: list[str], state: DemoState | None, console: Console) -> None:
    names = " and ".join(str(directory / name) for name in changed)
    if state is None:
        what = f"{names}: not written by `moocx demo` (or its record {STATE_FILE} is gone)"
    else:
        what = f"{names}: changed since `moocx demo` wrote {'them' if len(changed) > 1 else 'it'}"
    lines = [
        (f"{what}; the demo leaves the config as it is.", "yellow"),
        (f"  {demo_command(directory, '--serve')}   starts the sample platforms for it", None),
        (f"  {demo_command(directory, '--force')}   replaces it (your changes are lost)", None),
    ]
    for line, style in lines:  # soft_wrap: a command cut in two cannot be pasted
        console.print(line, style=style, markup=False, soft_wrap=True)


def _announce(server: DemoServer, console: Console) -> None:
    for name, title in NAMES.items():
        console.print(f"  {title} (sample data) serving at {server.url(name)}", markup=False)


def _report(config: Config, engine: Engine, results: list[FeedResult], console: Console) -> int:
    """Print what the sync did, what the catalog holds, the exchange and the exports; returns
    the exit code (1 if a feed or an export failed)."""
    for r in results:
        console.print(f"  {r.summary()}", style="green" if r.ok else "red", markup=False)
        if r.error:
            console.print(f"    {r.error}", style="red", markup=False)
    with read_only(engine) as conn:
        c = tables.courses.c
        courses = conn.execute(select(func.count()).select_from(tables.courses)).scalar_one()
        runs = conn.execute(select(func.count()).select_from(tables.course_runs)).scalar_one()
        sample = [
            conn.execute(select(c.title).where(c.feed_id == f.id).order_by(c.key).limit(3))
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
    refreshed = after_sync(config, engine, results, exports=True, always=True)
    assert refreshed.exchange is not None  # always: rebuilt even when nothing changed
    for s in refreshed.exchange.directions:
        console.print(
            f"  {s.offering} → {s.audience}: {s.courses} courses, {s.runs} runs, "
            f"{s.open_now} open for application now, {s.seats} seats",
            markup=False,
        )
    for b in refreshed.exports:
        if not b.ok:
            console.print(f"  export {b.item.path}: {b.error}", style="red", markup=False)
    engine.dispose()
    return EXIT_OK if all(r.ok for r in results) and refreshed.ok else EXIT_FAILED


def _next_steps(directory: Path, config_file: Path, console: Console, *, serving: bool) -> None:
    moocx = sys.argv[0] if sys.argv and sys.argv[0].endswith("moocx") else "moocx"
    console.print("\nOpen next:")
    for audience in ("vnu", "tsinghua"):
        console.print(
            f"  {directory / f'site-{audience}' / 'index.html'}   the catalog for {audience} "
            "students (double-click: it works offline)",
            markup=False,
        )
    console.print(
        f"  {directory / 'catalog.json'}   the JSON export (schema mooc-exchange/1)", markup=False
    )
    for command, what in (("feeds", "feeds and their health"), ("runs", "harvest runs")):
        console.print(
            f"  {moocx} --config {config_file} {command:6} {what}", markup=False, soft_wrap=True
        )
    if not serving:
        console.print(
            f"  {demo_command(directory, '--serve')}   starts the sample platforms again (they "
            "stopped with the demo), for sync and check on its config",
            markup=False,
            soft_wrap=True,
        )


def _serve_until_stopped(directory: Path, console: Console) -> None:
    config_file = directory / "config.toml"
    with stop_signals() as received:  # caught before the line that invites them is printed
        console.print(
            f"\nThe sample platforms run until Ctrl-C. In another terminal: "
            f"moocx --config {config_file} sync (or check, serve)",
            markup=False,
            soft_wrap=True,
        )
        sys.stdout.flush()
        while not received:
            time.sleep(0.2)
    console.print(f"{received[0]}: the sample platforms stopped", markup=False)


@contextmanager
def stop_signals() -> Iterator[list[str]]:
    """While the block runs, SIGINT and SIGTERM only append their name to the yielded list
    (the previous handlers come back after)."""
    received: list[str] = []

    def handler(signum: int, _frame: object) -> None:
        received.append(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
