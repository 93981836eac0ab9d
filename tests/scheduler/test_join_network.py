"""A third university joins the exchange over OAI-PMH, as its admin would do it.

Hanoi Open University (HOU) publishes its courses from an OAI-PMH repository (a loopback
provider with deleted records). Its admin adds the institution, the feed and two rules to the
config, then: ``moocx sync`` → ``moocx exchange`` → its courses, which have no runs, are offered
to VNU's and Tsinghua's students → they appear in both sites (a headless Chromium search finds
one), in the CSV and in the JSON export (valid against the schema). A later incremental sync
that reports a deletion takes the deleted course's offers away. SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from scheduler.cli import run
from tests.support.oai_provider import OaiProvider, OaiRecord

SCHEMA = (
    Path(__file__).parents[2] / "catalog" / "present" / "schema" / "mooc-exchange-1.schema.json"
)

TITLES = [
    "Kinh tế vi mô", "Quản trị kinh doanh căn bản", "Luật thương mại quốc tế",
    "Tiếng Anh chuyên ngành du lịch", "Công nghệ phần mềm", "Mạng máy tính",
    "Thiết kế đồ họa", "Tài chính doanh nghiệp", "Kế toán tài chính", "Introduction to Tourism",
]  # fmt: skip


def _records() -> list[OaiRecord]:
    records = [
        OaiRecord(
            f"oai:hou.edu.vn:course/{n}",
            title,
            language="eng" if title.startswith("Introduction") else "vie",
            subjects=("Kinh tế",) if n < 3 else (),
            url=f"https://elearning.hou.edu.vn/course/view.php?id={n}",
        )
        for n, title in enumerate(TITLES)
    ]
    # Two records the repository deleted (persistent deletedRecord): never stored here.
    records += [OaiRecord(f"oai:hou.edu.vn:course/{n}", deleted=True) for n in (90, 91)]
    return records


def _config(tmp_path: Path, catalog_url: str, oai_url: str) -> Path:
    today = date.today()
    opens, closes = today - timedelta(days=10), today + timedelta(days=50)
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[catalog]
url = "{catalog_url}"

[[credit_systems]]
id = "tin_chi"
hours_per_credit = 15

[[credit_systems]]
id = "xuefen"
hours_per_credit = 16

[[institutions]]
id = "vnu"
country = "VN"
timezone = "Asia/Ho_Chi_Minh"
credit_system = "tin_chi"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[institutions]]
id = "tsinghua"
country = "CN"
timezone = "Asia/Shanghai"
credit_system = "xuefen"
names = {{ zh = "清华大学" }}

[[institutions]]
id = "hou"
country = "VN"
timezone = "Asia/Ho_Chi_Minh"
credit_system = "tin_chi"
names = {{ vi = "Trường Đại học Mở Hà Nội", en = "Hanoi Open University" }}

[[feeds]]
id = "hou-oai"
institution = "hou"
connector = "oaipmh"
base_url = "{oai_url}"

[[exchange]]
id = "hou-to-vnu"
from = "hou"
to = "vnu"
default_credits = 3

[[exchange.terms]]
name = "2026-2027 HK2"
application_start = {opens.isoformat()}
application_end = {closes.isoformat()}
seats = 30

[[exchange]]
id = "hou-to-tsinghua"
from = "hou"
to = "tsinghua"
include = {{ languages = ["vie", "en"] }}
exclude = {{ courses = ["oai:hou.edu.vn:course/9"] }}
default_credits = 3
notes = {{ vi = "Đăng ký qua Phòng Hợp tác quốc tế HOU", zh = "请通过河内开放大学国际处报名" }}

[[exchange.terms]]
name = "2026-2027 春季"
application_start = {opens.isoformat()}
application_end = {closes.isoformat()}
seats = 20
""",
        encoding="utf-8",
    )
    return config


def _moocx(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture
def joined(tmp_path: Path, catalog_url: str, capsys: pytest.CaptureFixture[str]):
    """The repository served, the config written, one sync and one exchange run."""
    with OaiProvider(_records(), page_size=4, repository_name="HOU OpenCourseWare") as oai:
        config = _config(tmp_path, catalog_url, oai.url)
        code, out = _moocx(capsys, "--config", str(config), "sync")
        assert code == 0, out
        assert "deleted at source: 2" in out
        code, out = _moocx(capsys, "--config", str(config), "exchange")
        assert code == 0, out
        yield config, oai, out


def test_a_university_joining_over_oai_pmh_reaches_both_audiences(
    joined, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _oai, exchange_out = joined
    assert "rule hou-to-vnu (hou → vnu): 10 courses match, 10 offered" in exchange_out
    assert "rule hou-to-tsinghua (hou → tsinghua): 9 courses match, 9 offered" in exchange_out

    out_json = tmp_path / "catalog.json"
    code, out = _moocx(capsys, "--config", str(config), "export", "--format", "json",
                       "--out", str(out_json))  # fmt: skip
    assert code == 0, out
    data = json.loads(out_json.read_text(encoding="utf-8"))
    jsonschema.validate(data, json.loads(SCHEMA.read_text(encoding="utf-8")))
    courses = {c["key"]: c for c in data["courses"]}
    assert len(courses) == 10
    offers = courses["oai:hou.edu.vn:course/0"]["offers"]
    assert {(o["audience"], o["run"], o["whole_course"]) for o in offers} == {
        ("vnu", None, True),
        ("tsinghua", None, True),
    }
    to_thu = next(o for o in offers if o["audience"] == "tsinghua")
    assert to_thu["notes"] == "请通过河内开放大学国际处报名"  # the audience's language
    assert (to_thu["seats"], to_thu["open_now"], to_thu["term"]) == (20, True, "2026-2027 春季")
    assert to_thu["credits"]["host"] == 3.0 and to_thu["credits"]["home"] == 3.0  # 45 h ≈ 2.8
    assert [o["audience"] for o in courses["oai:hou.edu.vn:course/9"]["offers"]] == ["vnu"]

    out_csv = tmp_path / "tsinghua.csv"
    code, out = _moocx(capsys, "--config", str(config), "export", "--format", "csv",
                       "--audience", "tsinghua", "--out", str(out_csv))  # fmt: skip
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 9  # one per offered course: they have no runs
    assert "Kinh tế vi mô" in {row["title"] for row in rows}
    assert all(not row["run_key"] for row in rows)

    code, out = _moocx(capsys, "--config", str(config), "search", "kinh te", "--audience", "vnu")
    assert code == 0 and "Kinh tế vi mô" in out, out


def test_both_sites_list_the_new_courses_and_search_finds_one(
    joined, tmp_path: Path, capsys: pytest.CaptureFixture[str], tmp_path_factory
) -> None:
    from tests.catalog.present.test_site_browser import _chromium, _open, _search, _titles

    config, _oai, _out = joined
    sites = {}
    for audience in ("vnu", "tsinghua"):
        sites[audience] = tmp_path / f"site-{audience}"
        code, out = _moocx(capsys, "--config", str(config), "export", "--format", "site",
                           "--audience", audience, "--out", str(sites[audience]))  # fmt: skip
        assert code == 0, out
    browser_gen = _chromium(tmp_path_factory)
    browser: Any = next(browser_gen)
    try:
        _open(browser, sites["vnu"] / "index.html")
        assert len(_titles(browser)) == 10
        assert _search(browser, "ke toan") == ["Kế toán tài chính"]
        _open(browser, sites["tsinghua"] / "index.html")
        assert len(_titles(browser)) == 9
        assert "Mạng máy tính" in _search(browser, "mang may")
    finally:
        browser_gen.close()


def test_explain_says_why_and_a_deletion_takes_the_offers_away(
    joined, capsys: pytest.CaptureFixture[str]
) -> None:
    config, oai, _out = joined
    code, out = _moocx(capsys, "--config", str(config), "exchange", "--explain",
                       "oai:hou.edu.vn:course/9")  # fmt: skip
    assert code == 0, out
    assert "rule hou-to-vnu → vnu: OFFERED" in out
    assert "rule hou-to-tsinghua → tsinghua: not offered" in out
    assert "exclude.courses = [oai:hou.edu.vn:course/9] excludes it" in out

    # The repository deletes course 4; the next sync is incremental and reports it.
    records = [
        OaiRecord(r.identifier, deleted=True, datestamp="2025-03-10T08:00:00Z")
        if r.identifier.endswith("/4")
        else r
        for r in oai.records
    ]
    oai.records = records
    code, out = _moocx(capsys, "--config", str(config), "sync")
    assert code == 0, out
    assert "incremental" in out and "withdrawn 1" in out.replace(":", ""), out
    code, out = _moocx(capsys, "--config", str(config), "exchange")
    assert "rule hou-to-vnu (hou → vnu): 9 courses match, 9 offered" in out
    code, out = _moocx(capsys, "--config", str(config), "exchange", "--explain",
                       "oai:hou.edu.vn:course/4")  # fmt: skip
    assert "not offered: the course is withdrawn" in out
