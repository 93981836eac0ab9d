"""An expired resumptionToken mid-harvest (OAI-PMH ``badResumptionToken``): the connector starts
the harvest over, once, and the run's counts describe what the restarted harvest delivered —
the distinct records, each counted once, none rejected, none stored twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from scheduler.cli import run
from tests.support.oai_provider import OaiProvider, OaiRecord

CONFIG = """
[catalog]
url = "{catalog_url}"

[http]
max_retries = 0

[[institutions]]
id = "hou"
names = {{ vi = "Trường Đại học Mở Hà Nội" }}

[[feeds]]
id = "hou"
institution = "hou"
connector = "oaipmh"
base_url = "{base}"
"""


class ExpiringProvider(OaiProvider):
    """A repository whose tokens expire once: the first resumption request of the harvest
    answers ``badResumptionToken`` (a cache flushed under the harvester), later ones work.
    With ``break_once``, that request gets no answer at all instead (the run fails there)."""

    expire_once: bool = True
    break_once: bool = False

    def answer(self, args: dict[str, str]) -> str:
        if self.break_once and args.get("resumptionToken"):
            self.break_once = False
            raise ConnectionError("gone")
        if self.expire_once and args.get("resumptionToken"):
            self.expire_once = False
            body = self._error(
                "badResumptionToken",
                "The value of the resumptionToken argument is invalid or expired.",
            )
            return self._envelope(args, body)
        return super().answer(args)


class DataciteRecord(OaiRecord):
    """A record as ``metadataPrefix=datacite`` sends it: a DataCite kernel-4 resource."""

    def xml(self) -> str:
        return (
            f"<record><header><identifier>{self.identifier}</identifier>"
            f"<datestamp>{self.datestamp}</datestamp></header><metadata>"
            '<resource xmlns="http://datacite.org/schema/kernel-4">'
            f"<titles><title>{self.title}</title></titles>"
            "<publicationYear>2025</publicationYear></resource></metadata></record>"
        )


def _rows(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(text(sql)).all()
    engine.dispose()
    return found


RUNS = "SELECT status, received, new, updated, unchanged, rejected, pages FROM harvest_runs"


def _sync(config: Path) -> int:
    return run(["--config", str(config), "sync", "--quiet"])


def _rejections(url: str) -> list[Any]:
    return _rows(url, "SELECT key, reason FROM rejected_records ORDER BY key")


def test_a_restarted_harvest_counts_the_distinct_records_it_delivered(
    tmp_path: Path, catalog_url: str, capsys
) -> None:
    """100 records in pages of 50; the token of page 2 has expired, so the connector reads the
    listing again from page 1. The run received 100 distinct records, not 150: each is new
    once, one rejected record is stored once, and the pages are those of the restarted pass."""
    records = [OaiRecord(f"oai:hou.edu.vn:course/{n:03d}", f"Khóa học {n}") for n in range(99)]
    records.insert(10, OaiRecord("oai:hou.edu.vn:course/untitled"))  # no dc:title: rejected
    with ExpiringProvider(records, page_size=50) as oai:
        config = tmp_path / "config.toml"
        config.write_text(CONFIG.format(catalog_url=catalog_url, base=oai.url), "utf-8")
        assert _sync(config) == 0
        tokens = [r.get("resumptionToken") for r in oai.requests if r.get("verb") == "ListRecords"]
    assert tokens == [None, "oai_dc|||50", None, "oai_dc|||50"]  # page 1, expired, 1 again, 2
    assert _rows(catalog_url, RUNS) == [("succeeded", 100, 99, 0, 0, 1, 2)]
    out = capsys.readouterr().out
    assert "hou: succeeded (full) · new 99 · updated 0 · unchanged 0 · rejected 1 · 2 pages" in out
    assert _rejections(catalog_url) == [("oai:hou.edu.vn:course/untitled", "dc:title: missing")]
    assert _rows(catalog_url, "SELECT count(*), count(DISTINCT key) FROM courses") == [(99, 99)]
    pages = _rows(catalog_url, "SELECT number, source_count FROM harvest_pages ORDER BY id")
    assert pages == [(1, 50), (2, 50)]


def test_a_resumed_harvest_that_starts_over_becomes_its_own_chain(
    tmp_path: Path, catalog_url: str
) -> None:
    """Run 1 fails after page 1; run 2 resumes at page 2, whose token has expired: the
    connector starts from page 1, and run 2 counts the whole listing it read, alone."""
    records = [OaiRecord(f"oai:hou.edu.vn:course/{n:03d}", f"Khóa học {n}") for n in range(100)]
    with ExpiringProvider(records, page_size=50) as oai:
        config = tmp_path / "config.toml"
        config.write_text(CONFIG.format(catalog_url=catalog_url, base=oai.url), "utf-8")
        oai.expire_once, oai.break_once = False, True
        assert _sync(config) == 1
        oai.expire_once = True
        assert _sync(config) == 0
    assert _rows(catalog_url, RUNS) == [
        ("failed", 50, 50, 0, 0, 0, 1),
        ("succeeded", 100, 50, 0, 50, 0, 2),
    ]
    chains = _rows(catalog_url, "SELECT id, chain_id, resumed_from FROM harvest_runs ORDER BY id")
    assert chains[1] == (chains[1][0], chains[1][0], None)  # its own chain now
    assert _rows(catalog_url, "SELECT count(*) FROM courses") == [(100,)]


def test_a_restarted_harvest_of_unread_records_rejects_each_once(
    tmp_path: Path, catalog_url: str, caplog
) -> None:
    """The issue's run: every record in a format the connector does not read, the harvest
    restarted by badResumptionToken. Each of the 100 is received and rejected once, stored
    once, named by its real format; the repository's prefixes are said once."""
    records = [DataciteRecord(f"oai:hou.edu.vn:doi/{n:03d}", f"Khóa học {n}") for n in range(100)]
    options = '\n[feeds.options]\nmetadata_prefix = "datacite"\n'
    with ExpiringProvider(records, page_size=50, formats=("oai_dc", "datacite")) as oai:
        config = tmp_path / "config.toml"
        text_ = CONFIG.format(catalog_url=catalog_url, base=oai.url) + options
        config.write_text(text_, "utf-8")
        assert _sync(config) == 0
        assert oai.verbs().count("ListMetadataFormats") == 1
    assert _rows(catalog_url, RUNS) == [("succeeded", 100, 0, 0, 0, 100, 2)]
    rejected = _rejections(catalog_url)
    assert len(rejected) == len({key for key, _ in rejected}) == 100
    assert {reason for _, reason in rejected} == {
        "metadata: unsupported format {http://datacite.org/schema/kernel-4}resource"
    }
    (advice,) = [r.getMessage() for r in caplog.records if "delivers records in" in r.getMessage()]
    assert "the repository offers oai_dc, datacite" in advice
    assert 'metadata_prefix = "oai_dc"' in advice
