"""`moocx` starts small: a command imports only what it runs (no timing is asserted, only which
modules a real `moocx` process has loaded), and the lazy command group and the plain writer
behave exactly like the eager group and the rich console they stand in for."""

from __future__ import annotations

import io
import json
import os
import pkgutil
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import click
import pytest
from rich.console import Console

import scheduler.cli
from scheduler.cli import base, run
from scheduler.demo.server import DemoServer, OpenEdxPlatform, load_sample

ROOT = Path(__file__).resolve().parents[2]

#: Runs the CLI like the `moocx` entry point, then reports which modules it loaded.
PROBE = """
import json, sys
from scheduler.cli import run
code = run(sys.argv[1:])
print("\\nPROBE " + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

#: Needed by no sync of a current catalog: migrations, drawing, the service, the site builder.
NOT_FOR_SYNC = (
    "alembic",
    "mako",
    "rich",
    "pygments",
    "apscheduler",
    "jinja2",
    "markupsafe",
    "nh3",
    "scheduler.service",
    "scheduler.exports",
    "catalog.present.site.build",
    "catalog.store.models",  # the harvest works on catalog.store.tables: no ORM
    "sqlalchemy.orm",
)
#: Not even the config machinery or the database toolkit for `--version` and the like.
NOT_FOR_VERSION = (
    *NOT_FOR_SYNC,
    "pydantic",
    "sqlalchemy",
    "requests",
    "scheduler.config",
    "scheduler.cli.harvest",
    "scheduler.cli.health",
    "scheduler.cli.views",
)

CONFIG = """
[catalog]
url = "{catalog_url}"

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

# No `schedule`: a feed's schedule is validated with APScheduler's cron trigger
# (scheduler/cron.py), so a config that sets one loads that much of APScheduler.
[[feeds]]
id = "vnu"
institution = "vnu"
connector = "openedx"
base_url = "{base}"

[feeds.options]
page_size = 25
"""


def probe(*args: str) -> tuple[int, set[str], str]:
    """Run ``moocx ARGS`` in a fresh, non-terminal process: (exit code, modules, its output)."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out, _, report = done.stdout.rpartition("\nPROBE ")
    assert report, done.stderr[-3000:]
    data = json.loads(report)
    return data["code"], set(data["modules"]), out + done.stderr


def loaded(modules: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in forbidden))


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["sync", "--help"]])
def test_version_and_help_load_neither_the_config_nor_the_catalog(args: list[str]) -> None:
    code, modules, out = probe(*args)
    assert code == 0, out
    if args == ["--version"]:
        assert "moocx, version" in out
    forbidden = NOT_FOR_VERSION if args[0] != "sync" else NOT_FOR_SYNC
    if args == ["--help"]:  # listing the commands' short help imports their modules
        forbidden = NOT_FOR_SYNC
    assert not loaded(modules, forbidden)


@pytest.fixture
def current_catalog(tmp_path: Path, catalog_url: str):
    """A config whose catalog is already synced with its feed, served on loopback."""
    platform = OpenEdxPlatform(load_sample("vnu_openedx_courses.json"))
    with DemoServer({"vnu": platform}) as server:
        config = tmp_path / "config.toml"
        config.write_text(
            CONFIG.format(catalog_url=catalog_url, base=server.url("vnu")), encoding="utf-8"
        )
        assert run(["--config", str(config), "sync", "--quiet"]) == 0
        yield config


@pytest.mark.parametrize("quiet", [True, False], ids=["quiet", "log-lines"])
def test_a_sync_of_a_current_catalog_loads_no_migrations_no_rich_no_scheduler(
    current_catalog: Path, quiet: bool
) -> None:
    code, modules, out = probe(
        "--config", str(current_catalog), "sync", *(["--quiet"] if quiet else [])
    )
    assert code == 0, out
    assert "vnu: succeeded (full) · new 0 · updated 0 · unchanged 58" in out
    assert not loaded(modules, NOT_FOR_SYNC)


def test_a_sync_that_must_migrate_still_migrates(tmp_path: Path, catalog_url: str) -> None:
    platform = OpenEdxPlatform(load_sample("vnu_openedx_courses.json"))
    with DemoServer({"vnu": platform}) as server:
        config = tmp_path / "config.toml"
        config.write_text(
            CONFIG.format(catalog_url=catalog_url, base=server.url("vnu")), encoding="utf-8"
        )
        code, modules, out = probe("--config", str(config), "sync", "--quiet")
    assert code == 0, out
    assert "vnu: succeeded (full) · new 58" in out
    if catalog_url.startswith("sqlite"):  # created from the migrations' snapshot
        assert "alembic" not in modules
    else:  # created through the migrations
        assert "alembic" in modules


def test_the_lazy_group_lists_exactly_the_commands_the_modules_define() -> None:
    for module in pkgutil.iter_modules(scheduler.cli.__path__, "scheduler.cli."):
        if module.name != "scheduler.cli.__main__":
            __import__(module.name)
    cli = base.cli
    assert set(cli.commands) == set(base.COMMANDS)
    for name, command in cli.commands.items():
        assert command.callback is not None
        assert command.callback.__module__ == base.COMMANDS[name], name


def test_help_lists_every_command_with_its_short_help(capsys) -> None:
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    ctx = click.Context(base.cli, info_name="moocx")
    assert base.cli.list_commands(ctx) == sorted(base.COMMANDS)
    for name in base.COMMANDS:
        command = base.cli.get_command(ctx, name)
        assert command is not None
        assert f"  {name}" in out
        assert command.get_short_help_str(45)[:30] in out


def test_an_unknown_command_is_still_a_usage_error(capsys) -> None:
    assert run(["nosuch"]) == 2
    assert "No such command 'nosuch'" in capsys.readouterr().err


PLAIN_SAMPLES = [
    "vnu: succeeded (full) · new 0 · updated 0 · unchanged 58 · rejected 0 · 4 pages · 0.1 s",
    "  see the rejected records: moocx runs show 12",
    "",
    " ",
    "  trailing spaces   ",
    "x" * 200,
    "x" * 201,
    "word " * 40,
    "word " * 41,
    "Giáo dục học đại cương, Khoa học dữ liệu " * 5,
    "人工智能导论" * 16,
    "人工智能导论" * 17,
    "a" * 199 + "人",
    "tab\there",
    "carriage\rreturn",
    "bell\x07",
    "two\nlines",
    "zero\u200bwidth",
    "e\u0301",
    ":thumbs_up: emoji code",
    "  http://127.0.0.1:8000/api/courses/v1/courses/?page=2: HTTP 503",
    "[bold]not markup[/bold]",
]


@pytest.mark.parametrize("text", PLAIN_SAMPLES)
@pytest.mark.parametrize("style", [None, "red"])
def test_the_plain_writer_prints_what_a_non_terminal_rich_console_prints(
    text: str, style: str | None
) -> None:
    expected = io.StringIO()
    Console(file=expected, highlight=False, width=200).print(text, style=style, markup=False)
    got = io.StringIO()
    with redirect_stdout(got):
        base.PlainOutput().print(text, style=style, markup=False)
    assert got.getvalue() == expected.getvalue()


def test_the_plain_writer_knows_the_cell_width_of_what_it_prints_itself() -> None:
    from rich.cells import cell_len

    narrow = [*range(0x20, 0x300), *range(0x1E00, 0x1F00)]
    assert all(cell_len(chr(c)) == 1 for c in narrow if chr(c).isprintable())


def test_rich_decides_whenever_it_might_see_a_terminal(monkeypatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert isinstance(base._output(), base.PlainOutput)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert isinstance(base._output(), Console)
    monkeypatch.delenv("FORCE_COLOR")
    monkeypatch.setenv("TTY_COMPATIBLE", "0")
    assert isinstance(base._output(), Console)
    monkeypatch.delenv("TTY_COMPATIBLE")
    monkeypatch.setattr(sys, "stdout", Tty())
    console = base._output()
    assert isinstance(console, Console) and console.is_terminal
