"""ISCED codes from the admin's side: a config with an extra ``[subjects]`` mapping, `moocx sync`
stores each course's codes, the exchange offers by them; a changed mapping reaches `moocx
exchange`, `moocx course`, `moocx search` and the next sync without a course being rewritten —
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
from sqlalchemy import create_engine, select

from catalog.store import tables
from scheduler.cli import run
from tests.conftest import FIXTURES

OAI = "https://oai.vnu.edu.vn/oai/request"
OAI_PAGES = {
    f"{OAI}?verb=ListRecords&metadataPrefix=oai_dc&set=mooc": "ListRecords_page1.xml",
    f"{OAI}?verb=ListRecords&resumptionToken=mooc%2Foai_dc%7C100%2B2": "ListRecords_page2.xml",
    f"{OAI}?verb=ListRecords&resumptionToken=mooc%2Foai_dc%7C100%2B3": "ListRecords_page3.xml",
}
AI = "oai:oai.vnu.edu.vn:mooc/INT1001"  # subjects "Trí tuệ nhân tạo", "Học máy": 06 by default
MATHS = "oai:oai.vnu.edu.vn:mooc/MAT1093"  # "Toán học": 05

CONFIG = """
[catalog]
url = "{catalog_url}"

[subjects]
{mapping}

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[institutions]]
id = "tsinghua"
names = {{ zh = "清华大学" }}

[[feeds]]
id = "vnu-oai"
institution = "vnu"
connector = "oaipmh"
base_url = "{oai}"

[feeds.options]
set = "mooc"
incremental = false

[[exchange]]
id = "sciences"
from = "vnu"
to = "tsinghua"
include = {{ subjects = ["05"] }}

[[exchange.terms]]
name = "2025-2026 HK1"
application_start = 2025-06-01
application_end = 2025-08-31
"""
AS_ICT = '"Học máy" = "06"'
AS_SCIENCE = '"Trí tuệ nhân tạo" = "05"\n"Học máy" = "05"'


def write(path: Path, catalog_url: str, mapping: str) -> None:
    text = CONFIG.format(catalog_url=catalog_url, mapping=mapping, oai=OAI)
    path.write_text(text, encoding="utf-8")


def sync(config: Path, capsys: pytest.CaptureFixture[str] | None = None) -> str:
    if capsys is not None:
        capsys.readouterr()
    with responses.RequestsMock() as mock:
        for url, name in OAI_PAGES.items():
            body = (FIXTURES / "oaipmh" / name).read_bytes()
            mock.get(url, body=body, content_type="text/xml; charset=utf-8")
        assert run(["--config", str(config), "sync"]) == 0
    return capsys.readouterr().out if capsys is not None else ""


def moocx(config: Path, capsys, *args: str) -> str:
    capsys.readouterr()
    assert run(["--config", str(config), *args]) == 0
    return capsys.readouterr().out


def stored(catalog_url: str) -> dict[str, tuple[list[str], object]]:
    """key → (stored codes, updated_at) of every course."""
    engine = create_engine(catalog_url)
    c = tables.courses.c
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(c.key, c.isced, c.updated_at)).all()
    finally:
        engine.dispose()
    return {row.key: (row.isced, row.updated_at) for row in rows}


def offered(catalog_url: str) -> list[str]:
    engine = create_engine(catalog_url)
    o, c = tables.offers.c, tables.courses.c
    try:
        with engine.connect() as conn:
            query = select(c.key).join(tables.offers, o.course_id == c.id).order_by(c.key)
            return list(conn.execute(query).scalars())
    finally:
        engine.dispose()


def search(config: Path, capsys, query: str) -> list[str]:
    out = moocx(config, capsys, "search", "--json", query)
    return sorted(json.loads(line)["id"] for line in out.splitlines())


@pytest.fixture
def config(tmp_path: Path, catalog_url: str) -> Path:
    path = tmp_path / "config.toml"
    write(path, catalog_url, AS_ICT)
    sync(path)
    return path


def test_sync_stores_the_codes_of_the_configured_mapping_and_the_exchange_offers_by_them(
    config: Path, catalog_url: str
) -> None:
    codes = stored(catalog_url)
    assert codes[AI][0] == ["06"]
    assert codes[MATHS][0] == ["05"]
    assert all(isced is not None for isced, _ in codes.values())
    assert offered(catalog_url) == [MATHS]


def test_a_changed_mapping_reaches_exchange_course_search_and_sync_without_a_rewrite(
    config: Path, catalog_url: str, capsys
) -> None:
    before = stored(catalog_url)
    assert search(config, capsys, "mathematics and statistics") == [f"vnu-oai:{MATHS}"]
    write(config, catalog_url, AS_SCIENCE)
    # `moocx search` alone already names the subjects as the new mapping does.
    assert search(config, capsys, "mathematics and statistics") == [
        f"vnu-oai:{AI}",
        f"vnu-oai:{MATHS}",
    ]

    out = moocx(config, capsys, "exchange")
    assert "rule sciences (vnu → tsinghua): 2 courses match, 2 offered" in out
    assert offered(catalog_url) == [AI, MATHS]
    after = stored(catalog_url)
    assert after[AI][0] == ["05"]
    # Only the codes changed: no course was rewritten (its fields and stamps stay).
    assert {k: v[1] for k, v in after.items()} == {k: v[1] for k, v in before.items()}

    out = moocx(config, capsys, "course", f"vnu-oai:{AI}")
    assert "(ISCED-F: 05 Natural sciences, mathematics and statistics)" in out
    explained = moocx(config, capsys, "exchange", "--explain", f"vnu-oai:{AI}", "--json")
    assert [r["offered"] for r in json.loads(explained)["rules"]] == [True]
    assert search(config, capsys, "mathematics and statistics") == [
        f"vnu-oai:{AI}",
        f"vnu-oai:{MATHS}",
    ]

    # Back to the first mapping: the next sync decides the codes again before its first page,
    # and still rewrites no course.
    write(config, catalog_url, AS_ICT)
    out = sync(config, capsys)
    assert "new 0 · updated 0 · unchanged" in out
    assert stored(catalog_url) == before
    assert search(config, capsys, "mathematics and statistics") == [f"vnu-oai:{MATHS}"]
    # The sync gave a course other codes, so it rebuilt the exchange by them
    # (scheduler/after_sync.py), although it rewrote no course.
    assert offered(catalog_url) == [MATHS]


def test_a_resync_with_the_same_mapping_writes_no_course_row(
    config: Path, catalog_url: str, capsys
) -> None:
    before = stored(catalog_url)
    out = sync(config, capsys)
    assert "new 0 · updated 0 · unchanged" in out
    assert stored(catalog_url) == before
