"""A sync of another node's ``/oai`` with this node's identities set: the records that originated
here are dropped, yet the harvest is complete and not degraded — they count as received for the
declared total — and withdrawals are judged as for any feed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from catalog.store import tables
from catalog.store.db import make_engine
from scheduler.cli import run
from scheduler.config import Config
from tests.support.logs import logging_kept
from tests.support.oai_provider import Hop, OaiProvider, OaiRecord, provenance

HOME = ("https://node-a.example", "oai:node-a.example:")
CONFIG = """
[catalog]
url = "{catalog_url}"

[http]
max_retries = 0

[[institutions]]
id = "tsinghua"
names = {{ zh = "清华大学", en = "Tsinghua University" }}

[[feeds]]
id = "node-b"
institution = "tsinghua"
connector = "oaipmh"
base_url = "{base}"
"""
RUNS = (
    "SELECT status, complete, received, source_count, declared_total, new, withdrawn, "
    "held_withdrawals, degraded, guard FROM harvest_runs ORDER BY id"
)


def _records() -> list[OaiRecord]:
    """Six Tsinghua courses B harvested itself, four VNU courses B had from this node (A)."""
    tsinghua = [
        OaiRecord(
            f"oai:node-b.example:thu:THU-{n}",
            f"课程 {n}",
            language="chi",
            about=provenance(Hop("https://www.xuetangx.com/api", f"THU-{n}")),
        )
        for n in range(6)
    ]
    vnu = [
        OaiRecord(
            f"oai:node-b.example:vnu:VNU-{n}",
            f"Khóa học {n}",
            about=provenance(
                Hop("https://node-a.example/oai", f"oai:node-a.example:vnu:VNU-{n}"),
                Hop("https://courses.vnu.edu.vn", f"VNU-{n}"),
            ),
        )
        for n in range(4)
    ]
    mixed = [record for pair in zip(tsinghua, vnu, strict=False) for record in pair]
    return mixed + tsinghua[len(vnu) :]  # pages of three: every page holds dropped ones


def _rows(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(text(sql)).all()
    engine.dispose()
    return found


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch) -> None:
    """This node's identities, as ``[publish]`` would give them, on every feed's context."""
    original = Config.feed_context
    monkeypatch.setattr(
        Config, "feed_context", lambda self, feed: replace(original(self, feed), home=HOME)
    )


def _sync(config: Path, *args: str) -> int:
    with logging_kept():
        return run(["--config", str(config), "sync", "--quiet", *args])


def test_dropped_records_leave_the_harvest_complete_and_withdrawals_judged_as_usual(
    tmp_path: Path, catalog_url: str, home: None
) -> None:
    records = _records()
    assert len(records) == 10 and len({r.identifier for r in records}) == 10
    with OaiProvider(records, page_size=3) as oai:
        config = tmp_path / "config.toml"
        config.write_text(CONFIG.format(catalog_url=catalog_url, base=oai.url), "utf-8")
        assert _sync(config) == 0
        first = _rows(catalog_url, RUNS)
        stored = _rows(catalog_url, "SELECT key FROM courses ORDER BY key")
        # THU-5 leaves B's listing: a complete full harvest withdraws it, no guard holds it.
        oai.records = [r for r in records if not r.identifier.endswith("THU-5")]
        assert _sync(config, "--full") == 0
        assert _sync(config) == 0  # incremental, nothing changed since: nothing happens
    assert first == [("succeeded", True, 6, 10, 10, 6, 0, 0, False, None)]
    assert [key for (key,) in stored] == [f"oai:node-b.example:thu:THU-{n}" for n in range(6)]
    runs = _rows(catalog_url, RUNS)
    assert runs[1] == ("succeeded", True, 5, 9, 9, 0, 1, 0, False, None)
    assert runs[2][:2] == ("succeeded", True) and runs[2][5:] == (0, 0, 0, False, None)
    assert _rows(catalog_url, "SELECT needs_review FROM feeds") == [(False,)]
    statuses = _rows(catalog_url, "SELECT key, status FROM courses WHERE status <> 'active'")
    assert statuses == [("oai:node-b.example:thu:THU-5", "withdrawn")]
    assert _rows(catalog_url, "SELECT count(*) FROM courses WHERE key LIKE '%vnu%'") == [(0,)]


def test_the_stored_chain_names_this_harvest_then_the_origin(
    tmp_path: Path, catalog_url: str, home: None
) -> None:
    with OaiProvider(_records()[:1]) as oai:
        config = tmp_path / "config.toml"
        config.write_text(CONFIG.format(catalog_url=catalog_url, base=oai.url), "utf-8")
        assert _sync(config) == 0
        url = oai.url
    engine = make_engine(catalog_url)
    with engine.connect() as conn:
        [chain] = conn.execute(select(tables.courses.c.provenance)).scalars().all()
    engine.dispose()
    assert [(hop["base_url"], hop["identifier"]) for hop in chain] == [
        (url, "oai:node-b.example:thu:THU-0"),
        ("https://www.xuetangx.com/api", "THU-0"),
    ]
    # This harvest's own time is not stored with its hop: it changes every harvest, and hashed it
    # would rewrite every federated course each time. It is the course's updated_at instead.
    assert chain[0]["harvested"] is None
    assert chain[0]["metadata_namespace"] == "http://www.openarchives.org/OAI/2.0/oai_dc/"
