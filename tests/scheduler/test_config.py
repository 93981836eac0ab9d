"""The TOML config as an admin meets it: a file on disk, then ``load_config`` or ``moocx``.

Every error names its key path, all of a file's errors come in one message, the CLI exits with
code 2 on any of them, and a secret read from the environment never shows in a message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors import registry
from connectors.auth import Secret
from connectors.openedx import OpenEdxOptions
from scheduler import cli
from scheduler.config import (
    ENV_CONFIG,
    Config,
    ConfigError,
    config_path,
    load_config,
)

SECRET = "S3NT1NEL-vnu-client-secret"
ENV = {"VNU_CLIENT_SECRET": SECRET}

VALID = """\
[catalog]
url = "sqlite:///data/catalog.db"

[http]
connect_timeout = 5
read_timeout = 20
max_retries = 3
min_interval = 0.5

[[institutions]]
id = "vnu"
country = "VN"
timezone = "Asia/Ho_Chi_Minh"

[institutions.names]
vi = "Đại học Quốc gia Hà Nội"
zh = "越南河内国家大学"
en = "Vietnam National University, Hanoi"

[[institutions]]
id = "tsinghua"
country = "CN"
timezone = "Asia/Shanghai"
names = { vi = "Đại học Thanh Hoa", zh = "清华大学", en = "Tsinghua University" }

[[feeds]]
id = "vnu-openedx"
institution = "vnu"
connector = "openedx"
base_url = "https://courses.vnu.edu.vn/"
schedule = "0 2 * * 1-5"

[feeds.options]
page_size = 50
org = "VNUx"
language = "vi"

[feeds.auth]
client_id = "moocx-harvester"
client_secret = "${VNU_CLIENT_SECRET}"

[feeds.http]
read_timeout = 90
max_response_mb = 10

[[feeds]]
id = "tsinghua-openedx"
institution = "tsinghua"
connector = "openedx"
base_url = "https://openedx.tsinghua.edu.cn"
enabled = false

[feeds.options]
include_hidden = true
"""


def edit(text: str, old: str, new: str) -> str:
    """``text`` with the one occurrence of ``old`` replaced (so a case cannot silently miss)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def write(folder: Path, text: str, name: str = "config.toml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_errors(path: Path, env: dict[str, str]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(path, env=env)
    return info.value


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.run([*args, "feeds"])
    out, err = capsys.readouterr()
    return code, out, err


def flat(text: str) -> str:
    """Whitespace collapsed: the CLI's console may wrap a long message."""
    return " ".join(text.split())


@pytest.fixture
def admin_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads the real environment: the secret is set and no MOOCX_CONFIG leaks in."""
    monkeypatch.setenv("VNU_CLIENT_SECRET", SECRET)
    monkeypatch.delenv(ENV_CONFIG, raising=False)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(write(tmp_path, VALID), env=ENV)


# -- a full, valid config -----------------------------------------------------------------------


def test_full_config_loads_institutions_and_feeds(config: Config) -> None:
    vnu, tsinghua = config.institutions
    assert (vnu.id, vnu.country, vnu.timezone) == ("vnu", "VN", "Asia/Ho_Chi_Minh")
    assert vnu.names.vi == "Đại học Quốc gia Hà Nội"
    assert vnu.names.zh == "越南河内国家大学"
    assert vnu.names.en == "Vietnam National University, Hanoi"
    assert (tsinghua.id, tsinghua.timezone, tsinghua.names.zh) == (
        "tsinghua",
        "Asia/Shanghai",
        "清华大学",
    )
    assert config.institution("tsinghua") is tsinghua

    vnu_feed, tsinghua_feed = config.feeds
    assert vnu_feed.id == "vnu-openedx"
    assert vnu_feed.base_url == "https://courses.vnu.edu.vn"  # trailing slash dropped
    assert vnu_feed.schedule == "0 2 * * 1-5"
    assert vnu_feed.enabled is True
    assert tsinghua_feed.schedule == "0 3 * * *"  # the default
    assert tsinghua_feed.enabled is False
    assert tsinghua_feed.auth is None
    assert config.feed("tsinghua-openedx") is tsinghua_feed


def test_http_section_is_typed_and_unset_keys_keep_their_defaults(config: Config) -> None:
    assert config.http.connect_timeout == 5.0
    assert isinstance(config.http.connect_timeout, float)
    assert config.http.read_timeout == 20.0
    assert config.http.max_retries == 3
    assert config.http.min_interval == 0.5
    assert config.http.deadline == 120.0
    assert config.http.proxy is None


def test_feed_options_are_the_connectors_own_typed_dataclass(config: Config) -> None:
    vnu = config.feed_options["vnu-openedx"]
    assert isinstance(vnu, OpenEdxOptions)
    assert vnu == OpenEdxOptions(page_size=50, org="VNUx", language="vi")
    assert vnu.include_hidden is False  # unset options keep the connector's defaults
    assert vnu.max_pages == 10_000

    tsinghua = config.feed_options["tsinghua-openedx"]
    assert tsinghua == OpenEdxOptions(include_hidden=True)
    assert tsinghua.page_size == 100


def test_feed_context_merges_the_feeds_http_overrides(config: Config) -> None:
    ctx = config.feed_context(config.feed("vnu-openedx"))
    assert ctx.feed_id == "vnu-openedx"
    assert ctx.base_url == "https://courses.vnu.edu.vn"
    assert ctx.timezone == "Asia/Ho_Chi_Minh"
    assert ctx.http.read_timeout == 90.0  # [feeds.http] wins
    assert ctx.http.max_response_bytes == 10 * 1024 * 1024
    assert ctx.http.connect_timeout == 5.0  # the rest comes from [http]
    assert ctx.http.max_retries == 3
    assert ctx.http.min_interval == 0.5
    assert ctx.http.deadline == 120.0


def test_feed_context_without_overrides_uses_the_global_http_section(config: Config) -> None:
    ctx = config.feed_context(config.feed("tsinghua-openedx"))
    assert ctx.timezone == "Asia/Shanghai"
    assert ctx.http.read_timeout == 20.0
    assert ctx.http.max_response_bytes == 50 * 1024 * 1024
    assert ctx.auth is None


def test_feed_context_turns_the_env_secret_into_a_secret(config: Config) -> None:
    auth = config.feed_context(config.feed("vnu-openedx")).auth
    assert auth is not None
    assert auth.client_id == "moocx-harvester"
    assert isinstance(auth.client_secret, Secret)
    assert auth.client_secret.reveal() == SECRET
    assert auth.token_type == "jwt"
    assert auth.token_url is None
    assert config.secrets() == [SECRET]


def test_unknown_feed_id_lists_the_configured_feeds(config: Config) -> None:
    with pytest.raises(ConfigError, match="unknown feed 'nope'") as info:
        config.feed("nope")
    assert "vnu-openedx, tsinghua-openedx" in str(info.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "sqlite:///data/catalog.db", "sqlite:///{folder}/data/catalog.db", id="relative-sqlite"
        ),
        pytest.param("sqlite:///catalog.db", "sqlite:///{folder}/catalog.db", id="bare-filename"),
        pytest.param(
            "sqlite:////var/lib/moocx/catalog.db",
            "sqlite:////var/lib/moocx/catalog.db",
            id="absolute-sqlite-untouched",
        ),
        pytest.param("sqlite:///:memory:", "sqlite:///:memory:", id="memory-untouched"),
        pytest.param(
            "postgresql+psycopg://moocx@db.example.edu/moocx",
            "postgresql+psycopg://moocx@db.example.edu/moocx",
            id="postgres-untouched",
        ),
    ],
)
def test_catalog_url_relative_sqlite_is_resolved_against_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, expected: str
) -> None:
    folder = tmp_path.resolve() / "etc" / "moocx"
    write(folder, edit(VALID, 'url = "sqlite:///data/catalog.db"', f'url = "{url}"'))
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the working directory must not matter
    config = load_config(Path("..") / "etc" / "moocx" / "config.toml", env=ENV)
    assert config.catalog_url == expected.format(folder=folder.as_posix())


def test_catalog_defaults_to_a_sqlite_file_beside_the_config(tmp_path: Path) -> None:
    text = edit(VALID, '[catalog]\nurl = "sqlite:///data/catalog.db"\n', "")
    config = load_config(write(tmp_path, text), env=ENV)
    assert config.catalog_url == f"sqlite:///{(tmp_path.resolve() / 'catalog.db').as_posix()}"


@pytest.mark.parametrize(
    ("explicit", "env_value", "expected"),
    [
        pytest.param("given.toml", "from-env.toml", "given.toml", id="--config-beats-env"),
        pytest.param(None, "from-env.toml", "from-env.toml", id="env-when-no---config"),
        pytest.param(None, None, "config.toml", id="default-./config.toml"),
    ],
)
def test_config_path_precedence(
    monkeypatch: pytest.MonkeyPatch, explicit: str | None, env_value: str | None, expected: str
) -> None:
    if env_value is None:
        monkeypatch.delenv(ENV_CONFIG, raising=False)
    else:
        monkeypatch.setenv(ENV_CONFIG, env_value)
    assert config_path(explicit) == Path(expected)


def test_cli_reads_moocx_config_but_config_option_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from_env = write(tmp_path, edit(VALID, "page_size = 50", "page_size = 0"), "env.toml")
    given = write(tmp_path, edit(VALID, 'org = "VNUx"', "org = 7"), "given.toml")
    monkeypatch.setenv("VNU_CLIENT_SECRET", SECRET)
    monkeypatch.setenv(ENV_CONFIG, str(from_env))

    code, _, err = run_cli(capsys)
    assert code == 2
    assert "env.toml" in err
    assert "feeds[0] (vnu-openedx).options.page_size:" in err

    code, _, err = run_cli(capsys, "--config", str(given))
    assert code == 2
    assert "given.toml" in err
    assert "feeds[0] (vnu-openedx).options.org:" in err
    assert "env.toml" not in err


def test_cli_falls_back_to_config_toml_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(ENV_CONFIG, raising=False)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys)
    assert code == 2
    assert out == ""
    assert "no config file at config.toml" in flat(err)


def test_cli_accepts_the_valid_config(
    tmp_path: Path, admin_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, VALID)
    code, out, err = run_cli(capsys, "--config", str(path))
    assert code == 0, err
    assert "vnu-openedx" in out
    assert "tsinghua-openedx" in out
    assert (tmp_path / "data" / "catalog.db").exists()  # beside the config, not in the cwd


# -- one error: its key path, and exit code 2 ---------------------------------------------------

ERROR_CASES = [
    pytest.param(
        "harvest_everything = true\n" + VALID,
        ENV,
        "harvest_everything: unknown key",
        [],
        id="unknown-top-level-key",
    ),
    pytest.param(
        edit(VALID, 'schedule = "0 2 * * 1-5"', 'shedule = "0 2 * * 1-5"'),
        ENV,
        "feeds[0] (vnu-openedx).shedule: unknown key",
        [],
        id="unknown-key-in-feed",
    ),
    pytest.param(
        edit(VALID, "read_timeout = 90", "read_timout = 90"),
        ENV,
        "feeds[0] (vnu-openedx).http.read_timout: unknown key",
        [],
        id="unknown-key-in-feed-http",
    ),
    pytest.param(
        edit(
            VALID,
            'client_id = "moocx-harvester"',
            'client_id = "moocx-harvester"\ntoken_typ = "jwt"',
        ),
        ENV,
        "feeds[0] (vnu-openedx).auth.token_typ: unknown key",
        [],
        id="unknown-key-in-feed-auth",
    ),
    pytest.param(
        edit(VALID, "page_size = 50", "pagesize = 50"),
        ENV,
        "feeds[0] (vnu-openedx).options.pagesize: unknown option (did you mean 'page_size'?)",
        ["this connector takes: page_size, org, include_hidden"],
        id="unknown-connector-option-did-you-mean",
    ),
    pytest.param(
        edit(VALID, "page_size = 50", "page_size = 500"),
        ENV,
        "feeds[0] (vnu-openedx).options.page_size:",
        ["less than or equal to 100"],
        id="option-out-of-range",
    ),
    pytest.param(
        edit(VALID, "page_size = 50", 'page_size = "fifty"'),
        ENV,
        "feeds[0] (vnu-openedx).options.page_size:",
        ["valid integer"],
        id="option-wrong-type-int",
    ),
    pytest.param(
        edit(VALID, "include_hidden = true", 'include_hidden = "perhaps"'),
        ENV,
        "feeds[1] (tsinghua-openedx).options.include_hidden:",
        ["valid boolean"],
        id="option-wrong-type-bool",
    ),
    pytest.param(
        edit(VALID, "max_retries = 3", "max_retries = 11"),
        ENV,
        "http.max_retries:",
        ["less than or equal to 10"],
        id="http-value-out-of-range",
    ),
    pytest.param(
        edit(
            VALID,
            'institution = "tsinghua"\nconnector = "openedx"',
            'institution = "tsinghua"\nconnector = "moodle"',
        ),
        ENV,
        "feeds[1] (tsinghua-openedx).connector: unknown connector 'moodle'; known connectors:",
        ["openedx"],
        id="unknown-connector",
    ),
    pytest.param(
        edit(VALID, 'institution = "tsinghua"', 'institution = "tsinghu"'),
        ENV,
        "feeds[1] (tsinghua-openedx).institution: unknown institution 'tsinghu'",
        ["vnu, tsinghua"],
        id="unknown-institution",
    ),
    pytest.param(
        edit(VALID, "enabled = false", 'enabled = false\nschedule = "0 25 * * *"'),
        ENV,
        'feeds[1] (tsinghua-openedx).schedule: "0 25 * * *" is not a cron expression',
        ["maximum value (23)"],
        id="bad-cron-on-a-disabled-feed",
    ),
    pytest.param(
        edit(VALID, "enabled = false", 'enabled = false\nschedule = "0 3 * *"'),
        ENV,
        'feeds[1] (tsinghua-openedx).schedule: "0 3 * *" is not a cron expression',
        ["expected 5 fields"],
        id="cron-with-four-fields",
    ),
    pytest.param(
        edit(VALID, 'url = "sqlite:///data/catalog.db"', 'url = "sqlite:///${CATALOG_DIR}/c.db"'),
        ENV,
        "catalog.url: environment variable CATALOG_DIR is not set",
        [],
        id="missing-env-var-every-command-reads",
    ),
    pytest.param(
        edit(VALID, 'timezone = "Asia/Shanghai"', 'timezone = "Asia/Beijing"'),
        ENV,
        "institutions[1] (tsinghua).timezone: 'Asia/Beijing' is not an IANA time zone",
        [],
        id="bad-time-zone",
    ),
    pytest.param(
        edit(VALID, 'id = "tsinghua-openedx"', 'id = "vnu-openedx"'),
        ENV,
        "feeds[1] (vnu-openedx).id: 'vnu-openedx' is already used by feeds[0]",
        [],
        id="duplicate-feed-id",
    ),
    pytest.param(
        edit(VALID, 'id = "tsinghua"', 'id = "vnu"').replace(
            'institution = "tsinghua"', 'institution = "vnu"'
        ),
        ENV,
        "institutions[1] (vnu).id: 'vnu' is already used by institutions[0]",
        [],
        id="duplicate-institution-id",
    ),
    pytest.param(
        edit(VALID, 'base_url = "https://openedx', 'base_url = "ftp://openedx'),
        ENV,
        "feeds[1] (tsinghua-openedx).base_url: 'ftp://openedx.tsinghua.edu.cn' is not an http(s)",
        [],
        id="non-http-base-url",
    ),
    pytest.param(
        edit(VALID, 'base_url = "https://openedx.tsinghua.edu.cn"\n', ""),
        ENV,
        "feeds[1] (tsinghua-openedx).base_url: missing (required)",
        [],
        id="missing-required-key",
    ),
    pytest.param(
        edit(VALID, "page_size = 50", "page_size = = 50"),
        ENV,
        "not valid TOML:",
        [f"line {VALID.splitlines().index('page_size = 50') + 1}, column 13"],
        id="toml-syntax-error",
    ),
]


@pytest.mark.parametrize(("text", "env", "message", "also"), ERROR_CASES)
def test_error_names_its_key_path(
    tmp_path: Path, text: str, env: dict[str, str], message: str, also: list[str]
) -> None:
    path = write(tmp_path, text)
    error = load_errors(path, env)
    assert len(error.errors) == 1, error.errors
    assert error.errors[0].startswith(message), error.errors[0]
    for fragment in also:
        assert fragment in error.errors[0]
    assert str(error).startswith(f"{path}: 1 error in the config:\n  {message}")


@pytest.mark.parametrize(("text", "env", "message", "also"), ERROR_CASES)
def test_cli_exits_2_and_prints_the_key_path(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    text: str,
    env: dict[str, str],
    message: str,
    also: list[str],
) -> None:
    monkeypatch.delenv(ENV_CONFIG, raising=False)
    monkeypatch.delenv("VNU_CLIENT_SECRET", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    path = write(tmp_path, text)
    code, out, err = run_cli(capsys, "--config", str(path))
    assert code == 2
    assert out == ""
    assert message in flat(err)
    for fragment in also:
        assert fragment in flat(err)
    assert not (tmp_path / "data").exists()  # nothing was opened, let alone harvested


def test_unknown_connector_lists_every_installed_connector(tmp_path: Path) -> None:
    text = edit(
        VALID,
        'connector = "openedx"\nbase_url = "https://courses',
        'connector = "moodle"\nbase_url = "https://courses',
    )
    error = load_errors(write(tmp_path, text), ENV)
    known = registry.available()
    assert "openedx" in known
    assert error.errors == [
        "feeds[0] (vnu-openedx).connector: unknown connector 'moodle'; "
        f"known connectors: {', '.join(known)}"
    ]


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "config.toml"
    error = load_errors(path, ENV)
    assert error.errors == [
        f"no config file at {path}; copy config.example.toml there, or pass --config"
    ]


def test_cli_missing_file_exits_2(
    tmp_path: Path, admin_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nowhere.toml"
    code, out, err = run_cli(capsys, "--config", str(path))
    assert code == 2
    assert out == ""
    assert f"no config file at {path}" in flat(err)


# -- many errors: all of them, in one message --------------------------------------------------


def test_every_error_in_a_file_is_reported_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "harvest_everything = true\n" + VALID
    text = edit(text, 'timezone = "Asia/Shanghai"', 'timezone = "Asia/Beijing"')
    text = edit(text, 'schedule = "0 2 * * 1-5"', 'shedule = "0 2 * * 1-5"')
    text = edit(text, "page_size = 50", "pagesize = 50")
    text = edit(text, 'institution = "tsinghua"', 'institution = "tsinghu"')
    text = edit(text, "enabled = false", 'enabled = false\nschedule = "0 25 * * *"')
    text = edit(text, 'id = "tsinghua-openedx"', 'id = "vnu-openedx"')
    text = edit(text, 'url = "sqlite:///data/catalog.db"', 'url = "sqlite:///${CATALOG_DIR}/c.db"')
    path = write(tmp_path, text)
    expected = [
        "catalog.url: environment variable CATALOG_DIR is not set",
        "harvest_everything: unknown key",
        "institutions[1] (tsinghua).timezone: 'Asia/Beijing' is not an IANA time zone",
        "feeds[0] (vnu-openedx).shedule: unknown key",
        'feeds[1] (vnu-openedx).schedule: "0 25 * * *" is not a cron expression',
        "feeds[0] (vnu-openedx).options.pagesize: unknown option (did you mean 'page_size'?)",
        "feeds[1] (vnu-openedx).institution: unknown institution 'tsinghu'",
        "feeds[1] (vnu-openedx).id: 'vnu-openedx' is already used by feeds[0]",
    ]

    error = load_errors(path, {})
    assert len(error.errors) == len(expected), error.errors
    for message in expected:
        assert sum(e.startswith(message) for e in error.errors) == 1, message
    assert f"{len(expected)} errors in the config" in str(error)

    monkeypatch.delenv("VNU_CLIENT_SECRET", raising=False)
    code, _, err = run_cli(capsys, "--config", str(path))
    assert code == 2
    assert f"{len(expected)} errors in the config" in err
    for message in expected:
        assert message in flat(err)


# -- secrets never show -------------------------------------------------------------------------

SENTINELS = [
    pytest.param(SECRET, id="plain"),
    pytest.param('S3NT1NEL-it\'s-"quoted"-back\\slash', id="quotes-and-backslash"),
]


@pytest.mark.parametrize("secret", SENTINELS)
def test_secret_is_masked_in_config_errors_and_cli_output(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    secret: str,
) -> None:
    # The secret is also (unwisely) in a URL that is wrong, so the message quotes the value.
    text = edit(
        VALID,
        'base_url = "https://courses.vnu.edu.vn/"',
        'base_url = "ftp://harvester:${VNU_CLIENT_SECRET}@courses.vnu.edu.vn/"',
    )
    text = edit(text, "enabled = false", 'enabled = false\nschedule = "0 25 * * *"')
    path = write(tmp_path, text)

    error = load_errors(path, {"VNU_CLIENT_SECRET": secret})
    assert len(error.errors) == 2
    assert (
        "feeds[0] (vnu-openedx).base_url: 'ftp://harvester:***@courses.vnu.edu.vn/' is not"
        in str(error)
    )
    assert "S3NT1NEL" not in str(error)
    assert "S3NT1NEL" not in repr(error)
    assert all("S3NT1NEL" not in e for e in error.errors)

    monkeypatch.setenv("VNU_CLIENT_SECRET", secret)
    monkeypatch.delenv(ENV_CONFIG, raising=False)
    code, out, err = run_cli(capsys, "--config", str(path))
    assert code == 2
    assert "feeds[0] (vnu-openedx).base_url:" in err
    assert "S3NT1NEL" not in out
    assert "S3NT1NEL" not in err


def test_secret_is_masked_when_only_an_unrelated_key_is_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, edit(VALID, "page_size = 50", "page_size = 500"))
    error = load_errors(path, ENV)
    assert SECRET not in str(error)

    monkeypatch.setenv("VNU_CLIENT_SECRET", SECRET)
    monkeypatch.delenv(ENV_CONFIG, raising=False)
    code, out, err = run_cli(capsys, "--config", str(path))
    assert code == 2
    assert SECRET not in out + err


def test_loaded_config_and_feed_context_do_not_show_the_secret(config: Config) -> None:
    ctx = config.feed_context(config.feed("vnu-openedx"))
    for text in (repr(config), str(config), repr(ctx), str(ctx), repr(config.feeds[0].auth)):
        assert SECRET not in text
        assert "S3NT1NEL" not in text
    assert ctx.auth is not None
    assert ctx.auth.client_secret.reveal() == SECRET  # still there for the one place that sends it
