"""bench/measure.py: a measured process reports its own peak RSS, not the bench's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench import measure

pytestmark = pytest.mark.skipif(
    sys.platform != "linux",
    reason="Linux only: elsewhere ru_maxrss is not in KiB and not inherited across exec",
)

BIG_MIB = 150


def _touch(size_mib: int) -> bytearray:
    block = bytearray(size_mib * 1024 * 1024)
    for at in range(0, len(block), 4096):  # resident, not only reserved
        block[at] = 1
    return block


def test_a_child_does_not_inherit_the_peak_rss_of_a_large_bench() -> None:
    """A child of a 150 MiB process used to report 150 MiB whatever it did itself (on Linux a
    child's ru_maxrss starts from the address space it had before exec: its parent's)."""
    big = _touch(BIG_MIB)
    try:
        sample = measure.run(["true"])
    finally:
        del big
    assert sample.ok
    assert sample.peak_mib < 40, sample


def test_a_child_reports_what_it_uses_itself() -> None:
    script = f"b = bytearray({BIG_MIB} * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1"
    sample = measure.run([sys.executable, "-c", script])
    assert sample.ok
    assert BIG_MIB <= sample.peak_mib < BIG_MIB + 40, sample
    assert sample.cpu_s > 0 and sample.wall_s > 0


def test_exit_status_output_directory_and_timeout(tmp_path: Path) -> None:
    failed = measure.run(["sh", "-c", "echo out; echo err >&2; pwd; exit 3"], cwd=tmp_path)
    assert (failed.returncode, failed.ok, failed.timed_out) == (3, False, False)
    assert failed.stdout.splitlines() == ["out", str(tmp_path)]
    assert failed.stderr.strip() == "err"

    slow = measure.run(["sleep", "30"], timeout=0.5)
    assert slow.timed_out and not slow.ok
    assert slow.wall_s < 10
