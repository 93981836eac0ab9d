"""`moocx search` and `moocx subjects` over a synced catalog, on SQLite and PostgreSQL (and
what the export commands report about it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses

from scheduler.cli import run
from tests.support import openedx_feed as feed

CONFIG = """
[catalog]
url = "{catalog_url}"

[subjects]
"Khoa học dữ liệu" = "06"

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[institutions]]
id = "tsinghua"
names = {{ zh = "清华大学" }}

[[feeds]]
id = "vnu"
institution = "vnu"
connector = "openedx"
base_url = "{base}"

[feeds.options]
page_size = 10

[[exchange]]
id = "vnu-to-tsinghua"
from = "vnu"
to = "tsinghua"
include = {{ courses = ["VNUx+EDU1001"] }}
"""


@pytest.fixture
def synced(tmp_path: Path, catalog_url: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(catalog_url=catalog_url, base=feed.BASE), "utf-8")
    with responses.RequestsMock() as mock:
        runs = [feed.run("EDU1001", "Giáo dục học đại cương"),
                feed.run("EDU2002", "Lịch sử giáo dục Việt Nam"),
                feed.run("AI3001", "人工智能原理与应用"),
                feed.run("ML4001", "Applied Machine Learning")]  # fmt: skip
        for url, body in feed.pages(runs, 10):
            mock.get(url, json=body)
        assert run(["--config", str(config), "sync", "--quiet"]) == 0
    return config


def search(config: Path, capsys, *args: str) -> list[dict]:
    capsys.readouterr()
    assert run(["--config", str(config), "search", "--json", *args]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_search_folds_vietnamese_finds_chinese_substrings_and_english_words(
    synced: Path, capsys
) -> None:
    hits = search(synced, capsys, "giao", "duc")
    assert [h["title"] for h in hits][:2] == ["Giáo dục học đại cương", "Lịch sử giáo dục Việt Nam"]
    assert search(synced, capsys, "Giáo dục")[0]["match"] == "title-prefix"
    assert search(synced, capsys, "giáo dục học đại cương")[0]["match"] == "title-exact"
    assert [h["title"] for h in search(synced, capsys, "人工智能")] == ["人工智能原理与应用"]
    assert [h["title"] for h in search(synced, capsys, "machine learning")] == [
        "Applied Machine Learning"
    ]
    assert search(synced, capsys, "khong co gi") == []


def test_search_filters_by_audience(synced: Path, capsys) -> None:
    hits = search(synced, capsys, "giao duc", "--audience", "tsinghua")
    assert [h["title"] for h in hits] == ["Giáo dục học đại cương"]  # only the offered course


def test_subjects_lists_fields_and_unmapped_categories(synced: Path, capsys) -> None:
    capsys.readouterr()
    assert run(["--config", str(synced), "subjects", "--unmapped"]) == 0
    assert "every category maps to a subject" in capsys.readouterr().out


def test_a_subject_mapping_to_an_unknown_code_is_a_config_error(tmp_path: Path, capsys) -> None:
    config = tmp_path / "config.toml"
    text = CONFIG.format(catalog_url=f"sqlite:///{tmp_path / 'c.db'}", base=feed.BASE)
    config.write_text(text.replace('"Khoa học dữ liệu" = "06"', '"Khoa học dữ liệu" = "99"'))
    assert run(["--config", str(config), "feeds"]) == 2
    assert "subjects.Khoa học dữ liệu:" in capsys.readouterr().err


def test_the_export_commands_say_what_they_counted(synced: Path, tmp_path: Path, capsys) -> None:
    """JSON counts courses; the CSV counts its rows, one per course run offered to the audience."""
    capsys.readouterr()
    out = tmp_path / "catalog.json"
    assert run(["--config", str(synced), "export", "--format", "json", "--out", str(out)]) == 0
    assert capsys.readouterr().err.strip() == f"wrote 4 courses to {out}"
    csv = tmp_path / "offers.csv"
    args = ["export", "--format", "csv", "--audience", "tsinghua", "--out", str(csv)]
    assert run(["--config", str(synced), *args]) == 0
    rows = len(csv.read_text(encoding="utf-8-sig").splitlines()) - 1
    assert rows == 1  # the one run of the one course the rule offers
    assert capsys.readouterr().err.strip() == (
        f"wrote {rows} rows (one per offer to tsinghua) to {csv}"
    )
