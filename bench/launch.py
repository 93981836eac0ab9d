"""Start one measured command from a small process, and report that command's own rusage.

Why not ``os.wait4`` on a child of the bench itself: on Linux a child's ``ru_maxrss`` starts
from the address space it had before ``exec``, which for a child of ``subprocess.Popen`` (vfork)
is the bench's own. Every child then reports at least the bench's peak RSS: at N = 100,000 the
bench had grown to 73 MiB, and every case of that N, down to a 0.3 s Sickle ``from=`` run,
read 73 MiB. This launcher is a fresh interpreter of a few MiB (``-I -S``, the standard library
only); the command it spawns inherits *its* size instead, and it reports the command's wall
clock, peak RSS and CPU as measured by ``os.wait4`` on it.

Run as ``python -I -S launch.py REPORT TIMEOUT CWD -- COMMAND…``: the command's stdin, stdout,
stderr and environment are the launcher's own; ``REPORT`` gets one JSON object; the exit
status is the command's (``-SIGNAL`` as 128 + signal). After ``TIMEOUT`` seconds the command is
killed and the report says so.
"""

import json
import os
import signal
import sys
import time


def main(argv: list[str]) -> int:
    report, timeout, cwd, dash, *command = argv
    if dash != "--" or not command:
        print("usage: launch.py REPORT TIMEOUT CWD -- COMMAND…", file=sys.stderr)
        return 2
    if cwd:
        os.chdir(cwd)
    timed_out = False
    started = time.perf_counter()
    pid = os.posix_spawnp(command[0], command, os.environ)

    def kill(_signum: int, _frame: object) -> None:
        nonlocal timed_out
        timed_out = True
        os.kill(pid, signal.SIGKILL)

    signal.signal(signal.SIGALRM, kill)
    signal.setitimer(signal.ITIMER_REAL, float(timeout))
    _, status, usage = os.wait4(pid, 0)  # retried after the alarm's handler (PEP 475)
    wall = time.perf_counter() - started
    signal.setitimer(signal.ITIMER_REAL, 0)
    code = os.waitstatus_to_exitcode(status)
    with open(report, "w", encoding="utf-8") as fh:
        json.dump(
            {
                "wall_s": wall,
                "maxrss_kib": usage.ru_maxrss,
                "utime_s": usage.ru_utime,
                "stime_s": usage.ru_stime,
                "returncode": code,
                "timed_out": timed_out,
            },
            fh,
        )
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
