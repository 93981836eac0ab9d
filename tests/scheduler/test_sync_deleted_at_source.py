"""Deletions a source reports for courses the catalog never stored (an OAI-PMH repository with
``deletedRecord = persistent`` lists every deletion it ever had): counted in the run and shown,
never mistaken for withdrawals — on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import responses
from sqlalchemy import create_engine, text

from scheduler.cli import run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "oaipmh"
BASE = "https://oai.vnu.edu.vn/oai/request"
PAGES = {
    f"{BASE}?verb=ListRecords&metadataPrefix=oai_dc&set=mooc": "ListRecords_page1.xml",
    f"{BASE}?verb=ListRecords&resumptionToken=mooc%2Foai_dc%7C100%2B2": "ListRecords_page2.xml",
    f"{BASE}?verb=ListRecords&resumptionToken=mooc%2Foai_dc%7C100%2B3": "ListRecords_page3.xml",
}
CONFIG = """
[catalog]
url = "{catalog_url}"

[http]
max_retries = 0

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[feeds]]
id = "vnu-oai"
institution = "vnu"
connector = "oaipmh"
base_url = "{base}"

[feeds.options]
set = "mooc"
"""


@responses.activate
def test_a_deletion_of_a_course_never_stored_is_counted_in_the_run_and_shown(
    tmp_path: Path, catalog_url: str, capsys
) -> None:
    for url, name in PAGES.items():  # page 1 deletes HIS2002, which this catalog never had
        body = (FIXTURES / name).read_bytes()
        responses.get(url, body=body, content_type="text/xml; charset=utf-8")
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(catalog_url=catalog_url, base=BASE), "utf-8")

    assert run(["--config", str(config), "sync", "--quiet"]) == 0
    summary = capsys.readouterr().out
    assert "vnu-oai: succeeded (full)" in summary and " · deleted at source: 1 · " in summary
    assert "withdrawn" not in summary  # nothing stored was withdrawn

    engine = create_engine(catalog_url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT id, deleted_unknown, withdrawn FROM harvest_runs")).one()
        keys = conn.execute(text("SELECT key FROM courses")).scalars().all()
    engine.dispose()
    assert (row.deleted_unknown, row.withdrawn) == (1, 0)
    assert "oai:oai.vnu.edu.vn:mooc/HIS2002" not in keys and keys

    assert run(["--config", str(config), "runs", "show", str(row.id)]) == 0
    detail = capsys.readouterr().out
    assert "deleted at source: 1 (courses this catalog never stored" in detail


def test_the_summary_names_deletions_at_source_only_when_there_were_some() -> None:
    from scheduler.sync import FeedResult

    quiet = FeedResult(feed_id="vnu-oai", run_id=1, status="succeeded", new=5, pages=3)
    assert "deleted at source" not in quiet.summary()
    loud = FeedResult(feed_id="vnu-oai", run_id=1, status="succeeded", deleted_unknown=4)
    assert "deleted at source: 4" in loud.summary()
