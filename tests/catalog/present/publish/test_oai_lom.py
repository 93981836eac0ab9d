"""What the node publishes maps back through our own harvester: oai_dc and LOM records read by
``connectors.oaipmh_mapping.parse_list_records`` give the fields the catalog holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Engine

from catalog.present.publish.oai_ids import oai_identifier
from catalog.present.site.safety import sanitize_description
from connectors.oaipmh_mapping import parse_list_records
from connectors.records import CourseRecord
from tests.catalog.present.publish.oai_catalog import (
    NODE,
    NS,
    ask,
    course,
    harvest,
    minutes,
    new_catalog,
    settings,
)

SOURCE = [
    course("UETx+INT1001"),
    course(
        "THU+DS",
        title="数据结构",
        language="zh",
        description="<p>栈、队列、树 &amp; 图。</p>",
        organization="Tsinghua University, Dept. of CS",
        subjects=("Computer Science", "算法"),
        is_free=False,
        effort="4 giờ mỗi tuần",
        level="Advanced",
    ),
    course(
        "UETx+MIN", description=None, subjects=(), is_free=None, effort=None, level=None, url=None
    ),
]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    path: Path = tmp_path_factory.mktemp("lom") / "catalog.db"
    engine = new_catalog(f"sqlite:///{path}")
    harvest(engine, "vnu", SOURCE, minutes(0))
    yield engine
    engine.dispose()


def _harvested(body: bytes) -> dict[str, CourseRecord]:
    response = parse_list_records(body)
    assert response.errors == ()
    found = {}
    for item in response.items:
        assert isinstance(item, CourseRecord), item
        found[item.key] = item
    return found


@pytest.mark.parametrize("prefix", ["lom", "oai_dc"])
def test_published_records_map_back_to_the_same_fields(catalog: Engine, prefix: str) -> None:
    body = ask(catalog, settings(page_size=10), verb="ListRecords", metadataPrefix=prefix)
    harvested = _harvested(body)
    assert set(harvested) == {oai_identifier(NODE, "vnu", r.key) for r in SOURCE}
    for source in SOURCE:
        got = harvested[oai_identifier(NODE, "vnu", source.key)]
        assert got.title == source.title
        assert got.language == source.language
        assert got.url == source.url
        assert got.organization == source.organization
        assert set(source.subjects) <= set(got.subjects)
        if source.description:
            assert got.description == sanitize_description(source.description)[1]
            assert "<" not in got.description and "alert" not in got.description
        else:
            assert got.description is None
        if prefix == "lom":
            assert got.is_free == source.is_free
    lom = _harvested(ask(catalog, settings(page_size=10), verb="ListRecords", metadataPrefix="lom"))
    assert lom[oai_identifier(NODE, "vnu", "UETx+INT1001")].effort == "20 hours"
    # ISCED fields come back as subjects, in English, from the classification.
    assert (
        "Information and Communication Technologies"
        in lom[oai_identifier(NODE, "vnu", "THU+DS")].subjects
    )


def test_lom_structure(catalog: Engine) -> None:
    identifier = oai_identifier(NODE, "vnu", "THU+DS")
    body = ask(catalog, settings(), verb="GetRecord", identifier=identifier, metadataPrefix="lom")
    lom = etree.fromstring(body).find(".//lom:lom", NS)
    assert lom.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == (
        "http://ltsc.ieee.org/xsd/LOM http://ltsc.ieee.org/xsd/lomv1.0/lom.xsd"
    )
    assert [child.tag.split("}")[1] for child in lom] == [
        "general",
        "lifeCycle",
        "technical",
        "educational",
        "rights",
        "classification",
    ]
    entries = [e.text for e in lom.iterfind("lom:general/lom:identifier/lom:entry", NS)]
    assert entries == ["https://courses.vnu.edu.vn/courses/THU+DS/about", identifier]
    assert lom.findtext("lom:general/lom:title/lom:string", namespaces=NS) == "数据结构"
    assert lom.find("lom:general/lom:title/lom:string", NS).get("language") == "zh"
    vcard = lom.findtext("lom:lifeCycle/lom:contribute/lom:entity", namespaces=NS)
    assert "ORG:Tsinghua University\\, Dept. of CS" in vcard
    educational = lom.find("lom:educational", NS)
    values = [v.text for v in educational.iterfind("*/lom:value", NS)]
    assert values == ["learner", "higher education", "difficult"]
    assert educational.findtext(".//lom:description/lom:string", namespaces=NS) == "4 giờ mỗi tuần"
    assert lom.findtext("lom:rights/lom:cost/lom:value", namespaces=NS) == "yes"
    taxon = lom.find("lom:classification/lom:taxonPath/lom:taxon", NS)
    assert taxon.findtext("lom:id", namespaces=NS) == "06"
    assert lom.findtext("lom:classification/lom:purpose/lom:value", namespaces=NS) == "discipline"


def test_a_minimal_course_still_makes_a_valid_record(catalog: Engine) -> None:
    identifier = oai_identifier(NODE, "vnu", "UETx+MIN")
    for prefix in ("lom", "oai_dc"):
        body = ask(
            catalog, settings(), verb="GetRecord", identifier=identifier, metadataPrefix=prefix
        )
        assert b"<rights" not in body and b"<dc:rights" not in body
        assert b"<technical>" not in body
