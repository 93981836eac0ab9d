"""One enormous XML text node in a served OAI-PMH page, through ``moocx sync`` over two feeds
(shared/RELIABILITY.md X8, C12): over libxml2's 10 MB limit the page fails cleanly with the
parser's own words and the other feed lands; under it, the field limit rejects the one record."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import responses
from sqlalchemy import create_engine, text

from scheduler.cli import run
from tests.support import openedx_feed as feed

OAI = "https://oai.hou.edu.vn/oai/request"
FIRST = f"{OAI}?verb=ListRecords&metadataPrefix=oai_dc"
SECOND = f"{OAI}?verb=ListRecords&resumptionToken=page2"
MIB = 1024 * 1024

CONFIG = """
[catalog]
url = "{catalog_url}"

[http]
max_retries = 0

[[institutions]]
id = "vnu"
country = "VN"
timezone = "Asia/Ho_Chi_Minh"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[institutions]]
id = "hou"
country = "VN"
timezone = "Asia/Ho_Chi_Minh"
names = {{ vi = "Trường Đại học Mở Hà Nội" }}

[[feeds]]
id = "hou-oai"
institution = "hou"
connector = "oaipmh"
base_url = "{oai}"

[[feeds]]
id = "vnu-openedx"
institution = "vnu"
connector = "openedx"
base_url = "{base}"

[feeds.options]
page_size = 3
"""


def record(number: str, description: str = "Mô tả ngắn.") -> str:
    return (
        f"<record><header><identifier>oai:hou:{number}</identifier>"
        "<datestamp>2025-03-01T08:00:00Z</datestamp></header><metadata>"
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>Khóa học {number}</dc:title>"
        f"<dc:description>{escape(description)}</dc:description>"
        "<dc:language>vie</dc:language></oai_dc:dc></metadata></record>"
    )


def list_records(*records: str, token: str | None = None) -> bytes:
    resumption = f"<resumptionToken>{token}</resumptionToken>" if token else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "<responseDate>2025-03-02T10:15:00Z</responseDate>"
        f'<request verb="ListRecords">{OAI}</request>'
        f"<ListRecords>{''.join(records)}{resumption}</ListRecords></OAI-PMH>"
    ).encode()


@pytest.fixture
def config(tmp_path: Path, catalog_url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        CONFIG.format(catalog_url=catalog_url, oai=OAI, base=feed.BASE), encoding="utf-8"
    )
    return path


@pytest.fixture
def db(catalog_url: str):
    engine = create_engine(catalog_url)
    yield engine
    engine.dispose()


def serve(second_page_description: str) -> None:
    xml = "text/xml; charset=utf-8"
    responses.get(
        FIRST, body=list_records(record("A1"), record("A2"), token="page2"), content_type=xml
    )
    body = list_records(record("B1", second_page_description), record("B2"))
    responses.get(SECOND, body=body, content_type=xml)
    feed.serve([feed.run("INT1001"), feed.run("MAT1001")])


def runs(db) -> dict[str, dict]:
    with db.connect() as conn:
        rows = conn.execute(text("SELECT * FROM harvest_runs ORDER BY id")).mappings()
        return {row["feed_id"]: dict(row) for row in rows}


def keys(db, feed_id: str) -> list[str]:
    with db.connect() as conn:
        return list(
            conn.scalars(
                text(
                    "SELECT key FROM courses WHERE feed_id = :f AND status = 'active' ORDER BY key"
                ),
                {"f": feed_id},
            )
        )


@responses.activate
def test_x8_an_11_mib_text_node_fails_its_page_cleanly_and_the_other_feed_lands(
    config: Path, db, capsys
) -> None:
    """X8: libxml2 keeps its 10 MB text-node limit (no ``huge_tree``): page 2 fails with its
    words and URL, page 1 stays committed (the next run resumes there), nothing is withdrawn,
    and the Open edX feed of the same ``moocx sync`` succeeds."""
    huge = "x" * (11 * MIB)
    serve(huge)
    assert run(["--config", str(config), "sync", "--quiet"]) == 1
    out = capsys.readouterr().out
    oai, edx = runs(db)["hou-oai"], runs(db)["vnu-openedx"]
    assert oai["status"] == "failed"
    assert "Text node too long" in oai["error"] and SECOND in oai["error"]
    assert "XML_PARSE_HUGE" not in oai["error"]  # advice for programmers, not for the admin
    assert "Text node too long" in out
    assert keys(db, "hou-oai") == ["oai:hou:A1", "oai:hou:A2"]
    assert (oai["pages"], oai["withdrawn"]) == (1, 0)
    assert edx["status"] == "succeeded"
    assert keys(db, "vnu-openedx") == ["VNUx+INT1001", "VNUx+MAT1001"]


@responses.activate
def test_c12_a_5_mib_description_under_the_parser_limit_is_rejected_by_the_field_limit(
    config: Path, db, capsys
) -> None:
    """X8/C12: a 5 MiB text node parses; the description limit rejects that one record, with a
    reason naming the field and the limit, and its page's other record lands."""
    serve("y" * (5 * MIB))
    assert run(["--config", str(config), "sync", "--quiet"]) == 0
    oai = runs(db)["hou-oai"]
    assert (oai["status"], oai["new"], oai["rejected"]) == ("succeeded", 3, 1)
    assert keys(db, "hou-oai") == ["oai:hou:A1", "oai:hou:A2", "oai:hou:B2"]
    with db.connect() as conn:
        rejected = conn.execute(text("SELECT key, reason, excerpt FROM rejected_records")).one()
    assert rejected.key == "oai:hou:B1"
    assert rejected.reason == "description: 5242880 characters, more than the 65536 allowed"
    assert len(rejected.excerpt) <= 2000
