"""`moocx course` and `moocx review` from the admin's side: a config, served feeds (Open edX and
OAI-PMH through `responses`), `moocx sync`, then the commands — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import responses
from sqlalchemy import create_engine, insert, select

from catalog.store import tables
from scheduler.cli import run
from tests.conftest import FIXTURES
from tests.support import openedx_feed as feed

HOU = "https://mooc.hou.edu.vn"
OAI = "https://oai.vnu.edu.vn/oai/request"
OAI_PAGES = {
    f"{OAI}?verb=ListRecords&metadataPrefix=oai_dc&set=mooc": "ListRecords_page1.xml",
    f"{OAI}?verb=ListRecords&resumptionToken=mooc%2Foai_dc%7C100%2B2": "ListRecords_page2.xml",
    f"{OAI}?verb=ListRecords&resumptionToken=mooc%2Foai_dc%7C100%2B3": "ListRecords_page3.xml",
}

CONFIG = """
[catalog]
url = "{catalog_url}"

[http]
max_retries = 0

[sync]
max_rejected_fraction = 0.5

[service]
timezone = "Asia/Ho_Chi_Minh"

[[credit_systems]]
id = "tin_chi"
hours_per_credit = 15

[[credit_systems]]
id = "xuefen"
hours_per_credit = 16

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}
timezone = "Asia/Ho_Chi_Minh"
credit_system = "tin_chi"

[[institutions]]
id = "hou"
names = {{ vi = "Trường Đại học Mở Hà Nội" }}
timezone = "Asia/Ho_Chi_Minh"

[[institutions]]
id = "tsinghua"
names = {{ zh = "清华大学" }}
timezone = "Asia/Shanghai"
credit_system = "xuefen"

[[feeds]]
id = "vnu"
institution = "vnu"
connector = "openedx"
base_url = "{base}"

[feeds.options]
page_size = 10

[[feeds]]
id = "hou"
institution = "hou"
connector = "openedx"
base_url = "{hou}"

[feeds.options]
page_size = 10

[[feeds]]
id = "vnu-oai"
institution = "vnu"
connector = "oaipmh"
base_url = "{oai}"

[feeds.options]
set = "mooc"

[[exchange]]
id = "vnu-to-tsinghua"
from = "vnu"
to = "tsinghua"
default_credits = 3
notes = "Đăng ký qua Văn phòng Hợp tác quốc tế"
include = {{ courses = ["VNUx+EDU1001"] }}

[[exchange.terms]]
name = "2025-2026 HK1"
application_start = 2025-06-01
application_end = 2025-08-31
seats = 40
"""

RUNS = [
    feed.run("EDU1001", "Giáo dục học đại cương"),
    feed.run("EDU2002", "Lịch sử giáo dục Việt Nam"),
    feed.run("SHARED1", "Khóa học chung"),
]


def serve_openedx(mock: responses.RequestsMock, runs: list[dict], base: str = feed.BASE) -> None:
    for url, body in feed.pages(runs, 10):
        mock.get(url.replace(feed.BASE, base), json=body)


def serve_oai(mock: responses.RequestsMock) -> None:
    for url, name in OAI_PAGES.items():
        body = (FIXTURES / "oaipmh" / name).read_bytes()
        mock.get(url, body=body, content_type="text/xml; charset=utf-8")


@pytest.fixture
def config(tmp_path: Path, catalog_url: str) -> Path:
    path = tmp_path / "config.toml"
    text = CONFIG.format(catalog_url=catalog_url, base=feed.BASE, hou=HOU, oai=OAI)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def synced(config: Path) -> Path:
    """Three feeds synced; `moocx sync` rebuilt the exchange (one rule, one course)."""
    with responses.RequestsMock() as mock:
        serve_openedx(mock, RUNS)
        serve_openedx(mock, [feed.run("SHARED1", "Khóa học chung (HOU)")], base=HOU)
        serve_oai(mock)
        assert run(["--config", str(config), "sync", "--quiet"]) == 0
    return config


def moocx(config: Path, capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(["--config", str(config), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_course_shows_fields_provenance_history_runs_and_offers(synced: Path, capsys) -> None:
    code, out, _ = moocx(synced, capsys, "course", "vnu:VNUx+EDU1001")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "vnu:VNUx+EDU1001  Giáo dục học đại cương  [active]"
    assert "effort 4 giờ mỗi tuần" in out and "pacing instructor" in out
    assert f"from page: {feed.LIST}?page_size=10" in out
    assert "feed vnu (openedx, https://courses.vnu.edu.vn) of institution vnu" in out
    assert "first harvest: run 1 (full, succeeded), " in out
    assert any(line.strip().endswith("new          run 1") for line in lines)
    # Times carry their offset: [service] timezone for the harvest, the run and the history …
    assert "course-v1:VNUx+EDU1001+2025_T1: 2025-09-08 08:00+07:00 → -" in out
    # … and the offering institution's zone for the application window.
    assert "  to tsinghua (from vnu)" in out
    assert (
        "    course-v1:VNUx+EDU1001+2025_T1 · rule vnu-to-tsinghua · term 2025-2026 HK1 · apply "
        "2025-06-01 00:00+07:00 → 2025-08-31 23:59+07:00 · seats 40"
    ) in out
    assert "      credits 3.0 tin_chi → 3.0 xuefen (rule)" in out
    assert "      notes: Đăng ký qua Văn phòng Hợp tác quốc tế" in out
    assert "raw source record" not in out  # only with --raw

    code, by_key, _ = moocx(synced, capsys, "course", "VNUx+EDU1001")
    assert code == 0 and by_key == out


def test_course_raw_shows_the_source_payload(synced: Path, capsys) -> None:
    code, out, _ = moocx(synced, capsys, "course", "VNUx+EDU2002", "--raw")
    assert code == 0
    raw = out.split("raw source record (stored by run ", 1)[1].split("\n", 1)[1]
    [payload] = json.loads(raw)  # the Open edX run object, as the LMS sent it
    assert payload["id"] == "course-v1:VNUx+EDU2002+2025_T1"
    assert payload["short_description"] == "Mô tả EDU2002"

    code, out, _ = moocx(synced, capsys, "course", "oai:oai.vnu.edu.vn:mooc/INT1001", "--raw")
    assert code == 0
    assert "vnu-oai:oai:oai.vnu.edu.vn:mooc/INT1001  Nhập môn Trí tuệ nhân tạo" in out
    assert (
        "  subjects: Trí tuệ nhân tạo, Học máy (ISCED-F: 06 Information and Communication "
        "Technologies)"
    ) in out
    assert "runs: none (the source lists no runs)" in out
    assert "<identifier>oai:oai.vnu.edu.vn:mooc/INT1001</identifier>" in out  # the XML record


def test_course_json_is_one_document(synced: Path, capsys) -> None:
    code, out, _ = moocx(synced, capsys, "course", "VNUx+EDU1001", "--json", "--raw")
    assert code == 0
    doc = json.loads(out)
    assert (doc["id"], doc["feed"], doc["key"], doc["status"]) == (
        "vnu:VNUx+EDU1001",
        "vnu",
        "VNUx+EDU1001",
        "active",
    )
    assert doc["provenance"]["source_url"] == f"{feed.LIST}?page_size=10"
    assert doc["provenance"]["first_harvest"]["id"] == 1
    assert datetime.fromisoformat(doc["provenance"]["first_seen"]).utcoffset().seconds == 7 * 3600
    assert [e["event"] for e in doc["events"]] == ["new"]
    [offer] = doc["offers"]
    assert (offer["audience"], offer["run"], offer["runless"]) == (
        "tsinghua",
        "course-v1:VNUx+EDU1001+2025_T1",
        False,
    )
    assert offer["application_start"] == "2025-06-01T00:00:00+07:00"
    assert doc["raw"][0]["name"] == "Giáo dục học đại cương"
    code, out, _ = moocx(synced, capsys, "course", "VNUx+EDU1001", "--json")
    assert "raw" not in json.loads(out)


def test_an_offer_without_a_run_says_the_platform_sets_the_dates(synced: Path, capsys) -> None:
    """Courses without runs are offered whole (``offers.run_id`` NULL): item 1's exchange writes
    such offers; here one is written as it would be."""
    engine = create_engine(_url(synced))
    c = tables.courses.c
    with engine.begin() as conn:
        course_id = conn.execute(
            select(c.id).where(c.key == "oai:oai.vnu.edu.vn:mooc/INT1001")
        ).scalar_one()
        runless = {"course_id": course_id, "run_id": None, "offering": "vnu", "seats": 40,
                   "audience": "tsinghua", "rule": "vnu-to-tsinghua", "term": "2025-2026 HK1",
                   "open_now": False}  # fmt: skip
        conn.execute(insert(tables.offers).values(**runless))
    engine.dispose()
    code, out, _ = moocx(synced, capsys, "course", "oai:oai.vnu.edu.vn:mooc/INT1001")
    assert code == 0
    assert (
        "    no scheduled run (dates set by the platform) · rule vnu-to-tsinghua · term "
        "2025-2026 HK1"
    ) in out
    code, out, _ = moocx(synced, capsys, "course", "oai:oai.vnu.edu.vn:mooc/INT1001", "--json")
    [offer] = json.loads(out)["offers"]
    assert (offer["run"], offer["runless"]) == (None, True)


def test_an_ambiguous_key_lists_the_ids_and_an_unknown_one_suggests(synced: Path, capsys) -> None:
    code, out, err = moocx(synced, capsys, "course", "VNUx+SHARED1")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "course key 'VNUx+SHARED1' is in several feeds; name one of:",
        "  hou:VNUx+SHARED1",
        "  vnu:VNUx+SHARED1",
    ]
    code, out, _ = moocx(synced, capsys, "course", "hou:VNUx+SHARED1")
    assert code == 0 and "Khóa học chung (HOU)" in out

    code, out, err = moocx(synced, capsys, "course", "vnu:VNUx+EDU100")
    assert code == 1 and out == ""
    assert err.strip() == (
        "no course 'vnu:VNUx+EDU100' in the catalog; did you mean vnu:VNUx+EDU1001?"
    )


TEN = [feed.run(f"C{i:02d}") for i in range(10)]


def test_review_lists_held_withdrawals_and_the_command_that_releases_them(
    config: Path, capsys
) -> None:
    with responses.RequestsMock() as mock:
        serve_openedx(mock, TEN)
        assert run(["--config", str(config), "sync", "--quiet", "vnu"]) == 0
    code, out, _ = moocx(config, capsys, "review")
    assert (code, out) == (
        0,
        "nothing to review: no feed holds withdrawals back, and no feed's latest run "
        "rejected records\n",
    )
    broken = [feed.run("C99", start="TBA"), dict(feed.run("C98"), name="")]
    with responses.RequestsMock() as mock:
        serve_openedx(mock, [*TEN[:7], *broken])  # 3 of 10 gone (30 % > 20 %), 2 new rejected
        assert run(["--config", str(config), "sync", "--quiet", "vnu"]) == 0

    code, out, _ = moocx(config, capsys, "review")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "feed vnu (institution vnu)"
    assert lines[1].startswith("  NEEDS REVIEW: run 2 (finished ")
    assert lines[1].endswith("+07:00) held 3 withdrawals back, because:")
    assert lines[2] == (
        "    3 of 10 active courses would be withdrawn, more than max_withdraw_fraction = 0.2"
    )
    assert lines[3] == "  held back (key, why, last seen, title):"
    held = lines[4:7]
    assert [line.split()[:3] for line in held] == [[f"VNUx+C0{i}", "absent", "last"] for i in "789"]
    assert all("+07:00  Khóa học C0" in line for line in held)
    assert lines[7] == "  release them after review: moocx sync --accept-withdrawals vnu"
    assert lines[8].startswith("  the latest run, 2 (succeeded, started ")
    assert lines[8].endswith("rejected 2 records:")
    assert lines[9] == "    - course-v1:VNUx+C99+2025_T1: start: unparseable date 'TBA'"
    assert lines[10].startswith('      {"id": "course-v1:VNUx+C99+2025_T1", ')
    assert len(lines[10]) == 6 + 160 and lines[10].endswith("…")
    assert lines[11].startswith("    - VNUx+C98: ")
    code, out, _ = moocx(config, capsys, "review", "--limit", "1")
    assert out.splitlines()[-1] == "    … and 1 more: moocx runs show 2"

    code, out, _ = moocx(config, capsys, "review", "--json")
    [entry] = json.loads(out)["feeds"]
    assert entry["held"]["release"] == "moocx sync --accept-withdrawals vnu"
    assert entry["held"]["run_id"] == 2 and "max_withdraw_fraction" in entry["held"]["guard"]
    assert [(h["key"], h["title"]) for h in entry["held"]["courses"]] == [
        (f"VNUx+C0{i}", f"Khóa học C0{i}") for i in "789"
    ]
    assert all(h["last_seen"].endswith("+07:00") for h in entry["held"]["courses"])
    assert entry["rejections"]["rejected_total"] == 2
    assert entry["rejections"]["rejected"][0]["reason"] == "start: unparseable date 'TBA'"

    with responses.RequestsMock() as mock:
        serve_openedx(mock, TEN[:7])
        args = ["sync", "--quiet", "--accept-withdrawals", "vnu"]
        assert run(["--config", str(config), *args]) == 0
    code, out, _ = moocx(config, capsys, "review")
    assert code == 0 and out.startswith("nothing to review")
    assert json.loads(moocx(config, capsys, "review", "--json")[1]) == {"feeds": []}


def _url(config: Path) -> str:
    for line in config.read_text(encoding="utf-8").splitlines():
        if line.startswith("url = "):
            return line.split('"')[1]
    raise AssertionError("no catalog url")
