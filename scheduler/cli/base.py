"""The ``moocx`` command group, its shared state and small helpers (commands live beside it).

Start-up is kept cheap: the command modules are imported only when their command runs (or
``--help`` lists them), the config machinery only when a command reads the config, and rich
only when there is a terminal to draw on (see :func:`_output`).
"""

from __future__ import annotations

import builtins
import importlib
import logging
import os
import re
import sys
from typing import TYPE_CHECKING, Any, TextIO

import click

from connectors.version import __version__
from scheduler import logs

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rich.console import Console

    from scheduler.config import Config

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_SKIPPED = 0, 1, 2, 3
log = logging.getLogger(__name__)

#: Every command, by the module that defines it (with ``@cli.command()``). A new command must be
#: listed here; tests/scheduler/test_cli_startup.py checks that the two agree.
COMMANDS: dict[str, str] = {
    **dict.fromkeys(("init", "sync", "check", "serve", "demo"), "scheduler.cli.harvest"),
    **dict.fromkeys(("feeds", "runs", "status", "connectors"), "scheduler.cli.health"),
    **dict.fromkeys(("export", "search", "subjects"), "scheduler.cli.views"),
    "exchange": "scheduler.cli.exchange",
    **dict.fromkeys(("course", "review"), "scheduler.cli.inspect"),
    "web": "scheduler.cli.web",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (click's documented lazy-loading
    pattern): ``moocx --version`` and ``moocx sync`` load only what they run."""

    def __init__(self, *args: Any, lazy_commands: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            importlib.import_module(self.lazy_commands[cmd_name])  # registers its commands
        return super().get_command(ctx, cmd_name)


class _State:
    def __init__(self, config: str | None) -> None:
        self.config_arg = config
        self._config: Config | None = None

    def config(self) -> Config:
        if self._config is None:
            from scheduler.config import config_path, load_config

            self._config = load_config(config_path(self.config_arg))
            logs.redactor().add(self._config.secrets())
        return self._config


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:
        # Pipes, cron mail and CI logs: wide enough that tables never wrap their cells.
        console = Console(stderr=stderr, highlight=False, width=200)
    return console


#: What a non-terminal :func:`_console` would print: its width, and text it would alter.
_PLAIN_WIDTH = 200
_RICH_EMOJI_CODE = re.compile(r":\S*:")  # rich replaces :name: codes even with markup off


class PlainOutput:
    """Prints lines exactly as a non-terminal :func:`_console` would, without loading rich.

    Only ``print(text, style=..., markup=False)`` of a plain string: a line rich would print as
    is (printable, no ``:emoji:`` code, too short to wrap) is written directly; anything else
    is handed to a real rich console, so the output is always the same as before.
    """

    is_terminal = False

    def __init__(self, stderr: bool = False) -> None:
        self.stderr = stderr
        self._rich: Console | None = None

    @property
    def file(self) -> TextIO:
        return sys.stderr if self.stderr else sys.stdout

    def print(
        self, text: str, *, style: str | None = None, markup: bool = False, soft_wrap: bool = False
    ) -> None:
        """``soft_wrap``: never break the line (an error a log reader greps for stays whole)."""
        if not markup and isinstance(text, str) and _prints_as_is(text, any_width=soft_wrap):
            self.file.write(text + "\n")
            self.file.flush()
            return
        if self._rich is None:
            self._rich = _console(self.stderr)
        self._rich.print(text, style=style, markup=markup, soft_wrap=soft_wrap)


def _prints_as_is(text: str, *, any_width: bool = False) -> bool:
    if not text.isprintable() or _RICH_EMOJI_CODE.search(text):
        return False
    if any_width:
        return True
    # Upper bound of the cells the text takes: 1 for Latin letters (Vietnamese included) and
    # punctuation, at most 2 for any other printable character.
    cells = sum(1 if ch < "\u0300" or "\u1e00" <= ch <= "\u1eff" else 2 for ch in text)
    return cells <= _PLAIN_WIDTH


def _output(stderr: bool = False) -> Console | PlainOutput:
    """Where a command prints its lines: a rich console on a terminal (colours, bars), else a
    :class:`PlainOutput` that prints the same text without loading rich.

    Whenever rich might see a terminal where we do not (``FORCE_COLOR``, ``TTY_COMPATIBLE``,
    IDLE, Jupyter), it is asked: rich's own judgement decides, as it always did.
    """
    stream = sys.stderr if stderr else sys.stdout
    if (
        "FORCE_COLOR" in os.environ
        or "TTY_COMPATIBLE" in os.environ
        or hasattr(builtins, "get_ipython")
        or str(getattr(sys.stdin, "__module__", "")).startswith("idlelib")
        or _isatty(stream)
    ):
        return _console(stderr)
    return PlainOutput(stderr)


def _isatty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return False if isatty is None else bool(isatty())
    except ValueError:  # a closed stream, as rich treats it
        return False


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--config",
    "-c",
    metavar="PATH",
    help="Config file (default: $MOOCX_CONFIG, else ./config.toml).",
)
@click.option("--verbose", "-v", count=True, help="More log output (-v info, -vv debug).")
@click.option(
    "--log-format",
    type=click.Choice(["plain", "json"]),
    default="plain",
    show_default=True,
    help="Log lines as plain text or one JSON object per line.",
)
@click.version_option(__version__, prog_name="moocx")
@click.pass_context
def cli(ctx: click.Context, config: str | None, verbose: int, log_format: str) -> None:
    """mooc-exchange: harvest partner universities' MOOC feeds into one shared catalog."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logs.setup(level, log_format)
    ctx.obj = _State(config)


def _when(value: object) -> str:
    if value is None:
        return "-"
    return value.astimezone().strftime("%Y-%m-%d %H:%M")  # type: ignore[attr-defined]


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
