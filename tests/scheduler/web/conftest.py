"""A published demo node served for real: ``moocx demo``'s catalog (VNU's Open edX and
Tsinghua's XuetangX courses, both sites exported) with a ``[publish]`` section, and the
``moocx web`` app on waitress on a loopback port chosen by the system."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from catalog.store.db import make_engine
from catalog.store.node_secrets import node_secret
from scheduler.config import Config, load_config
from scheduler.web import create_app
from scheduler.web.server import make_server, stop

NODE_ID = "exchange.vnu.test"


@pytest.fixture
def demo_template(demo_dir: Path) -> Path:
    """The session's demo; every node copies it."""
    return demo_dir


def publish_section(base_url: str, **keys: Any) -> str:
    """A ``[publish]`` table (TOML) for ``base_url``, ``keys`` overriding its defaults."""
    values: dict[str, Any] = {
        "node_id": NODE_ID,
        "base_url": base_url,
        "repository_name": "VNU course exchange (test)",
        "admin_email": "exchange@vnu.test",
        "institutions": ["vnu", "tsinghua"],
    }
    values.update(keys)
    return "\n[publish]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in values.items())


def _toml(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value) + '"'


def without_tables(text: str, names: tuple[str, ...]) -> str:
    """A TOML text without the tables ``names`` (the demo publishes itself on port 8080; a test
    node publishes on its own port)."""
    kept, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("["):
            skipping = line.strip().strip("[]") in names
        if not skipping:
            kept.append(line)
    return "".join(kept)


class _Deferred:
    """A WSGI app set once the server's port (hence the node's base URL) is known."""

    app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


@dataclass
class Node:
    url: str
    directory: Path
    config: Config
    engine: Engine
    app: Any

    @property
    def catalog_url(self) -> str:
        return self.config.catalog_url


@pytest.fixture
def start_node(demo_template: Path, tmp_path: Path) -> Iterator[Callable[..., Node]]:
    """``start_node(web="…toml…", **publish_keys)``: a copy of the demo, published and served."""
    running: list[tuple[Any, threading.Thread, Engine]] = []

    def start(web: str = "", **publish: Any) -> Node:
        directory = tmp_path / f"node{len(running)}"
        shutil.copytree(demo_template, directory)
        deferred = _Deferred()
        server = make_server(deferred, host="127.0.0.1", port=0, threads=4)
        url = f"http://127.0.0.1:{server.effective_port}"
        config_file = directory / "config.toml"
        demo = without_tables(config_file.read_text(encoding="utf-8"), ("publish", "web"))
        config_file.write_text(demo + publish_section(url, **publish) + web, encoding="utf-8")
        config = load_config(config_file)
        key = node_secret(make_engine(config.catalog_url))
        engine = make_engine(config.catalog_url, read_only=True)
        deferred.app = create_app(config, engine, settings=config.publish_settings(key))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        running.append((server, thread, engine))
        return Node(url, directory, config, engine, deferred.app)

    yield start
    for server, thread, engine in running:
        stop(server, thread)
        assert not thread.is_alive()
        engine.dispose()


@pytest.fixture
def node(start_node: Callable[..., Node]) -> Node:
    """The demo published with both institutions, served."""
    return start_node()
