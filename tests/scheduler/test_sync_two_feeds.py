"""One `moocx sync` over two feeds where the first one fails (shared/RELIABILITY.md X4, N1): a
billion-laughs page, or a server that accepts the connection and never answers. The failure is
the feed's own: the other feed is harvested and committed, the sync exits 1 — on SQLite and
PostgreSQL, with real sockets on loopback."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

import connectors.oaipmh
from scheduler.cli import run
from tests.support.loopback import LoopbackServer, Reply
from tests.support.oai_provider import OaiProvider, OaiRecord

ATTACKS = Path(__file__).resolve().parents[1] / "fixtures" / "xml_attacks"
CONFIG = """
[catalog]
url = "{catalog_url}"

[http]
max_retries = 0

[[institutions]]
id = "hou"
names = {{ vi = "Trường Đại học Mở Hà Nội" }}

[[feeds]]
id = "broken"
institution = "hou"
connector = "oaipmh"
base_url = "{broken}"

[feeds.http]
read_timeout = 0.5

[[feeds]]
id = "hou"
institution = "hou"
connector = "oaipmh"
base_url = "{good}"
"""


@pytest.fixture
def parse_times(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, BaseException | None]]:
    """(CPU seconds, exception) of every ListRecords page the OAI-PMH connector parses.

    CPU time of the parsing thread, not the wall clock: a loaded machine slows the clock of a
    run, not the work a parse does.
    """
    measured: list[tuple[float, BaseException | None]] = []
    parse: Callable[..., Any] = connectors.oaipmh.parse_list_records

    def timed(body: bytes, **options: Any) -> Any:
        started = time.thread_time()
        try:
            result = parse(body, **options)
        except BaseException as exc:
            measured.append((time.thread_time() - started, exc))
            raise
        measured.append((time.thread_time() - started, None))
        return result

    monkeypatch.setattr(connectors.oaipmh, "parse_list_records", timed)
    return measured


def rows(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(text(sql)).all()
    engine.dispose()
    return found


@pytest.mark.parametrize("fault", ["billion-laughs", "never-answers"])
def test_a_feed_that_fails_never_stops_the_next_one_from_landing(
    fault: str, tmp_path: Path, catalog_url: str, parse_times, capsys
) -> None:
    """X4 and N1: the broken feed fails alone, with its cause; the good one lands."""
    records = [OaiRecord(f"oai:hou.edu.vn:course/{n}", f"Khóa học {n}") for n in range(5)]
    with LoopbackServer(slow_seconds=10) as broken, OaiProvider(records) as good:
        # UTF-16 hides the DOCTYPE from the byte scan: libxml2's amplification limit stops it.
        laughs = (ATTACKS / "billion_laughs_utf16.xml").read_bytes()
        broken.route("/oai", Reply(200, laughs, {"Content-Type": "text/xml"}))
        path = "/oai" if fault == "billion-laughs" else "/slow"
        config = tmp_path / "config.toml"
        config.write_text(
            CONFIG.format(catalog_url=catalog_url, broken=broken.url(path), good=good.url),
            "utf-8",
        )
        assert run(["--config", str(config), "sync", "--quiet"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "broken: failed (full)" in out and "hou: succeeded (full) · new 5 · " in out
    runs = dict(rows(catalog_url, "SELECT feed_id, status FROM harvest_runs"))
    assert runs == {"broken": "failed", "hou": "succeeded"}
    [(error,)] = rows(catalog_url, "SELECT error FROM harvest_runs WHERE feed_id = 'broken'")
    keys = rows(catalog_url, "SELECT feed_id, key FROM courses ORDER BY key")
    assert [tuple(k) for k in keys] == [("hou", r.identifier) for r in records]  # committed
    if fault == "billion-laughs":
        assert "Maximum entity amplification factor exceeded" in error
        [cpu] = [cpu for cpu, exc in parse_times if exc is not None]
        assert cpu < 1.0, f"the billion-laughs page took {cpu:.2f} s of CPU to refuse"
    else:
        assert "timed out after 0.5 s (http.read_timeout)" in error
