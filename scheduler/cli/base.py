"""The ``moocx`` command group, its shared state and small helpers (commands live beside it)."""

from __future__ import annotations

import logging

import click
from rich.console import Console

from connectors.version import __version__
from scheduler import logs
from scheduler.config import Config, config_path, load_config

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_SKIPPED = 0, 1, 2, 3
log = logging.getLogger(__name__)


class _State:
    def __init__(self, config: str | None) -> None:
        self.config_arg = config
        self._config: Config | None = None

    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(config_path(self.config_arg))
            logs.redactor().add(self._config.secrets())
        return self._config


def _console(stderr: bool = False) -> Console:
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:
        # Pipes, cron mail and CI logs: wide enough that tables never wrap their cells.
        console = Console(stderr=stderr, highlight=False, width=200)
    return console


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
