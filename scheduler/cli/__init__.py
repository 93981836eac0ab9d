"""The ``moocx`` command line.

Exit codes (cron-friendly): 0 every feed succeeded; 1 a feed failed (or the catalog was busy:
another process held its write lock); 2 the config or the command line is wrong (nothing was
harvested); 3 every requested feed was skipped because another sync holds it.

The commands live in ``harvest``, ``health`` and ``views`` and are imported only when one of
them runs (see :class:`scheduler.cli.base.LazyGroup`), so ``moocx --version`` loads almost
nothing and ``moocx sync`` loads only what a sync needs.
"""

from __future__ import annotations

import sys

import click

from catalog.errors import CatalogError
from scheduler.cli.base import EXIT_CONFIG, EXIT_FAILED, EXIT_OK, _console, cli

__all__ = ["cli", "main", "run"]


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; config and catalog errors become exit code 2."""
    try:
        cli.main(args=argv, prog_name="moocx", standalone_mode=False)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("aborted", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return EXIT_CONFIG if isinstance(exc, click.UsageError) else EXIT_FAILED
    except Exception as exc:
        if _is_config_error(exc):
            _console(stderr=True).print(str(exc), style="red", markup=False)
            return EXIT_CONFIG
        if _is_export_error(exc):  # a mistake in what was asked, in its own words
            _console(stderr=True).print(str(exc), style="red", markup=False)
            return EXIT_CONFIG
        if isinstance(exc, CatalogError):
            # One line however long (a path, a hint): a log reader greps for it whole.
            _console(stderr=True).print(
                f"catalog: {exc}", style="red", markup=False, soft_wrap=True
            )
            # A busy catalog is no mistake in the config: run the command again later.
            return EXIT_FAILED if _is_busy(exc) else EXIT_CONFIG
        raise
    return EXIT_OK


def _is_config_error(exc: Exception) -> bool:
    """``isinstance(exc, scheduler.config.ConfigError)``, without importing the config machinery
    (pydantic…) for commands that never read a config: then nothing can have raised one."""
    config = sys.modules.get("scheduler.config")
    return config is not None and isinstance(exc, config.ConfigError)


def _is_export_error(exc: Exception) -> bool:
    """``isinstance(exc, scheduler.exports.ExportError)``, without loading the exports for
    commands that write none."""
    exports = sys.modules.get("scheduler.exports")
    return exports is not None and isinstance(exc, exports.ExportError)


def _is_busy(exc: Exception) -> bool:
    """``isinstance(exc, catalog.store.db.CatalogBusy)``, without importing SQLAlchemy for commands
    that never open the catalog."""
    db = sys.modules.get("catalog.store.db")
    return db is not None and isinstance(exc, db.CatalogBusy)


def main() -> None:
    """Console entry point."""
    sys.exit(run())
