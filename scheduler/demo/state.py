"""What ``moocx demo`` records in its directory, so that running it again is safe.

``DIR/.moocx-demo.json`` holds:

- the SHA-256 of each file the demo wrote for the config (``config.toml``, the equivalence
  register it names). A re-run rewrites them only while they are exactly as written: an admin who
  edited the demo's config to try a rule keeps the edit (``moocx demo --force`` replaces it);
- the addresses of the sample platforms. ``moocx demo --serve`` starts them there again, and a
  sync or check of a feed pointing at one that is not running fails at once with one line that
  says so (:func:`stopped_platform`), instead of retrying a closed port for 20 seconds.

Nothing else reads it; deleting it makes the demo treat its files as someone else's.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import socket
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

STATE_FILE = ".moocx-demo.json"
#: The files of the demo's config, in the order it writes them.
CONFIG_FILES = ("equivalences.csv", "config.toml")
#: How long the check of a sample platform waits for its port (it is on this machine).
PROBE_TIMEOUT = 2.0


@dataclass(frozen=True)
class DemoState:
    #: File name → SHA-256 (hex) of the bytes the demo wrote.
    written: dict[str, str] = field(default_factory=dict)
    #: Platform name (``vnu``, ``tsinghua``) → the base URL it was served at.
    platforms: dict[str, str] = field(default_factory=dict)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_state(directory: Path) -> DemoState | None:
    """The demo's record in ``directory``, or None if there is none (or it is unreadable)."""
    try:
        data = json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))
        return DemoState(written=dict(data["written"]), platforms=dict(data["platforms"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_state(directory: Path, state: DemoState) -> None:
    payload = {"written": state.written, "platforms": state.platforms}
    (directory / STATE_FILE).write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")


def changed_files(directory: Path, state: DemoState | None) -> list[str]:
    """The demo's config files in ``directory`` that are not as the demo wrote them (edited
    since, or never written by it): a re-run must not overwrite them."""
    changed = []
    for name in CONFIG_FILES:
        path = directory / name
        if path.exists() and (state is None or state.written.get(name) != _file_digest(path)):
            changed.append(name)
    return changed


def _file_digest(path: Path) -> str | None:
    try:
        return digest(path.read_bytes())
    except OSError:
        return None


def demo_command(directory: Path, *flags: str) -> str:
    """``moocx demo`` with ``flags`` for the demo in ``directory`` (``--dir`` only if it is not
    the default), as a user would type it here."""
    where = directory.resolve()
    try:
        shown = os.path.relpath(where)
    except ValueError:  # another drive (Windows)
        shown = str(where)
    if shown.startswith(".."):
        shown = str(where)
    words = ["moocx", "demo", *flags]
    if shown != "moocx-demo":
        words += ["--dir", shlex.quote(shown)]
    return " ".join(words)


def stopped_platform(config_path: Path | None, base_url: str) -> str | None:
    """If ``base_url`` is a sample platform of the demo whose config is ``config_path`` and it
    is not running, the one line to report instead of harvesting; None otherwise (not a demo
    feed, or its platform answers). Costs a ``stat`` for any other config."""
    if config_path is None or not (config_path.parent / STATE_FILE).exists():
        return None
    state = read_state(config_path.parent)
    if state is None or base_url.rstrip("/") not in {
        u.rstrip("/") for u in state.platforms.values()
    }:
        return None
    parts = urlsplit(base_url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 80), PROBE_TIMEOUT):
            return None
    except ConnectionRefusedError:
        pass
    except OSError:
        return None  # something else: let the harvest report it as usual
    return (
        f"the demo's sample platform is not running ({base_url}): "
        f"start it with `{demo_command(config_path.parent, '--serve')}`"
    )
