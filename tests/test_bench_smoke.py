"""The benchmark suite still runs end to end (at a small N; timings are never asserted).

``python -m bench.run`` is run as a user runs it, from the repository root, on 200 courses: the
loopback server, full harvests, re-syncs, baselines, exports and search. The figures it prints
are not checked here (CI machines vary); that it works, and that a no-op re-sync of an
unchanged feed writes no course row, are.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("bench")
    out = tmp / "results.json"
    command = [
        *(sys.executable, "-m", "bench.run", "--n", "200", "--runs", "1", "--skip-peers"),
        *("--connectors", "openedx,oaipmh", "--out", str(out), "--workdir", str(tmp / "work")),
    ]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "### N = 200 courses" in done.stdout
    return json.loads(out.read_text(encoding="utf-8"))


def test_every_part_ran(results: dict) -> None:
    assert results["meta"]["runs"] == 1
    size = results["sizes"]["200"]
    assert size["errors"] == []
    assert set(size["connectors"]) == {"openedx", "oaipmh"}
    assert set(size["floor"]) == {"openedx", "oaipmh"}
    assert size["floor"]["openedx"]["bytes"] > 0
    for connector in ("openedx", "oaipmh"):
        data = size["connectors"][connector]
        assert set(data["cases"]) == {"full", "incremental", "noop"}
        assert set(data["baselines"]) == {
            *("full", "incremental", "noop"),
            *("floor_page", "floor_once"),  # the catalog floor, with its two commit policies
        }
        full = data["cases"]["full"]
        assert full["new"] + full["updated"] >= 200
        assert full["wall_s"] > 0
        assert full["peak_mib"] > 0
        assert data["baselines"]["full"]["report"]["stored"] > 0
        for commit in ("page", "once"):
            floor = data["baselines"][f"floor_{commit}"]["report"]
            # The floor writes the catalog's rows for the same feed: every course, once.
            assert floor["commit"] == commit
            assert floor["courses"] == floor["search_rows"] == 200
            assert floor["events"] >= 200
            assert floor["pages"] == full["pages"]
    exports = size["exports"]
    for step in ("exchange", "json", "csv", "site", "dump", "files", "pages"):
        assert exports[step]["wall_s"] > 0
    assert exports["offers"] > 0
    assert exports["sizes"]["site_index_js_bytes"] > 0
    assert exports["sizes"]["minimal_pages_bytes"] > 0
    assert exports["search"]["samples"] > 0
    assert exports["search"]["p95_ms"] >= exports["search"]["median_ms"]


def test_re_syncs_of_an_unchanged_feed_write_no_course_row(results: dict) -> None:
    cases = results["sizes"]["200"]["connectors"]
    noop = cases["openedx"]["cases"]["noop"]
    assert noop["course_events_written"] == 0
    assert noop["course_and_run_rows_unchanged"] is True
    assert noop["unchanged"] == 200
    conditional = cases["openedx"]["cases"]["incremental"]
    assert conditional["pages_304"] == conditional["pages"] > 0
    assert conditional["course_events_written"] == 0
    incremental = cases["oaipmh"]["cases"]["incremental"]
    assert incremental["mode"] == "incremental"
    assert incremental["course_events_written"] == 0
    assert cases["oaipmh"]["cases"]["noop"]["course_events_written"] == 0


def test_the_table_names_every_case(results: dict) -> None:
    table = results["table"]
    for text in (
        *("full harvest", "conditional (all 304)", "incremental (from=)", "unchanged"),
        *("catalog floor: sqlite3 into the catalog's schema", "catalog floor, one transaction"),
    ):
        assert text in table
