"""The CSV's subject labels are in the language the audience's students read, as its
``[[institutions]]`` entry says (``language``, else from its country) — not from ids in the
library: the shipped example config gives the labels it always gave."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scheduler.config import load_config, parse_config
from scheduler.exports import reading_language

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def test_the_example_config_reads_as_the_csv_always_labelled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in re.findall(r"\$\{(\w+)\}", EXAMPLE.read_text(encoding="utf-8")):
        monkeypatch.setenv(name, "x")
    config = load_config(EXAMPLE)
    # The labels the CSV always had for these audiences: Vietnamese for VNU, Chinese for Tsinghua.
    assert {i.id: reading_language(config, i.id) for i in config.institutions} == {
        "vnu": "vi",
        "tsinghua": "zh",
    }


@pytest.mark.parametrize(
    ("entry", "language"),
    [
        pytest.param({"language": "en", "country": "CN"}, "en", id="language-wins"),
        pytest.param({"country": "TW"}, "zh", id="from-the-country"),
        pytest.param({}, "en", id="neither-english"),
    ],
)
def test_the_audiences_language_comes_from_its_institution(
    entry: dict[str, str], language: str
) -> None:
    config = parse_config(
        {"institutions": [{"id": "tsinghua", "names": {"zh": "清华大学"}, **entry}]}, env={}
    )
    assert reading_language(config, "tsinghua") == language


def test_an_institution_the_config_does_not_have_reads_english() -> None:
    assert reading_language(parse_config({}, env={}), "kit") == "en"
