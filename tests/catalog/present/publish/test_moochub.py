"""MOOChub v3 at /moochub/courses: a demo catalog's pages as a harvester reads them.

Every item of every page validates against the official v3 schema; the links walk the whole
list once; the version is negotiated (406 problem for another one); bad page parameters are a
400 problem; withdrawn and non-consented courses are absent; our own MOOChub connector reads
the pages back into the same courses; ``meta.provenance`` says where each course came from.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
from sqlalchemy import Engine, create_engine

from catalog.present.documents import course_documents
from catalog.present.publish.moochub import CONTENT_TYPE, moochub_response
from catalog.present.publish.moochub_item import published_identifier
from catalog.present.publish.settings import MAX_PAGE_SIZE, PublishSettings
from catalog.present.site.safety import sanitize_html
from connectors.effort import parse_effort
from connectors.moochub import map_items, parse_envelope
from connectors.records import CourseRecord

#: The official MOOChub v3 schema (MOOChub/schema ``moochub-schema.json`` 3.0.1).
SCHEMA = Path(__file__).parents[3] / "fixtures" / "publish" / "moochub-schema.v3.json"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
BASE = "https://mooc.vnu.edu.vn/exchange"
SETTINGS = PublishSettings(
    node_id="mooc.vnu.edu.vn",
    base_url=BASE,
    repository_name="VNU course exchange",
    admin_emails=("exchange@vnu.edu.vn",),
    institutions=("vnu", "tsinghua"),
)


@pytest.fixture
def demo(demo_dir: Path) -> Path:
    """The demo's catalog (VNU on Open edX, Tsinghua on XuetangX), built once a session."""
    return demo_dir / "catalog.db"


@pytest.fixture
def catalog(demo: Path, tmp_path: Path) -> Iterator[tuple[Engine, Path]]:
    """A copy of the demo catalog this test may change."""
    path = tmp_path / "catalog.db"
    shutil.copyfile(demo, path)
    engine = create_engine(f"sqlite:///{path}")
    yield engine, path
    engine.dispose()


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    return jsonschema.Draft202012Validator(schema)  # formats not checked: ids are oai: URIs


def get(
    engine: Engine,
    args: dict[str, list[str]] | None = None,
    *,
    accept: str | None = "application/vnd.api+json; moochub-version=3",
    settings: PublishSettings = SETTINGS,
) -> Any:
    with engine.connect() as conn:
        return moochub_response(conn, settings, args or {}, accept=accept, now=NOW)


def page_args(url: str) -> dict[str, list[str]]:
    assert url.startswith(f"{BASE}/moochub/courses?")
    return parse_qs(urlsplit(url).query)


def harvest(engine: Engine, size: int = 20, **kwargs: Any) -> list[dict[str, Any]]:
    """Every page, following ``links.next`` from the first, as a harvester does."""
    pages, args = [], {"page[size]": [str(size)]}
    while True:
        response = get(engine, args, **kwargs)
        assert response.status == 200, response.body
        body = json.loads(response.body)
        pages.append(body)
        if "next" not in body["links"]:
            return pages
        args = page_args(body["links"]["next"])
        assert len(pages) < 100


def sql(path: Path, statement: str, *params: Any) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(statement, params)


def test_every_item_of_every_page_is_valid_moochub_v3(catalog, validator) -> None:
    engine, _ = catalog
    pages = harvest(engine, size=20)
    items = [item for page in pages for item in page["data"]]
    for page in pages:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(page)]
        assert not errors, errors[:5]
    with engine.connect() as conn:
        expected = sorted((d.feed, d.key) for d in course_documents(conn, include_withdrawn=False))
    assert len(expected) == 104 and len(pages) == 6
    ids = [item["id"] for item in items]
    assert ids == [published_identifier(SETTINGS.node_id, f"{f}:{k}") for f, k in expected]
    assert pages[0]["meta"]["totalItems"] == 104
    first = items[0]
    assert first["type"] == "Course" and first["id"].startswith("oai:mooc.vnu.edu.vn:")
    attributes = first["attributes"]
    assert attributes["learningResourceType"]["identifier"] == "https://w3id.org/kim/hcrt/course"
    assert attributes["license"] == [{"identifier": "proprietary", "url": attributes["url"]}]
    assert attributes["publisher"] == {"type": "Organization", "name": "Tsinghua University"}


def test_links_are_absolute_and_walk_the_list_once(catalog) -> None:
    engine, _ = catalog
    pages = harvest(engine, size=50)
    assert [len(p["data"]) for p in pages] == [50, 50, 4]
    url = f"{BASE}/moochub/courses?page%5Bnumber%5D={{}}&page%5Bsize%5D=50"
    assert pages[0]["links"] == {
        "self": url.format(1),
        "first": url.format(1),
        "last": url.format(3),
        "next": url.format(2),
    }
    assert pages[1]["links"]["prev"] == url.format(1)
    assert pages[2]["links"]["prev"] == url.format(2) and "next" not in pages[2]["links"]
    # plain page=N (xikolo's bridge) is the same page; the default size is 50
    plain = json.loads(get(engine, {"page": ["2"]}).body)
    assert plain["data"] == pages[1]["data"] and plain["links"] == pages[1]["links"]


def test_a_page_past_the_last_is_empty_with_links_back(catalog) -> None:
    engine, _ = catalog
    response = get(engine, {"page[number]": ["9"], "page[size]": ["50"]})
    body = json.loads(response.body)
    assert response.status == 200 and body["data"] == []
    assert "next" not in body["links"]
    assert body["links"]["prev"] == body["links"]["last"]


def test_a_page_size_above_the_cap_is_capped(catalog) -> None:
    engine, _ = catalog
    body = json.loads(get(engine, {"page[size]": ["100000"]}).body)
    assert len(body["data"]) == 104 and "next" not in body["links"]
    assert page_args(body["links"]["self"])["page[size]"] == [str(MAX_PAGE_SIZE)]


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "",
        "*/*",
        "application/vnd.api+json",
        "application/vnd.api+json; moochub-version=3",
        'application/vnd.api+json;moochub-version="3.0"',
        "application/vnd.api+json; moochub-version=3.0.1",
        "application/vnd.api+json; moochub-version=2, application/vnd.api+json; moochub-version=3",
        "text/html",
    ],
)
def test_versions_we_serve_are_answered_as_3_0_1(catalog, accept: str | None) -> None:
    response = get(catalog[0], accept=accept)
    assert response.status == 200
    assert (
        response.content_type == CONTENT_TYPE == "application/vnd.api+json; moochub-version=3.0.1"
    )
    assert ("Vary", "Accept") in response.headers


@pytest.mark.parametrize(
    "accept",
    [
        "application/vnd.api+json; moochub-version=2",
        "application/vnd.api+json; moochub-version=2.3",
        "application/vnd.api+json; moochub-version=4",
        "application/vnd.api+json; moochub-version=3.1",
    ],
)
def test_another_version_is_a_406_problem(catalog, accept: str) -> None:
    response = get(catalog[0], accept=accept)
    assert response.status == 406 and response.content_type == "application/problem+json"
    problem = json.loads(response.body)
    assert problem["title"] == "Unsupported requested version" and problem["status"] == 406
    assert "3.0.1" in problem["detail"]


def test_a_zero_quality_version_is_not_asked_for(catalog) -> None:
    accept = (
        "application/vnd.api+json; moochub-version=3; q=0, "
        "application/vnd.api+json; moochub-version=2"
    )
    assert get(catalog[0], accept=accept).status == 406


@pytest.mark.parametrize(
    ("args", "named"),
    [
        pytest.param({"page": ["0"]}, "page", id="page-zero"),
        pytest.param({"page": ["-1"]}, "page", id="negative"),
        pytest.param({"page": ["abc"]}, "page", id="not-a-number"),
        pytest.param({"page": ["1.5"]}, "page", id="fraction"),
        pytest.param({"page": [" 1"]}, "page", id="space"),
        pytest.param({"page": ["1", "2"]}, "page", id="repeated"),
        pytest.param({"page[number]": ["9" * 40]}, "page[number]", id="too-long"),
        pytest.param({"page[size]": ["0"]}, "page[size]", id="size-zero"),
        pytest.param({"page[size]": ["１０"]}, "page[size]", id="fullwidth-digits"),
        pytest.param({"page[number]": ["1"], "page": ["2"]}, "page", id="both-names"),
    ],
)
def test_a_bad_page_parameter_is_a_400_problem(catalog, args, named: str) -> None:
    response = get(catalog[0], args)
    assert response.status == 400 and response.content_type == "application/problem+json"
    problem = json.loads(response.body)
    assert problem["status"] == 400 and problem["title"] == "Bad page parameter"
    assert named in problem["detail"]


def test_withdrawn_and_unconsented_courses_are_not_published(catalog) -> None:
    engine, path = catalog
    before = [i["id"] for page in harvest(engine) for i in page["data"]]
    assert any(i.endswith(":HUSx+BIO1061") for i in before)
    sql(path, "UPDATE courses SET status = 'withdrawn' WHERE key = 'HUSx+BIO1061'")
    vnu_only = PublishSettings("mooc.vnu.edu.vn", BASE, "VNU", ("a@vnu.edu.vn",), ("vnu",))
    items = [i for page in harvest(engine, settings=vnu_only) for i in page["data"]]
    assert items and all(i["id"].startswith("oai:mooc.vnu.edu.vn:vnu-openedx:") for i in items)
    assert not any(i["id"].endswith(":HUSx+BIO1061") for i in items)
    nothing = PublishSettings("mooc.vnu.edu.vn", BASE, "VNU", ("a@vnu.edu.vn",), ())
    body = json.loads(get(engine, settings=nothing).body)
    assert body["data"] == [] and body["meta"]["totalItems"] == 0 and "next" not in body["links"]


PUBLISHERS = {"vnu": "Vietnam National University, Hanoi", "tsinghua": "Tsinghua University"}


def read_back(pages: list[dict[str, Any]]) -> dict[str, CourseRecord]:
    """The pages through our MOOChub connector's own page parser, by published id."""
    records: dict[str, CourseRecord] = {}
    for page in pages:
        data, _links = parse_envelope(page, f"{BASE}/moochub/courses", "peer")
        for item in map_items(data, base_url=BASE, feed_id="peer"):
            assert isinstance(item, CourseRecord), item
            records[item.key] = item
    return records


def test_our_moochub_connector_reads_the_same_courses_back(catalog) -> None:
    engine, path = catalog
    sql(
        path,
        "UPDATE courses SET is_free = 1, mode = 'online', credits = 3 WHERE key = 'HUSx+BIO1061'",
    )
    sql(path, "UPDATE courses SET effort = '4 giờ mỗi tuần' WHERE key = 'HUSx+BIO1061'")
    sql(
        path,
        "UPDATE course_runs SET price = '49.00', currency = 'USD' WHERE key LIKE '%HUSx+BIO1061%'",
    )
    records = read_back(harvest(engine, size=30))
    with engine.connect() as conn:
        documents = list(course_documents(conn, include_withdrawn=False))
    assert len(records) == len(documents) == 104
    for document in documents:
        record = records[published_identifier(SETTINGS.node_id, document.id)]
        assert record.title == document.title
        assert record.url == document.url and record.image_url == document.image_url
        assert record.language == document.language
        assert record.description == (sanitize_html(document.description) or None)
        assert record.subjects == tuple(dict.fromkeys(document.subjects))
        # the publisher is the institution, which a MOOChub harvester reads as the organisation
        assert record.organization == PUBLISHERS[document.institution]
        assert record.modified == document.modified
        assert record.is_free == document.is_free and record.credits == document.credits
        assert record.mode == document.mode and record.pacing == document.pacing
        starts = sorted({run.start for run in document.runs if run.start})
        assert sorted(run.start for run in record.runs if run.start) == starts
    edu = next(d for d in documents if d.key == "HUSx+BIO1061")
    back = records[published_identifier(SETTINGS.node_id, edu.id)]
    assert back.is_free is True and back.mode == "online" and back.credits == 3
    assert parse_effort(back.effort, "vi") == "4 giờ mỗi tuần"
    assert {(run.price, run.currency) for run in back.runs} == {("49.00", "USD")}


def test_meta_provenance_names_the_source_and_the_chain(catalog) -> None:
    engine, path = catalog
    # a feed URL with credentials and a query: neither is ever published
    sql(
        path,
        "UPDATE feeds SET base_url = 'https://bot:s3cret@courses.vnu.edu.vn/api?token=abc' "
        "WHERE id = 'vnu-openedx'",
    )
    chain = [
        {
            "base_url": "https://exchange.tsinghua.edu.cn/oai",
            "identifier": "oai:exchange.tsinghua.edu.cn:tsinghua-xuetangx:THU01",
            "datestamp": "2026-11-30T08:00:00+00:00",
            "harvested": "2026-12-01T09:30:00+00:00",
            "metadata_namespace": "http://www.openarchives.org/OAI/2.0/oai_dc/",
            "altered": True,
        },
        {
            "base_url": "https://www.xuetangx.com",
            "identifier": "THU01",
            "datestamp": None,
            "harvested": "2026-11-29T00:00:00+00:00",
            "metadata_namespace": "urn:mooc-exchange:source:xuetangx",
            "altered": True,
        },
    ]
    sql(path, "UPDATE courses SET provenance = ? WHERE key = 'HUSx+BIO1061'", json.dumps(chain))
    sql(path, "UPDATE courses SET provenance = NULL WHERE key = 'HUSx+CHE1080'")
    body = get(engine, {"page[size]": ["500"]}).body
    assert b"s3cret" not in body and b"token" not in body and b"bot@" not in body
    items = {i["id"].rsplit(":", 1)[1]: i for i in json.loads(body)["data"]}
    with engine.connect() as conn:
        original = next(d for d in course_documents(conn) if d.key == "HUSx+CHE1080")
    assert items["HUSx+CHE1080"]["meta"]["provenance"] == [
        {
            "baseURL": "https://courses.vnu.edu.vn/api",
            "identifier": "HUSx+CHE1080",
            "datestamp": (original.modified or original.updated_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "harvestDate": original.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "metadataNamespace": "urn:mooc-exchange:source:openedx",
        }
    ]
    assert items["HUSx+BIO1061"]["meta"]["provenance"] == [
        {
            "baseURL": "https://exchange.tsinghua.edu.cn/oai",
            "identifier": "oai:exchange.tsinghua.edu.cn:tsinghua-xuetangx:THU01",
            "datestamp": "2026-11-30T08:00:00Z",
            "harvestDate": "2026-12-01T09:30:00Z",
            "metadataNamespace": "http://www.openarchives.org/OAI/2.0/oai_dc/",
        },
        {
            "baseURL": "https://www.xuetangx.com",
            "identifier": "THU01",
            "datestamp": None,
            "harvestDate": "2026-11-29T00:00:00Z",
            "metadataNamespace": "urn:mooc-exchange:source:xuetangx",
        },
    ]


def test_a_course_without_url_or_with_hostile_text_is_still_a_valid_item(
    catalog, validator
) -> None:
    engine, path = catalog
    sql(
        path,
        "UPDATE courses SET url = 'javascript:alert(1)', image_url = NULL, "
        "description = '<p>Hi</p><script>alert(1)</script><img src=x onerror=alert(1)>' "
        "WHERE key = 'HUSx+BIO1061'",
    )
    body = json.loads(get(engine, {"page[size]": ["500"]}).body)
    assert not list(validator.iter_errors(body))
    item = next(i for i in body["data"] if i["id"].endswith(":HUSx+BIO1061"))
    identifier = item["id"]
    assert item["attributes"]["url"] == (
        f"{BASE}/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier="
        + identifier.replace(":", "%3A").replace("+", "%2B")
    )
    assert item["attributes"]["description"] == "<p>Hi</p>"
    assert "image" not in item["attributes"]


def test_identifiers_percent_encode_what_oai_local_identifiers_do_not_allow() -> None:
    assert published_identifier("n.org", "feed:a b#c%d") == "oai:n.org:feed:a%20b%23c%25d"
    assert (
        published_identifier("n.org", "vnu:course-v1:VNU+X_1") == "oai:n.org:vnu:course-v1:VNU+X_1"
    )
