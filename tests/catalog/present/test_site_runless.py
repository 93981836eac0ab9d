"""What a VNU student sees of a new partner's courses without runs and of a term's runs, from the
user's side: a config, an OAI-PMH repository (no runs) and an Open edX LMS (one course, three
runs in one term) served with ``responses``, ``moocx sync``, then ``moocx export --format site``
/ ``csv`` and ``moocx search --audience`` — on SQLite and PostgreSQL.

The same site in headless Chromium (search finds the runless course, its card, the one card of
the term, the notes following the interface language, an empty site's message) is in
test_site_browser.py.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import lxml.html
import pytest
import responses

from catalog.present.site.i18n import STRINGS
from catalog.present.site.safety import page_slug
from scheduler.cli import run
from tests.catalog.present.test_site import read_index
from tests.support import openedx_feed as lms

OAI = "https://oai.hou.edu.vn/oai/request"
LIST_RECORDS = f"{OAI}?verb=ListRecords&metadataPrefix=oai_dc"
TODAY = datetime.now(UTC).date()
TERM = "2026-2027 HK1"
NOTES = {
    "vi": "Nộp đơn qua Phòng Hợp tác quốc tế ĐHQGHN",
    "zh": "请通过越南国家大学国际合作处申请",
    "en": "Apply through the VNU International Office",
}
#: The three runs of the Tsinghua course the term offers, and one that ended in 2024.
RUN_STARTS = [TODAY + timedelta(days=d) for d in (60, 40, 50)]
PHYSICS_ID = "hou-oai:oai:hou.edu.vn:mooc/PHY1001"
AI_ID = "thu-openedx:TsinghuaX+AI3001"

CONFIG = """
[catalog]
url = "{catalog_url}"

[[institutions]]
id = "vnu"
country = "VN"
timezone = "Asia/Ho_Chi_Minh"
language = "vi"
names = {{ vi = "Đại học Quốc gia Hà Nội", zh = "越南河内国家大学", en = "VNU Hanoi" }}

[[institutions]]
id = "tsinghua"
country = "CN"
timezone = "Asia/Shanghai"
language = "zh"
names = {{ vi = "Đại học Thanh Hoa", zh = "清华大学", en = "Tsinghua University" }}

[[institutions]]
id = "hou"
country = "VN"
timezone = "Asia/Ho_Chi_Minh"
names = {{ vi = "Trường Đại học Mở Hà Nội", en = "Hanoi Open University" }}

[[feeds]]
id = "hou-oai"
institution = "hou"
connector = "oaipmh"
base_url = "{oai}"

[[feeds]]
id = "thu-openedx"
institution = "tsinghua"
connector = "openedx"
base_url = "{lms}"
[feeds.options]
page_size = 10

[[exchange]]
id = "hou-to-vnu"
from = "hou"
to = "vnu"
notes = {{ vi = "{vi}", zh = "{zh}", en = "{en}" }}
[[exchange.terms]]
name = "{term}"
application_start = {app_start}
application_end = {app_end}
seats = 25

[[exchange]]
id = "tsinghua-to-vnu"
from = "tsinghua"
to = "vnu"
notes = {{ vi = "{vi}", zh = "{zh}", en = "{en}" }}
[[exchange.terms]]
name = "{term}"
application_start = {app_start}
application_end = {app_end}
seats = 10
runs_starting_from = {runs_from}
runs_starting_until = {runs_until}
"""

RECORDS = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
  <responseDate>2026-11-25T03:00:00Z</responseDate>
  <request verb="ListRecords" metadataPrefix="oai_dc">{oai}</request>
  <ListRecords>
    {records}
  </ListRecords>
</OAI-PMH>
"""
RECORD = """<record>
      <header><identifier>oai:hou.edu.vn:mooc/{key}</identifier>
        <datestamp>2026-11-01T00:00:00Z</datestamp></header>
      <metadata>
        <oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
                   xmlns:dc="http://purl.org/dc/elements/1.1/">
          <dc:title>{title}</dc:title>
          <dc:description>{description}</dc:description>
          <dc:publisher>Trường Đại học Mở Hà Nội</dc:publisher>
          <dc:identifier>https://mooc.hou.edu.vn/courses/{key}</dc:identifier>
          <dc:language>vi</dc:language>
        </oai_dc:dc>
      </metadata>
    </record>"""
COURSES = [
    ("PHY1001", "Vật lý đại cương", "Cơ học, nhiệt học và điện từ học cho sinh viên năm nhất."),
    ("LAW2002", "Pháp luật đại cương", "Nhà nước và pháp luật Việt Nam."),
]


def write_config(tmp_path: Path, catalog_url: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        CONFIG.format(
            catalog_url=catalog_url,
            oai=OAI,
            lms=lms.BASE,
            term=TERM,
            app_start=TODAY - timedelta(days=10),
            app_end=TODAY + timedelta(days=20),
            runs_from=TODAY + timedelta(days=30),
            runs_until=TODAY + timedelta(days=120),
            **NOTES,
        ),
        encoding="utf-8",
    )
    return config


def serve_feeds(mock: responses.RequestsMock) -> None:
    records = "\n".join(RECORD.format(key=k, title=t, description=d) for k, t, d in COURSES)
    body = RECORDS.format(oai=OAI, records=records).encode("utf-8")
    mock.get(LIST_RECORDS, body=body, content_type="text/xml; charset=utf-8")
    runs = [
        lms.run("AI3001", "人工智能原理与应用", org="TsinghuaX", term=f"T{n}", start=_iso(start))
        for n, start in enumerate(RUN_STARTS)
    ]
    runs.append(
        lms.run("AI3001", "人工智能原理与应用", org="TsinghuaX", term="2024_T1",
                start="2024-02-26T01:00:00Z")
    )  # fmt: skip
    for url, body in lms.pages(runs, 10):
        mock.get(url, json=body)


def _iso(day: date) -> str:
    return f"{day.isoformat()}T01:00:00Z"


def synced(tmp_path: Path, catalog_url: str) -> Path:
    config = write_config(tmp_path, catalog_url)
    with responses.RequestsMock() as mock:
        serve_feeds(mock)
        assert run(["--config", str(config), "sync", "--quiet"]) == 0
    return config


def export_site(config: Path, out: Path, audience: str = "vnu") -> Path:
    args = ["export", "--format", "site", "--audience", audience, "--out", str(out)]
    assert run(["--config", str(config), *args]) == 0
    return out


@pytest.fixture
def catalog(tmp_path: Path, catalog_url: str) -> Path:
    """The config of a catalog synced from both feeds (the exchange rebuilt by the sync)."""
    return synced(tmp_path, catalog_url)


def page(site: Path, course_id: str) -> Any:
    return lxml.html.parse(str(site / "courses" / f"{page_slug(course_id)}.html")).getroot()


def text(node: Any) -> str:
    return " ".join(" ".join(node.itertext()).split())


def test_a_course_without_runs_is_listed_searchable_and_has_its_card(
    catalog: Path, tmp_path: Path
) -> None:
    site = export_site(catalog, tmp_path / "site")
    index = read_index(site)
    tables = index["tables"]
    rows = {row["title"]: row for row in index["courses"]}
    assert set(rows) == {"Vật lý đại cương", "Pháp luật đại cương", "人工智能原理与应用"}
    physics = rows["Vật lý đại cương"]
    assert physics["hay"].startswith("vat ly dai cuong\n")
    assert physics["flags"] & 8, "offered as a whole"
    assert [tables["term"][t] for t in tables["terms"][physics["terms"]]] == [TERM]
    assert physics["start"] == -1 and physics["months"] == -1, "no run: no start, no month"
    [(_, _, open_at_build)] = tables["windows"][physics["windows"]]
    assert open_at_build == 1, "the term takes applications now"

    doc = page(site, PHYSICS_ID)
    [card] = doc.xpath('//section[@class="offer"]')
    assert card.xpath("h3")[0].text == TERM
    [whole] = card.xpath('.//dd[@class="whole-course"]')
    assert text(whole) == STRINGS["vi"]["whole_course"]
    assert "25" in text(card)
    assert not doc.xpath('//section[@aria-labelledby="runs-h"]'), "no runs table"


def test_a_term_offering_three_runs_is_one_card_listing_them(catalog: Path, tmp_path: Path) -> None:
    site = export_site(catalog, tmp_path / "site")
    doc = page(site, AI_ID)
    [card] = doc.xpath('//section[@class="offer"]')
    listed = [text(li) for li in card.xpath('.//ul[@class="offered-runs"]/li')]
    keys = [f"course-v1:TsinghuaX+AI3001+T{n}" for n in (1, 2, 0)]  # in start order
    assert [item.split(" ")[0] for item in listed] == keys
    assert all("2024" not in item for item in listed), "the 2024 run ended before the window"
    assert text(card.xpath('.//dt[@data-i18n="offered_runs"]')[0]) == STRINGS["vi"]["offered_runs"]
    [notes] = card.xpath('.//dd[@class="notes"]')
    assert notes.text == NOTES["vi"], "the audience's language"
    assert json.loads(notes.get("data-notes")) == NOTES, "every language, for the switch"


def test_the_csv_gives_a_runless_offer_one_row_marked_whole_course(
    catalog: Path, tmp_path: Path
) -> None:
    out = tmp_path / "offers.csv"
    args = ["export", "--format", "csv", "--audience", "vnu", "--out", str(out)]
    assert run(["--config", str(catalog), *args]) == 0
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    by_course: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_course.setdefault(row["course_id"], []).append(row)
    [physics] = by_course[PHYSICS_ID]
    assert physics["whole_course"] == "yes"
    assert [physics[c] for c in ("run_key", "start", "end", "enrollment_start")] == [""] * 4
    assert (physics["term"], physics["seats"], physics["open_now"]) == (TERM, "25", "yes")
    assert [r["whole_course"] for r in by_course[AI_ID]] == ["no"] * 3
    assert list(rows[0]).index("whole_course") == 27, "new columns go last: positions stay"


def search(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert run(["--config", str(config), "search", "--json", *args]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_moocx_search_for_an_audience_finds_the_runless_courses(
    catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [hit] = search(catalog, capsys, "vat ly", "--audience", "vnu")
    assert (hit["id"], hit["match"]) == (PHYSICS_ID, "title")
    assert [h["id"] for h in search(catalog, capsys, "Pháp luật", "--audience", "vnu")] == [
        "hou-oai:oai:hou.edu.vn:mooc/LAW2002"
    ]
    assert search(catalog, capsys, "vat ly", "--audience", "tsinghua") == []  # no rule to it


def test_the_exported_site_shows_times_in_the_audiences_zone(catalog: Path, tmp_path: Path) -> None:
    site = export_site(catalog, tmp_path / "site")
    card = text(page(site, AI_ID).xpath('//section[@class="offer"]')[0])
    assert "UTC+07:00" in card and "UTC+08:00" not in card
