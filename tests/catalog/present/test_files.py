"""catalog.present.files: an export's file is whole or absent, with the mode the umask gives."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from catalog.present.files import atomic_text, create_new


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_files_get_0666_less_the_umask_like_any_new_file(
    tmp_path: Path, umask: int, mode: int
) -> None:
    old = os.umask(umask)
    try:
        with atomic_text(tmp_path / "out" / "catalog.json") as fh:
            fh.write("{}")
        os.close(create_new(tmp_path / "page.html"))
        with (tmp_path / "plain.txt").open("w") as fh:  # what open() does, for comparison
            fh.write("x")
    finally:
        os.umask(old)
    for name in ("out/catalog.json", "page.html", "plain.txt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "offers.csv"
    target.write_text("old\r\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_text(target) as fh:
        fh.write("half a ")
        raise RuntimeError("the database went away")
    assert target.read_bytes() == b"old\r\n"
    assert [p.name for p in tmp_path.iterdir()] == ["offers.csv"]

    with atomic_text(target) as fh:
        fh.write("new\r\n")  # newlines are written as given (the CSV's \r\n stays)
    assert target.read_bytes() == b"new\r\n"


def test_the_next_write_removes_a_killed_writers_temporary_file_but_not_a_running_ones(
    tmp_path: Path,
) -> None:
    """H8: a ``.NAME.XXXXXXXX.tmp`` nobody holds a lock on is a killed export's and goes; one
    a running export holds, a symlink, and files that only look alike stay."""
    from catalog.present.files import lock_new, release

    target = tmp_path / "catalog.json"
    dead = tmp_path / ".catalog.json.0badf00d.tmp"  # as kill -9 leaves it: no lock
    dead.write_text('{"half', encoding="utf-8")
    alive = tmp_path / ".catalog.json.a11ce000.tmp"
    alive.write_text('{"at work', encoding="utf-8")
    lock = lock_new(alive)
    kept = [".catalog.json.backup.tmp", ".other.json.0badf00d.tmp", "notes.txt"]
    for name in kept:
        (tmp_path / name).write_text("mine", encoding="utf-8")
    (tmp_path / ".catalog.json.51a1c0de.tmp").symlink_to(tmp_path / "notes.txt")
    try:
        with atomic_text(target) as fh:
            fh.write("{}")
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            [*kept, ".catalog.json.51a1c0de.tmp", alive.name, "catalog.json"]
        )
    finally:
        release(lock)
    with atomic_text(target) as fh:  # its writer gone, the other one is a leftover too
        fh.write("{}")
    assert not alive.exists() and (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
