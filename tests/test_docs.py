"""The docs are part of the product: these fail when a setting, connector or command goes
undocumented, or when the README's examples stop working."""

from __future__ import annotations

import dataclasses
import re
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
import responses

from connectors import registry
from scheduler.config import FeedHttpConfig, HttpConfig, load_config

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLE = ROOT / "config.example.toml"


def _example_keys() -> set[str]:
    """Every key written in config.example.toml, commented-out ones included."""
    keys = set()
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s*#?\s*([a-z_]+)\s*=", line)
        if m:
            keys.add(m.group(1))
    return keys


def test_config_example_loads_and_shows_every_connector(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in re.findall(r"\$\{(\w+)\}", EXAMPLE.read_text(encoding="utf-8")):
        monkeypatch.setenv(name, "x")
    config = load_config(EXAMPLE)
    assert sorted({f.connector for f in config.feeds}) == registry.available()


@pytest.mark.parametrize("name", registry.available())
def test_every_connector_and_its_options_are_documented(name: str) -> None:
    cls = registry.load(name)
    assert f"`{name}`" in README, f"connector {name} is not in the README"
    text = EXAMPLE.read_text(encoding="utf-8")
    assert f'connector = "{name}"' in text or f'"{name}" connector' in text
    missing = {f.name for f in dataclasses.fields(cls.Options)} - _example_keys()
    assert not missing, f"options of {name} missing from config.example.toml: {missing}"


def test_every_http_setting_is_documented() -> None:
    keys = set(HttpConfig.model_fields) | set(FeedHttpConfig.model_fields)
    assert not keys - _example_keys()
    for key in HttpConfig.model_fields:
        assert f"`{key}`" in README


def test_every_command_is_in_the_readme() -> None:
    import click

    from scheduler.cli import cli

    names = cli.list_commands(click.Context(cli))  # commands load lazily: ask, do not peek
    assert "sync" in names and "export" in names
    for name in names:
        assert f"moocx {name}" in README, f"command {name} is not in the README"


def test_ci_runs_exactly_the_quick_start_test_command() -> None:
    commands = re.findall(r"```sh\n(.+?)\n```", README)
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert any("moocx demo" in c for c in commands)


@responses.activate
def test_the_write_a_connector_example_works(tmp_path: Path, monkeypatch, capsys) -> None:
    section = README.split("## Write a connector", 1)[1]
    code = re.search(r"```python\n(.+?)```", section, re.S).group(1)
    (tmp_path / "my_moocx_connector.py").write_text(code, encoding="utf-8")
    entry = re.search(r'^(\w+) = "([\w.:]+)"$', section, re.M)
    monkeypatch.syspath_prepend(str(tmp_path))
    builtins = {ep.name: ep for ep in registry._entry_points().values()}
    extra = EntryPoint(name=entry.group(1), value=entry.group(2), group=registry.GROUP)
    monkeypatch.setattr(registry, "_entry_points", lambda: {**builtins, extra.name: extra})

    responses.get(
        "https://mooc.example.org/courses.json?page=1&per_page=20",
        json={
            "items": [{"code": "EX101", "name": "Ví dụ", "lang": "vi"}, {"code": "EX102"}],
            "has_more": True,
        },
    )
    responses.get(
        "https://mooc.example.org/courses.json?page=2&per_page=20",
        json={"items": [{"code": "EX201", "name": "示例课程", "lang": "zh"}], "has_more": False},
    )
    config = tmp_path / "config.toml"
    config.write_text(
        """
[[institutions]]
id = "vnu"
names = { vi = "ĐHQGHN" }
[[feeds]]
id = "example"
institution = "vnu"
connector = "example"
base_url = "https://mooc.example.org"
[feeds.options]
per_page = 20
""",
        encoding="utf-8",
    )
    from scheduler.cli import run

    assert run(["--config", str(config), "sync", "--quiet"]) == 0
    assert "new 2 · updated 0 · unchanged 0 · rejected 1" in capsys.readouterr().out
    sys.modules.pop("my_moocx_connector", None)
