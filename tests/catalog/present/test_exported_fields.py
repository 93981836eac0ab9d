"""What the catalog stores is what the exports show: a run's page, availability, price (with its
currency and how often it is paid) and certificate, a course's credits, mode, source-modified
time and expiry — in the JSON export (valid against mooc-exchange/1), in the CSV's last columns
and on the site's course page, in the site's three languages.

From the user's side: records as a connector yields them, ingested, offered by a rule and read
back as documents (SQLite and PostgreSQL); and a MOOChub feed served with ``responses``,
``moocx sync`` and ``moocx export`` (JSON, CSV, site).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema
import lxml.html
import pytest
import responses

from catalog.derive.exchange import ExchangeSettings, Rule
from catalog.present.document_json import DocumentJson
from catalog.present.documents import course_documents
from catalog.present.export_csv import write_csv
from catalog.present.site import write_site
from catalog.present.site.i18n import LANGUAGES, STRINGS
from catalog.present.site.i18n_facts import PRICE_KEYS
from catalog.present.site.safety import page_slug
from catalog.store import harvests
from catalog.store.db import read_only
from catalog.store.ingest import Ingestor
from catalog.store.offers import rebuild
from connectors.records import COURSE_MODES, PAYMENT_FREQUENCIES, CourseRecord, Page
from connectors.records import CourseRun as RunRecord
from scheduler.cli import run as moocx
from tests.support.documents import document

SCHEMA_FILE = (
    Path(__file__).resolve().parents[3]
    / "catalog"
    / "present"
    / "schema"
    / "mooc-exchange-1.schema.json"
)
SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime.now(UTC).replace(microsecond=0)
START = NOW + timedelta(days=30)
EXPIRES = datetime(NOW.year + 2, 1, 31, 17, 0, tzinfo=UTC)
MODIFIED = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)
RUN_URL = "https://courses.vnu.edu.vn/courses/course-v1:UETx+DS101+2026_T1/about"
INSTITUTIONS = [
    {"id": "vnu", "names": {"vi": "ĐHQGHN"}, "country": "VN", "timezone": "Asia/Ho_Chi_Minh"},
    {"id": "hnue", "names": {"vi": "ĐHSPHN"}, "country": "VN", "timezone": "Asia/Ho_Chi_Minh"},
]


def export(courses: list[dict[str, Any]]) -> dict[str, Any]:
    return {"schema": "mooc-exchange/1", "generated_at": NOW.isoformat(), "institutions": [],
            "courses": courses}  # fmt: skip


# -- the JSON export and its schema ---------------------------------------------------------


def _minimal() -> dict[str, Any]:
    """A valid course of the JSON export with one run and none of the new values."""
    return DocumentJson().course(
        document({"id": "vnu:K", "key": "K", "title": "T", "updated_at": NOW, "first_seen": NOW,
                  "runs": [{"key": "r"}]})
    )  # fmt: skip


def test_the_schema_lists_every_field_the_export_writes_in_its_order() -> None:
    """The keys come in the schema's order; the new ones after the older ones, always there."""
    doc = DocumentJson().course(document({"key": "K", "title": "T", "runs": [{"key": "r"}]}))
    defs = SCHEMA["$defs"]
    assert list(doc) == list(defs["course"]["properties"])
    assert list(doc["runs"][0]) == list(defs["run"]["properties"])
    assert list(doc)[-4:] == ["credits", "mode", "modified", "expires"]
    assert list(doc["runs"][0])[-7:] == [
        "url", "availability", "is_free", "price", "currency", "payment_frequency", "certificate",
    ]  # fmt: skip
    props = defs["course"]["properties"]
    assert props["mode"]["enum"] == [*COURSE_MODES, None]
    assert defs["run"]["properties"]["payment_frequency"]["enum"] == [*PAYMENT_FREQUENCIES, None]


def test_an_export_from_before_the_new_fields_still_validates() -> None:
    """mooc-exchange/1 stays mooc-exchange/1: the new fields are optional in the schema (always
    written by this version), so a file an older moocx wrote is still valid."""
    doc = _minimal()
    jsonschema.validate(export([doc]), SCHEMA)
    for name in ("credits", "mode", "modified", "expires"):
        del doc[name]
    for name in ("url", "availability", "is_free", "price", "currency", "payment_frequency"):
        del doc["runs"][0][name]
    del doc["runs"][0]["certificate"]
    jsonschema.validate(export([doc]), SCHEMA)


@pytest.mark.parametrize(
    ("where", "field", "value"),
    [
        pytest.param("run", "currency", "eur", id="currency-not-iso-4217"),
        pytest.param("run", "payment_frequency", "fortnightly", id="frequency-not-moochubs"),
        pytest.param("run", "url", "javascript:alert(1)", id="run-url-not-http"),
        pytest.param("course", "mode", "hybrid", id="mode-not-one-of-three"),
        pytest.param("course", "credits", "3", id="credits-not-a-number"),
    ],
)
def test_the_schema_refuses_what_the_catalog_never_stores(
    where: str, field: str, value: Any
) -> None:
    doc = _minimal()
    (doc["runs"][0] if where == "run" else doc)[field] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(export([doc]), SCHEMA)


# -- records → catalog → every export -----------------------------------------------------


def _record() -> CourseRecord:
    """A blended course with credits and an expiry, three runs: monthly in EUR, once in USD,
    free."""
    runs = (
        RunRecord(key="course-v1:UETx+DS101+2026_T1", start=START, end=START + timedelta(days=90),
                  url=RUN_URL, availability="current", is_free=False, price="9.99", currency="EUR",
                  payment_frequency="monthly", certificate=True),
        RunRecord(key="course-v1:UETx+DS101+2026_T2", start=START + timedelta(days=120),
                  availability="upcoming", price="49.00", currency="USD"),
        RunRecord(key="course-v1:UETx+DS101+2026_T3", start=START + timedelta(days=240),
                  is_free=True),
    )  # fmt: skip
    return CourseRecord(
        key="UETx+DS101",
        title="Khoa học dữ liệu cho giáo viên",
        language="vi",
        organization="UETx",
        url="https://courses.vnu.edu.vn/courses/UETx+DS101/about",
        credits=3,
        modified=MODIFIED,
        mode="blended",
        expires=EXPIRES,
        runs=runs,
    )


@pytest.fixture
def documents(engine) -> list[Any]:
    """The course as hnue's students see it: offered by a rule, read back from the catalog."""
    harvests.register(
        engine, [harvests.InstitutionInfo("hnue", {"vi": "ĐHSPHN"}, "VN", "Asia/Ho_Chi_Minh")], []
    )
    run_id = harvests.start_run(engine, "vnu")
    Ingestor(engine, "vnu", run_id).apply(
        Page(items=(_record(),), cursor=None, url="https://x/p1", number=1, last=True)
    )
    settings = ExchangeSettings(
        rules=(Rule(id="vnu-to-hnue", offering="vnu", audience="hnue"),),
        institution_zones={"vnu": "Asia/Ho_Chi_Minh"},
    )
    rebuild(engine, settings, now=NOW)
    with read_only(engine) as conn:
        return list(course_documents(conn, audience="hnue"))


def test_the_json_export_carries_the_stored_fields_and_validates(documents) -> None:
    [course] = [DocumentJson().course(doc) for doc in documents]
    jsonschema.validate(export([course]), SCHEMA)
    assert course["credits"] == 3 and course["mode"] == "blended"
    assert course["modified"] == "2026-10-01T08:30:00+00:00"
    assert course["expires"] == EXPIRES.isoformat()
    first, second, third = course["runs"]
    assert {k: first[k] for k in list(first)[-7:]} == {
        "url": RUN_URL, "availability": "current", "is_free": False, "price": "9.99",
        "currency": "EUR", "payment_frequency": "monthly", "certificate": True,
    }  # fmt: skip
    assert (second["price"], second["currency"], second["payment_frequency"]) == (
        "49.00", "USD", None,
    )  # fmt: skip
    assert third["is_free"] is True and third["price"] is None and third["url"] is None


def test_the_csv_gives_each_offered_run_its_link_price_and_the_courses_facts(documents) -> None:
    out = io.StringIO(newline="")
    assert write_csv(out, documents, audience="hnue", language="vi") == 3
    rows = list(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    cells = [
        (r["run_url"], r["run_availability"], r["price"], r["currency"], r["payment_frequency"])
        for r in rows
    ]
    assert cells == [
        (RUN_URL, "current", "9.99", "EUR", "monthly"),
        ("", "upcoming", "49.00", "USD", ""),
        ("", "", "", "", ""),
    ]
    for row in rows:
        assert (row["course_credits"], row["mode"]) == ("3", "blended")
        assert row["source_modified"] == "2026-10-01T08:30:00+00:00"
        assert row["expires"] == EXPIRES.isoformat()


def _site(tmp_path: Path, docs: list[Any], language: str | None = None) -> Path:
    out = tmp_path / f"site-{language}"
    write_site(out, institutions=INSTITUTIONS, courses=docs, audience="hnue", generated_at=NOW,
               language=language)  # fmt: skip
    return out


def _page(site: Path, course_id: str) -> Any:
    return lxml.html.parse(str(site / "courses" / f"{page_slug(course_id)}.html")).getroot()


def _text(node: Any) -> str:
    return " ".join(" ".join(node.itertext()).split())


def _facts(doc: Any) -> dict[str, str]:
    [facts] = doc.xpath('//section[@aria-labelledby="facts-h"]/dl')
    return {dt.get("data-i18n"): _text(dt.getnext()) for dt in facts.iter("dt")}


@pytest.mark.parametrize("language", ["vi", "zh", "en"])
def test_the_course_page_shows_the_facts_and_each_runs_price_link_and_availability(
    tmp_path: Path, documents, language: str
) -> None:
    strings = STRINGS[language]
    [course] = documents
    doc = _page(_site(tmp_path, documents, language), course.id)
    facts = _facts(doc)
    assert facts["f_mode"] == strings["mode.blended"]
    assert facts["f_credits"] == "3"
    # in the audience's zone, like every time on the page
    assert facts["f_expires"] == f"{EXPIRES.astimezone(HANOI):%Y-%m-%d %H:%M} UTC+07:00"
    assert facts["f_modified"] == f"{MODIFIED.astimezone(HANOI):%Y-%m-%d %H:%M} UTC+07:00"
    [table] = doc.xpath('//section[@aria-labelledby="runs-h"]//table')
    heads = [th.get("data-i18n") for th in table.xpath(".//thead//th")]
    assert heads[-2:] == ["run_availability", "run_price"]
    rows = table.xpath(".//tbody/tr")
    prices = [_text(row.xpath("td")[-1]) for row in rows]
    monthly = strings["price_monthly"].replace("{price}", "9.99 EUR")
    assert prices == [monthly, "49.00 USD", strings["free"]]
    [span] = rows[0].xpath("td")[-1].xpath("span")
    assert span.get("data-i18n") == "price_monthly"
    assert json.loads(span.get("data-i18n-args")) == {"price": "9.99 EUR"}, "for the switch"
    availability = [_text(row.xpath("td")[-2]) for row in rows]
    assert availability == [strings["availability.current"], strings["availability.upcoming"], "—"]
    [link] = rows[0].xpath(".//a[@class='run-link']")
    assert link.get("href") == RUN_URL and link.get("rel") == "noopener noreferrer"
    assert _text(link) == strings["run_link"]
    assert not rows[1].xpath(".//a[@class='run-link']"), "no page of its own: no link"


def test_the_json_ld_instances_carry_mode_link_and_price(tmp_path: Path, documents) -> None:
    [course] = documents
    doc = _page(_site(tmp_path, documents), course.id)
    (script,) = doc.xpath('//script[@type="application/ld+json"]')
    first, second, third = json.loads(script.text)["hasCourseInstance"]
    assert {first["courseMode"], second["courseMode"], third["courseMode"]} == {"blended"}
    assert first["url"] == RUN_URL and "url" not in second
    assert first["offers"] == {
        "@type": "Offer", "price": "9.99", "priceCurrency": "EUR",
        "priceSpecification": {"@type": "UnitPriceSpecification", "price": "9.99",
                               "priceCurrency": "EUR", "unitText": "monthly"},
    }  # fmt: skip
    assert second["offers"] == {"@type": "Offer", "price": "49.00", "priceCurrency": "USD"}
    assert "offers" not in third


def test_a_page_without_the_new_values_has_no_new_rows_or_columns(tmp_path: Path) -> None:
    """Nothing given, nothing shown: no empty fact, no price or availability column."""
    course = document(
        {"id": "vnu:K", "key": "K", "title": "T", "institution": "vnu", "updated_at": NOW,
         "first_seen": NOW, "runs": [{"key": "r", "is_free": True}],
         "offers": [{"audience": "hnue", "offering": "vnu", "run": "r", "rule": "x"}]}
    )  # fmt: skip
    doc = _page(_site(tmp_path, [course]), course.id)
    assert not {"f_mode", "f_credits", "f_expires", "f_modified"} & set(_facts(doc))
    heads = [th.get("data-i18n") for th in doc.xpath("//thead//th")]
    assert "run_price" not in heads and "run_availability" not in heads
    assert not doc.xpath("//a[@class='run-link']")


def test_prices_are_text_escaped_and_a_price_without_frequency_is_amount_and_currency(
    tmp_path: Path,
) -> None:
    runs = [
        {"key": "a", "price": "<b>12</b>", "currency": "EUR", "payment_frequency": "yearly"},
        {"key": "b", "price": "=1+1"},
        {"key": "c", "price": "5.00", "currency": "VND", "payment_frequency": "one-time"},
        {"key": "d", "url": "javascript:alert(1)", "availability": "<i>soon</i>"},
    ]
    offers = [{"audience": "hnue", "offering": "vnu", "run": r["key"], "rule": "x"} for r in runs]
    course = document(
        {"id": "vnu:K", "key": "K", "title": "T", "institution": "vnu", "updated_at": NOW,
         "first_seen": NOW, "runs": runs, "offers": offers}
    )  # fmt: skip
    site = _site(tmp_path, [course], "en")
    html = (site / "courses" / f"{page_slug(course.id)}.html").read_text(encoding="utf-8")
    assert "<b>12</b>" not in html and "<i>soon</i>" not in html
    assert "javascript:" not in html
    rows = _page(site, course.id).xpath("//tbody/tr")
    assert [_text(row.xpath("td")[-1]) for row in rows] == [
        "<b>12</b> EUR a year", "=1+1", "5.00 VND, one-time", "—",
    ]  # fmt: skip
    assert _text(rows[3].xpath("td")[-2]) == "<i>soon</i>", "as the source says it, as text"
    out = io.StringIO(newline="")
    write_csv(out, [course], audience="hnue")
    prices = [r["price"] for r in csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff")))]
    assert prices == ["<b>12</b>", "'=1+1", "5.00", ""], "formulas defused in the new cells too"


def test_every_payment_frequency_has_its_words_in_every_language() -> None:
    assert set(PRICE_KEYS) == set(PAYMENT_FREQUENCIES)
    for key in PRICE_KEYS.values():
        for lang in LANGUAGES:
            assert "{price}" in STRINGS[lang][key], (lang, key)
    for code in (*COURSE_MODES, "current", "upcoming", "archived"):
        prefix = "mode." if code in COURSE_MODES else "availability."
        assert all(STRINGS[lang][prefix + code] for lang in LANGUAGES)


# -- a served MOOChub feed → moocx sync → moocx export -----------------------------------

MOOCHUB = "https://mooc.hou.edu.vn/bridges/moochub"
CONFIG = """
[catalog]
url = "{catalog_url}"

[[institutions]]
id = "vnu"
country = "VN"
timezone = "Asia/Ho_Chi_Minh"
language = "vi"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[institutions]]
id = "hou"
country = "VN"
timezone = "Asia/Ho_Chi_Minh"
names = {{ vi = "Trường Đại học Mở Hà Nội" }}

[[feeds]]
id = "hou-moochub"
institution = "hou"
connector = "moochub"
base_url = "{moochub}"

[[exchange]]
id = "hou-to-vnu"
from = "hou"
to = "vnu"
"""


def _moochub_page() -> dict[str, Any]:
    """One MOOChub v3 course (JSON:API), paid monthly, with credits and its modified time."""
    attributes = {
        "name": "Phân tích dữ liệu cho giáo viên",
        "courseCode": "DA201",
        "courseMode": ["online"],
        "description": "<p>Thống kê mô tả và trực quan hóa dữ liệu lớp học.</p>",
        "inLanguage": ["vi"],
        "startDate": [START.isoformat().replace("+00:00", "Z")],
        "endDate": [(START + timedelta(days=90)).isoformat().replace("+00:00", "Z")],
        "expires": EXPIRES.isoformat().replace("+00:00", "Z"),
        "publisher": {"type": "Organization", "name": "Trường Đại học Mở Hà Nội"},
        "url": "https://mooc.hou.edu.vn/courses/da201",
        "access": ["paid"],
        "offer": [
            {
                "price": 9.99,
                "priceCurrency": "EUR",
                "paymentFrequency": "monthly",
                "category": "course",
            },
        ],
        "numberOfCredits": 2,
        "dateModified": "2026-10-01T08:30:00Z",
    }
    return {
        "links": {"self": f"{MOOCHUB}/courses"},
        "data": [{"id": "7d0b7a8e-2f1c-4f0e-9a55-1d4c2b3a4f60", "type": "Course",
                  "attributes": attributes}],
    }  # fmt: skip


def test_a_served_feeds_price_credits_and_modified_time_reach_every_export(
    tmp_path: Path, catalog_url: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(catalog_url=catalog_url, moochub=MOOCHUB), encoding="utf-8")
    with responses.RequestsMock() as mock:
        mock.get(f"{MOOCHUB}/courses", json=_moochub_page(),
                 content_type="application/vnd.api+json")  # fmt: skip
        assert moocx(["--config", str(config), "sync", "--quiet"]) == 0
    out = tmp_path / "out"
    for fmt in ("json", "csv", "site"):
        target = out / {"json": "catalog.json", "csv": "offers.csv", "site": "site"}[fmt]
        args = ["export", "--format", fmt, "--audience", "vnu", "--out", str(target)]
        assert moocx(["--config", str(config), *args]) == 0, fmt
    data = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, SCHEMA)
    [course] = data["courses"]
    [run] = course["runs"]
    assert (run["price"], run["currency"], run["payment_frequency"]) == ("9.99", "EUR", "monthly")
    assert run["url"] == "https://mooc.hou.edu.vn/courses/da201"
    assert course["mode"] == "online" and course["expires"] == EXPIRES.isoformat()
    assert course["credits"] == 2 and course["modified"] == "2026-10-01T08:30:00+00:00"
    with (out / "offers.csv").open(encoding="utf-8-sig", newline="") as f:
        [row] = list(csv.DictReader(f))
    assert (row["price"], row["currency"], row["course_credits"]) == ("9.99", "EUR", "2")
    assert row["run_url"] == run["url"]
    assert row["source_modified"] == "2026-10-01T08:30:00+00:00"
    doc = _page(out / "site", course["id"])
    assert _facts(doc)["f_modified"] == "2026-10-01 15:30 UTC+07:00"
    assert _facts(doc)["f_credits"] == "2"
    [price] = doc.xpath("//tbody/tr/td[last()]")
    assert _text(price).startswith("9.99 EUR")
    assert row["payment_frequency"] == "monthly" and row["mode"] == "online"
