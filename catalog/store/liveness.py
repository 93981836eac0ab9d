"""Is the process that holds a lease still alive? Answered only where the answer is certain.

A lease records the host name and pid of its holder; a sync killed with ``kill -9`` leaves it
behind. Waiting ``lease_ttl`` for it to expire is always safe, but a cron job that runs every few
minutes would then skip its feed for that long. So a lease may be taken over *at once* when this
process can prove that its holder is dead — and only then, since taking over the lease of a live
syncer would let two processes harvest one feed.

A pid alone proves nothing: the kernel reuses pids, so the dead syncer's pid may belong to
anything by now (a cron shell, another ``moocx sync``). Checking that the pid is "a python or
moocx process" would still mistake a new ``moocx sync`` for the dead one. What tells two
processes with one pid apart is their start time (``/proc/<pid>/stat``, field 22, in clock ticks
since boot), so the lease records a :class:`ProcessMark` of its holder — the kernel's boot id,
the pid namespace and that start time — and the holder is dead when, seen from a process of the
same boot and pid namespace on the same host, its pid no longer exists, is a zombie, or belongs
to a process that started at another time.

Everything else keeps the TTL rule: another host name; another boot id (a reboot, or another
machine that shares the host name); another pid namespace (a container on the same kernel, whose
pids this process cannot see); a process this user may not inspect (``hidepid``); a system
without ``/proc`` (macOS, Windows); a lease written without a mark.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

_PROC = "/proc"
_SEPARATOR = "~"


@dataclass(frozen=True, slots=True)
class ProcessMark:
    """What identifies a process beyond its pid, as recorded in a lease's holder id."""

    boot: str  # the first 12 hex digits of the kernel's boot id
    pidns: str  # the pid namespace's inode number
    started: int  # the process's start time, clock ticks after boot

    def same_kernel_view(self, other: ProcessMark) -> bool:
        """Whether pids of ``other``'s processes mean the same processes as ours."""
        return (self.boot, self.pidns) == (other.boot, other.pidns)


def own_mark() -> ProcessMark | None:
    """This process's mark; None where /proc cannot tell (then leases keep the TTL rule)."""
    try:
        with open(f"{_PROC}/sys/kernel/random/boot_id", encoding="ascii") as f:
            boot = f.read().strip().replace("-", "")[:12]
        found = re.fullmatch(r"pid:\[(\d+)\]", os.readlink(f"{_PROC}/self/ns/pid"))
    except OSError:
        return None
    stat = _stat(os.getpid())
    if not boot or found is None or stat is None:
        return None
    return ProcessMark(boot, found.group(1), stat[1])


#: Process states of /proc/<pid>/stat that mean "exited": zombie, dead.
_EXITED = ("Z", "X")


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, start time) from /proc/<pid>/stat; None when there is no such file to read."""
    try:
        with open(f"{_PROC}/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return None
    # "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")".
    fields = stat[stat.rfind(")") + 2 :].split()
    if len(fields) < 20 or not fields[19].isdigit():
        return None
    return fields[0], int(fields[19])  # fields 3 and 22 of the whole line


def encode(random_part: str, mark: ProcessMark | None) -> str:
    """A holder id (64 characters at most): a random part, then the holder's mark if it has one."""
    if mark is None:
        return random_part
    holder = _SEPARATOR.join((random_part, mark.boot, mark.pidns, str(mark.started)))
    return holder if len(holder) <= 64 else random_part  # never a cut mark: it would lie


def decode(holder: str) -> ProcessMark | None:
    """The mark a holder id carries, if it carries one."""
    parts = holder.split(_SEPARATOR)
    if len(parts) != 4 or not parts[2].isdigit() or not parts[3].isdigit():
        return None
    return ProcessMark(parts[1], parts[2], int(parts[3]))


def why_dead(holder: str, host: str | None, pid: int | None, this_host: str) -> str | None:
    """Why the holder of a lease is certainly dead; None when it may be alive.

    See the module docstring for what counts as certain.
    """
    theirs = decode(holder)
    if host != this_host or pid is None or theirs is None:
        return None
    ours = own_mark()
    if ours is None or not ours.same_kernel_view(theirs):
        return None
    stat = _stat(pid)
    if stat is None:
        if _exists(pid):  # not visible in /proc (hidepid), yet there: maybe the holder
            return None
        return f"pid {pid} no longer exists on {host}"
    state, started = stat
    if state in _EXITED:
        return f"pid {pid} on {host} has exited"
    if started != theirs.started:
        return f"pid {pid} on {host} is now another process"
    return None


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    except OSError:
        return True  # cannot tell: assume it does (the TTL rule then applies)
    return True
