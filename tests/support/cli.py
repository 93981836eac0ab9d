"""``moocx`` in its own process, as an admin's shell runs it: its real exit code, stdout and
stderr (what a terminal shows), signals and ``kill -9`` included. For the in-process CLI use
``scheduler.cli.run``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["ROOT", "moocx", "start_moocx"]

ROOT = Path(__file__).resolve().parents[2]
#: Long enough for the slowest CI machine, short enough that a hung command fails the test.
TIMEOUT = 120


def moocx(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run ``moocx ARGS`` to its end; never raises for a non-zero exit."""
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", *args],
        cwd=ROOT,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_moocx(*args: str, **popen: Any) -> subprocess.Popen[str]:
    """Start ``moocx ARGS`` with its output piped; ``popen`` adds ``subprocess.Popen`` options
    (``umask``, ``env``)."""
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )
