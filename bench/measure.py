"""Timing whole processes from outside: wall clock and peak RSS of one child, and statistics.

Each measured case is its own process, started here and reaped with ``os.wait4``, whose
``rusage`` is that child's alone: ``ru_maxrss`` is its peak resident set (KiB on Linux), with no
interference from the runner or from earlier children (``RUSAGE_CHILDREN`` would give the
maximum over every child so far).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Sample:
    """One finished process."""

    wall_s: float
    peak_mib: float
    cpu_s: float
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False
    #: The kernel's share of ``cpu_s`` (file creation, I/O): ``ru_stime``.
    sys_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def run(
    cmd: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 3600.0,
) -> Sample:
    """Run ``cmd`` to its end (killed after ``timeout`` seconds) and measure it."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd), stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=cwd, env=env
        )
        reaped = threading.Event()
        killed = threading.Event()

        def kill() -> None:
            if not reaped.is_set():
                killed.set()
                proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            reaped.set()
            timer.cancel()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        return Sample(
            wall_s=wall,
            peak_mib=usage.ru_maxrss / 1024,
            cpu_s=usage.ru_utime + usage.ru_stime,
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            timed_out=killed.is_set(),
            sys_s=usage.ru_stime,
        )


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """The ``p``-th percentile (0–100), linear between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(samples: Sequence[Sample]) -> dict[str, object]:
    """Medians and every run's figures, for the JSON results."""
    walls = [s.wall_s for s in samples]
    peaks = [s.peak_mib for s in samples]
    return {
        "wall_s": median(walls),
        "peak_mib": median(peaks),
        "cpu_s": median([s.cpu_s for s in samples]),
        "sys_s": median([s.sys_s for s in samples]),
        "runs_wall_s": [round(w, 4) for w in walls],
        "runs_peak_mib": [round(p, 1) for p in peaks],
    }
