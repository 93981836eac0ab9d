"""An export asked for what it cannot write fails with an ExportError in plain words: from
``scheduler.exports.export``, from ``build`` (the next export still runs) and on the command
line (exit 2, the message as it is)."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.errors import CatalogError, ExportError
from scheduler import exports
from scheduler.cli import run
from scheduler.config import ExportConfig, load_config
from scheduler.sync import open_catalog

CONFIG = """
[catalog]
url = "sqlite:///{db}"

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(db=tmp_path / "catalog.db"), encoding="utf-8")
    return path


def test_a_csv_without_its_audience_is_an_export_error(config_file: Path, tmp_path: Path) -> None:
    config = load_config(config_file)
    engine = open_catalog(config)
    with pytest.raises(ExportError, match="the csv export is for one audience: give --audience"):
        exports.export(config, engine, "csv", tmp_path / "x.csv")
    assert issubclass(ExportError, CatalogError)  # in the catalog's tree, caught by build()
    assert not (tmp_path / "x.csv").exists()


def test_an_unknown_format_is_an_export_error(config_file: Path, tmp_path: Path) -> None:
    config = load_config(config_file)
    engine = open_catalog(config)
    with pytest.raises(ExportError, match="unknown export format 'xlsx'"):
        exports.export(config, engine, "xlsx", tmp_path / "x.xlsx", audience="vnu")


def test_build_returns_the_export_error_and_does_not_raise(
    config_file: Path, tmp_path: Path
) -> None:
    config = load_config(config_file)
    engine = open_catalog(config)
    item = ExportConfig(format="site", path=str(tmp_path / "site"))
    built = exports.build(config, engine, item)
    assert not built.ok
    assert built.error == "the site export is for one audience: give --audience"


def test_the_command_line_shows_an_export_error_as_it_is(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> int:
        raise ExportError("the site export is for one audience: give --audience")

    monkeypatch.setattr(exports, "export", refuse)
    code = run(["--config", str(config_file), "export", "--format", "json", "--out", "x.json"])
    assert code == 2
    err = capsys.readouterr().err
    assert "the site export is for one audience: give --audience" in err
    assert "catalog:" not in err and "Traceback" not in err
