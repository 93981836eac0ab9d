"""Secrets only where they are used: a feed's `${VAR}` is needed to harvest that feed, not to
read the catalog. The export job, a student-facing search or an admin looking at `moocx feeds`
run without the harvesters' secrets; `sync`, `check` and `serve` refuse a feed whose secret is
unset — before anything runs, naming the key and the variable — and only that feed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import responses
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import create_engine, inspect, text

from scheduler.cli import run
from scheduler.config import ENV_CONFIG, ConfigError, load_config
from scheduler.service import Service
from tests.conftest import fixture_json
from tests.support.cli import moocx as run_moocx

VNU = "https://courses.vnu.edu.vn"
THU = "https://openedx.tsinghua.edu.cn"
SENTINEL = "S3NT1NEL-tsinghua-client-secret"
MISSING = (
    "feeds[1] (tsinghua-openedx).auth.client_secret: environment variable TSINGHUA_SECRET is "
    "not set (or is empty)"
)

CONFIG = """
[catalog]
url = "{catalog_url}"

[http]
max_retries = 0
{http}

[service]
status_file = "moocx-status.json"

[[institutions]]
id = "vnu"
country = "VN"
timezone = "Asia/Ho_Chi_Minh"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[institutions]]
id = "tsinghua"
country = "CN"
timezone = "Asia/Shanghai"
names = {{ zh = "清华大学" }}

[[feeds]]
id = "vnu-openedx"
institution = "vnu"
connector = "openedx"
base_url = "{vnu}"

[feeds.options]
page_size = 3

[[feeds]]
id = "tsinghua-openedx"
institution = "tsinghua"
connector = "openedx"
base_url = "{thu}"
enabled = {thu_enabled}

[feeds.auth]
client_id = "moocx-harvester"
client_secret = "${{TSINGHUA_SECRET}}"

[[exchange]]
id = "vnu-to-tsinghua"
from = "vnu"
to = "tsinghua"

[[exports]]
format = "json"
path = "exports/catalog.json"
"""


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The export job's user: no harvest secret in its environment."""
    monkeypatch.delenv(ENV_CONFIG, raising=False)
    monkeypatch.delenv("TSINGHUA_SECRET", raising=False)
    monkeypatch.delenv("PROXY_PASSWORD", raising=False)


def write(folder: Path, catalog_url: str, *, http: str = "", thu_enabled: bool = True) -> Path:
    path = folder / "config.toml"
    path.write_text(
        CONFIG.format(
            catalog_url=catalog_url,
            vnu=VNU,
            thu=THU,
            http=http,
            thu_enabled=str(thu_enabled).lower(),
        ),
        encoding="utf-8",
    )
    return path


def serve_vnu() -> None:
    """The VNU platform; nothing answers for Tsinghua (a request there fails the test)."""
    for n in (1, 2, 3):
        query = "?page_size=3" if n == 1 else f"?page={n}&page_size=3"
        responses.get(
            f"{VNU}/api/courses/v1/courses/{query}",
            json=fixture_json("openedx", f"courses_page{n}.json"),
        )


def moocx(path: Path, *args: str) -> int:
    return run(["--config", str(path), *args])


def runs_of(catalog_url: str) -> list[str]:
    """The feeds of every harvest run in the catalog (none when it was never even created)."""
    engine = create_engine(catalog_url)
    try:
        if not inspect(engine).has_table("harvest_runs"):
            return []
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT feed_id FROM harvest_runs"))]
    finally:
        engine.dispose()


@responses.activate
def test_reading_commands_work_without_the_harvest_secrets(
    tmp_path: Path, catalog_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, catalog_url)
    serve_vnu()
    assert moocx(path, "sync", "--quiet", "vnu-openedx") == 0  # needs no secret of its own
    capsys.readouterr()

    assert moocx(path, "export", "--format", "json", "--out", "-") == 0
    exported = json.loads(capsys.readouterr().out)
    assert any(c["title"] == "Giáo dục học đại cương" for c in exported["courses"])
    key = next(c["id"] for c in exported["courses"] if c["title"] == "Giáo dục học đại cương")
    commands = (["feeds"], ["runs"], ["exchange"], ["search", "giao duc"], ["course", key],
                ["review"], ["exchange", "--explain", key])  # fmt: skip
    for command in commands:
        assert moocx(path, *command) == 0, command
        out, err = capsys.readouterr()
        assert "TSINGHUA_SECRET" not in out + err, command
    assert moocx(path, "search", "giao duc") == 0
    assert "Giáo dục học đại cương" in capsys.readouterr().out


@responses.activate
def test_sync_and_check_refuse_only_the_feed_whose_secret_is_unset(
    tmp_path: Path, catalog_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, catalog_url)
    serve_vnu()
    for command in (
        ["sync", "tsinghua-openedx"],
        ["sync"],  # every enabled feed: Tsinghua's among them
        ["check", "tsinghua-openedx"],
        ["check"],
    ):
        assert moocx(path, *command) == 2, command
        out, err = capsys.readouterr()
        assert out == ""
        assert err.splitlines() == [f"{path}: 1 error in the config:", f"  {MISSING}"]
    assert runs_of(catalog_url) == []  # refused before anything ran
    assert not any(THU in call.request.url for call in responses.calls)

    assert moocx(path, "sync", "--quiet", "vnu-openedx") == 0
    assert moocx(path, "check", "vnu-openedx") == 0
    assert runs_of(catalog_url) == ["vnu-openedx"]


@responses.activate
def test_a_disabled_feeds_secret_is_not_needed_to_sync_the_enabled_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog_url = f"sqlite:///{tmp_path / 'catalog.db'}"
    path = write(tmp_path, catalog_url, thu_enabled=False)
    serve_vnu()
    assert moocx(path, "sync", "--quiet") == 0, capsys.readouterr().err
    assert runs_of(catalog_url) == ["vnu-openedx"]


@responses.activate
def test_a_proxy_password_is_needed_by_every_harvest_and_by_nothing_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog_url = f"sqlite:///{tmp_path / 'catalog.db'}"
    proxy = 'proxy = "http://moocx:${PROXY_PASSWORD}@proxy.vnu.edu.vn:3128"'
    path = write(tmp_path, catalog_url, http=proxy, thu_enabled=False)
    assert moocx(path, "feeds") == 0
    capsys.readouterr()
    assert moocx(path, "sync", "vnu-openedx") == 2
    assert capsys.readouterr().err.splitlines()[1:] == [
        "  http.proxy: environment variable PROXY_PASSWORD is not set (or is empty)"
    ]


def test_serve_refuses_to_start_without_an_enabled_feeds_secret(tmp_path: Path) -> None:
    path = write(tmp_path, f"sqlite:///{tmp_path / 'catalog.db'}")
    env = {k: v for k, v in os.environ.items() if k not in ("TSINGHUA_SECRET", ENV_CONFIG)}
    done = run_moocx("--config", str(path), "serve", env=env)
    assert done.returncode == 2, done.stderr
    assert MISSING in " ".join(done.stderr.split())
    assert not (tmp_path / "moocx-status.json").exists()  # it never started


def test_serve_refuses_a_reload_that_lacks_a_secret_and_keeps_its_schedule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path, f"sqlite:///{tmp_path / 'catalog.db'}")
    monkeypatch.setenv("TSINGHUA_SECRET", SENTINEL)
    service = Service(path, load_config(path), scheduler_class=BackgroundScheduler)
    service.scheduler.start(paused=True)
    try:
        service.schedule()
        jobs = sorted(j.id for j in service.scheduler.get_jobs())
        assert jobs == ["feed:tsinghua-openedx", "feed:vnu-openedx"]

        monkeypatch.delenv("TSINGHUA_SECRET")  # e.g. the env file lost a line before a SIGHUP
        assert not service.reload()
        assert MISSING in caplog.text
        assert sorted(j.id for j in service.scheduler.get_jobs()) == jobs
        assert service.config.feed_context(service.config.feed("tsinghua-openedx")).auth

        monkeypatch.setenv("TSINGHUA_SECRET", SENTINEL)
        assert service.reload()
    finally:
        service.scheduler.shutdown(wait=False)
    assert SENTINEL not in caplog.text


def test_status_works_without_the_secrets_the_service_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, f"sqlite:///{tmp_path / 'catalog.db'}")
    monkeypatch.setenv("TSINGHUA_SECRET", SENTINEL)  # the service's environment
    service = Service(path, load_config(path), scheduler_class=BackgroundScheduler)
    service.scheduler.start(paused=True)
    try:
        service.schedule()
        service.write_status()
    finally:
        service.scheduler.shutdown(wait=False)

    monkeypatch.delenv("TSINGHUA_SECRET")  # the monitoring check's environment
    assert moocx(path, "status") == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "tsinghua-openedx" in out
    assert SENTINEL not in out


@responses.activate
def test_a_set_secret_reaches_no_message_catalog_or_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = tmp_path / "catalog.db"
    path = write(tmp_path, f"sqlite:///{catalog}")
    monkeypatch.setenv("TSINGHUA_SECRET", SENTINEL)
    serve_vnu()
    assert moocx(path, "-vv", "sync", "vnu-openedx") == 0
    assert moocx(path, "export", "--format", "json", "--out", "-") == 0
    assert moocx(path, "feeds") == 0
    out, err = capsys.readouterr()
    assert SENTINEL not in out + err
    assert SENTINEL.encode() not in catalog.read_bytes()


def test_a_feeds_context_is_refused_while_its_secret_is_unset(tmp_path: Path) -> None:
    """The last guard: nothing can build the Tsinghua connector without its secret."""
    config = load_config(write(tmp_path, "sqlite:///catalog.db"), env={})
    assert config.secrets() == []  # the unresolved "${TSINGHUA_SECRET}" is no secret to mask
    config.feed_context(config.feed("vnu-openedx"))
    with pytest.raises(ConfigError) as info:
        config.feed_context(config.feed("tsinghua-openedx"))
    assert info.value.errors == [MISSING]
    config.require_secrets(["vnu-openedx"])
    with pytest.raises(ConfigError):
        config.require_secrets()  # every enabled feed


def test_an_unset_variable_in_a_value_every_command_reads_fails_the_load(tmp_path: Path) -> None:
    path = write(tmp_path, "sqlite:///${CATALOG_DIR}/catalog.db")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert info.value.errors == [
        "catalog.url: environment variable CATALOG_DIR is not set (or is empty)"
    ]


def test_a_harvest_only_value_that_needs_its_variable_to_be_checked_names_the_variable(
    tmp_path: Path,
) -> None:
    """A token URL from the environment cannot be checked as a URL without it: the load says
    the variable is missing, not that ``${TOKEN_URL}`` is a bad URL."""
    path = write(tmp_path, "sqlite:///catalog.db")
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'client_id = "moocx-harvester"',
            'client_id = "moocx-harvester"\ntoken_url = "${TOKEN_URL}"',
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, env={"TSINGHUA_SECRET": SENTINEL})
    assert info.value.errors == [
        "feeds[1] (tsinghua-openedx).auth.token_url: environment variable TOKEN_URL is not set "
        "(or is empty)"
    ]


# -- K1: a variable that is set but empty counts as missing ------------------------------------

EMPTY_VALUES = [pytest.param("", id="empty"), pytest.param("  \t", id="only-whitespace")]


@pytest.mark.parametrize("value", EMPTY_VALUES)
@responses.activate
def test_sync_and_check_refuse_a_feed_whose_secret_is_set_but_empty(
    tmp_path: Path, catalog_url: str, monkeypatch: pytest.MonkeyPatch, capsys, value: str
) -> None:
    """K1: `TSINGHUA_SECRET=` (an env file's line with nothing after the `=`) is no secret: sync
    and check stop before anything runs, naming the key and the variable, never a value."""
    monkeypatch.setenv("TSINGHUA_SECRET", value)
    path = write(tmp_path, catalog_url)
    serve_vnu()
    for command in (["sync", "tsinghua-openedx"], ["sync"], ["check", "tsinghua-openedx"]):
        assert moocx(path, *command) == 2, command
        out, err = capsys.readouterr()
        assert out == ""
        assert err.splitlines() == [f"{path}: 1 error in the config:", f"  {MISSING}"]
    assert runs_of(catalog_url) == []  # refused before anything ran
    assert not any(THU in call.request.url for call in responses.calls)


@pytest.mark.parametrize("value", EMPTY_VALUES)
def test_serve_refuses_to_start_when_an_enabled_feeds_secret_is_empty(
    tmp_path: Path, value: str
) -> None:
    """K1: `moocx serve` started with `TSINGHUA_SECRET=""` exits 2 naming the variable."""
    path = write(tmp_path, f"sqlite:///{tmp_path / 'catalog.db'}")
    env = {k: v for k, v in os.environ.items() if k != ENV_CONFIG}
    env["TSINGHUA_SECRET"] = value
    done = run_moocx("--config", str(path), "serve", env=env)
    assert done.returncode == 2, done.stderr
    assert MISSING in " ".join(done.stderr.split())
    assert not (tmp_path / "moocx-status.json").exists()  # it never started


def test_an_empty_variable_in_a_value_every_command_reads_fails_the_load(tmp_path: Path) -> None:
    """K1: an empty `${CATALOG_DIR}` would make `sqlite:////catalog.db`; the load says so."""
    path = write(tmp_path, "sqlite:///${CATALOG_DIR}/catalog.db")
    for value in ("", "   "):
        with pytest.raises(ConfigError) as info:
            load_config(path, env={"CATALOG_DIR": value})
        assert info.value.errors == [
            "catalog.url: environment variable CATALOG_DIR is not set (or is empty)"
        ]
