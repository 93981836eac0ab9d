"""Timing whole processes from outside: wall clock and peak RSS of one child, and statistics.

Each measured case is its own process, started by ``bench/launch.py`` (a fresh interpreter of a
few MiB) and reaped there with ``os.wait4``, whose ``rusage`` is that command's alone:
``ru_maxrss`` is its peak resident set (KiB on Linux). Started from the bench directly, a child
would report at least the bench's own peak RSS (launch.py says why); ``RUSAGE_CHILDREN`` would
give the maximum over every child so far.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LAUNCHER = Path(__file__).with_name("launch.py")
#: Seconds the launcher is given beyond the command's own timeout before it is killed too.
GRACE = 60.0


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
    """Run ``cmd`` to its end (killed after ``timeout`` seconds) and measure it.

    The wall clock runs from the command's spawn to its exit, inside the launcher, so the
    launcher's own start-up is not counted."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile(suffix=".json") as report,
    ):
        launcher = [sys.executable, "-I", "-S", str(LAUNCHER), report.name, str(timeout)]
        # A launcher hung past its own alarm leaves no report: a timed-out sample.
        with contextlib.suppress(subprocess.TimeoutExpired):
            subprocess.run(
                [*launcher, str(cwd or ""), "--", *cmd],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
                timeout=timeout + GRACE,
                check=False,
            )
        data = json.loads(Path(report.name).read_text(encoding="utf-8") or "{}")
        out.seek(0)
        err.seek(0)
        return Sample(
            wall_s=float(data.get("wall_s", timeout)),
            peak_mib=float(data.get("maxrss_kib", 0)) / 1024,
            cpu_s=float(data.get("utime_s", 0)) + float(data.get("stime_s", 0)),
            returncode=int(data.get("returncode", -9)),
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            timed_out=bool(data.get("timed_out", True)),
            sys_s=float(data.get("stime_s", 0)),
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
