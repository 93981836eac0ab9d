"""The ``moocx`` command line.

Exit codes (cron-friendly): 0 every feed succeeded; 1 a feed failed; 2 the config or the command
line is wrong (nothing was harvested); 3 every requested feed was skipped because another sync
holds it.
"""

from __future__ import annotations

import sys

import click

from catalog.errors import CatalogError
from scheduler.cli import harvest, health, views  # noqa: F401 -- they register the commands
from scheduler.cli.base import EXIT_CONFIG, EXIT_FAILED, EXIT_OK, _console, cli
from scheduler.config import ConfigError

__all__ = ["cli", "main", "run"]


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; config and catalog errors become exit code 2."""
    try:
        cli.main(args=argv, prog_name="moocx", standalone_mode=False)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except ConfigError as exc:
        _console(stderr=True).print(str(exc), style="red", markup=False)
        return EXIT_CONFIG
    except CatalogError as exc:
        _console(stderr=True).print(f"catalog: {exc}", style="red", markup=False)
        return EXIT_CONFIG
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("aborted", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return EXIT_CONFIG if isinstance(exc, click.UsageError) else EXIT_FAILED
    return EXIT_OK


def main() -> None:
    """Console entry point."""
    sys.exit(run())
