"""The OAI-PMH provider's verbs, from the harvester's side: each response valid against the
official schemas, the records what the catalog holds, nothing private published."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Engine

from catalog.present.publish.oai_ids import oai_identifier
from catalog.present.publish.oai_provider import EarliestCache
from catalog.present.publish.selection import earliest
from connectors.records import Origin, Withdrawn
from tests.catalog.present.publish.oai_catalog import (
    NODE,
    NOW,
    NS,
    ask,
    course,
    errors,
    harvest,
    identifiers,
    minutes,
    new_catalog,
    request_attributes,
    settings,
)

AI = f"oai:{NODE}:vnu:UETx+INT1001"


@pytest.fixture
def catalog(tmp_path: Path) -> Engine:
    engine = new_catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    first = [
        course("UETx+INT1001"),
        course("UETx+MAT1041", subjects=("Mathematics",), is_free=False),
        course("UETx+OLD", title="Khoá cũ"),
    ]
    harvest(engine, "vnu", first, minutes(0))
    harvest(engine, "vnu", [*first[:2], Withdrawn("UETx+OLD")], minutes(10))
    harvest(engine, "hou", [course("oai:hou.edu.vn:42", title="Kinh tế học")], minutes(1))
    yield engine
    engine.dispose()


def test_identify_states_the_repository_and_its_earliest_datestamp(catalog: Engine) -> None:
    root = etree.fromstring(ask(catalog, settings(), verb="Identify"))
    body = root.find("o:Identify", NS)
    text = {child.tag.split("}")[1]: child.text for child in body}
    assert text["repositoryName"] == "VNU course exchange"
    assert text["baseURL"] == "https://mooc.vnu.edu.vn/exchange/oai"
    assert text["protocolVersion"] == "2.0" and text["adminEmail"] == "oai@vnu.edu.vn"
    assert text["earliestDatestamp"] == "2026-03-02T08:00:00Z"
    assert text["deletedRecord"] == "persistent"
    assert text["granularity"] == "YYYY-MM-DDThh:mm:ssZ"
    ident = "{http://www.openarchives.org/OAI/2.0/oai-identifier}"
    assert body.findtext(f".//{ident}repositoryIdentifier") == NODE
    assert body.findtext(f".//{ident}delimiter") == ":"
    assert body.findtext(f".//{ident}sampleIdentifier").startswith(f"oai:{NODE}:")
    assert root.findtext("o:responseDate", namespaces=NS) == "2026-12-03T09:30:15Z"
    assert root.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == (
        "http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
    )


def test_earliest_datestamp_is_computed_once_per_ttl(catalog: Engine, monkeypatch) -> None:
    calls: list[int] = []

    def counted(conn, publish):
        calls.append(1)
        return earliest(conn, publish)

    monkeypatch.setattr("catalog.present.publish.selection.earliest", counted)
    cache = EarliestCache(ttl=timedelta(minutes=5))
    with catalog.connect() as conn:
        for seconds in (0, 60, 299):
            assert cache.get(conn, settings(), NOW + timedelta(seconds=seconds)) == minutes(0)
        assert len(calls) == 1
        cache.get(conn, settings(), NOW + timedelta(minutes=5))
        assert len(calls) == 2
        cache.get(conn, settings(institutions=("hou",)), NOW + timedelta(minutes=5))
        assert len(calls) == 3  # another consent is another value


def test_identify_of_an_empty_repository_gives_now_as_earliest(tmp_path: Path) -> None:
    engine = new_catalog(f"sqlite:///{tmp_path / 'empty.db'}")
    body = ask(engine, settings(), verb="Identify")
    assert b"<earliestDatestamp>2026-12-03T09:30:15Z<" in body
    # No institution published: the hierarchy is still there (never noSetHierarchy).
    sets = etree.fromstring(ask(engine, settings(institutions=()), verb="ListSets"))
    assert [s.text for s in sets.iterfind(".//o:setSpec", NS)] == ["institution", "isced"]
    assert errors(ask(engine, settings(), verb="ListRecords", metadataPrefix="oai_dc")) == [
        "noRecordsMatch"
    ]


def test_list_metadata_formats_with_and_without_identifier(catalog: Engine) -> None:
    for args in ({}, {"identifier": AI}):
        root = etree.fromstring(ask(catalog, settings(), verb="ListMetadataFormats", **args))
        formats = {
            f.findtext("o:metadataPrefix", namespaces=NS): f.findtext(
                "o:metadataNamespace", namespaces=NS
            )
            for f in root.iterfind(".//o:metadataFormat", NS)
        }
        assert formats == {
            "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
            "lom": "http://ltsc.ieee.org/xsd/LOM",
        }
    unknown = ask(catalog, settings(), verb="ListMetadataFormats", identifier=f"oai:{NODE}:x:y")
    assert errors(unknown) == ["idDoesNotExist"]


def test_list_sets_names_consented_institutions_and_published_fields(catalog: Engine) -> None:
    root = etree.fromstring(ask(catalog, settings(), verb="ListSets"))
    found = {
        s.findtext("o:setSpec", namespaces=NS): s.findtext("o:setName", namespaces=NS)
        for s in root.iterfind(".//o:set", NS)
    }
    assert found == {
        "institution": "Institutions",
        "institution:vnu": "Vietnam National University, Hanoi",
        "isced": "Fields of education (ISCED-F 2013)",
        "isced:05": "Natural sciences, mathematics and statistics",
        "isced:06": "Information and Communication Technologies",
    }  # hou is not consented: not a set, not a field
    token = ask(catalog, settings(), verb="ListSets", resumptionToken="abc")
    assert errors(token) == ["badResumptionToken"]


def test_get_record_in_oai_dc(catalog: Engine) -> None:
    body = ask(catalog, settings(), verb="GetRecord", identifier=AI, metadataPrefix="oai_dc")
    assert request_attributes(body) == {
        "verb": "GetRecord",
        "identifier": AI,
        "metadataPrefix": "oai_dc",
    }
    root = etree.fromstring(body)
    header = root.find(".//o:header", NS)
    assert header.findtext("o:identifier", namespaces=NS) == AI
    assert header.findtext("o:datestamp", namespaces=NS) == "2026-03-02T08:00:00Z"
    assert [s.text for s in header.iterfind("o:setSpec", NS)] == ["institution:vnu", "isced:06"]
    dc = {}
    for element in root.find(".//oai_dc:dc", NS):
        dc.setdefault(element.tag.split("}")[1], []).append(element.text)
    assert dc == {
        "title": ["Khoá học UETx+INT1001"],
        "creator": ["UETx"],
        "subject": ["Computer Science", "Information and Communication Technologies"],
        "description": ["Giới thiệu lập trình cơ bản."],  # HTML and script gone
        "publisher": ["UETx"],
        "date": ["2026-03-02T08:00:00Z"],
        "type": ["Course"],
        "identifier": ["https://courses.vnu.edu.vn/courses/UETx+INT1001/about", AI],
        "language": ["vi"],
        "rights": ["free"],
    }
    paid = ask(
        catalog,
        settings(),
        verb="GetRecord",
        identifier=f"oai:{NODE}:vnu:UETx+MAT1041",
        metadataPrefix="oai_dc",
    )
    assert b"<dc:rights>paid</dc:rights>" in paid


def test_creator_is_never_empty(catalog: Engine) -> None:
    harvest(catalog, "vnu", [course("UETx+INT1001", organization=None)], minutes(20))
    # (the others were not in that full sync: withdrawn, still published as deleted)
    body = ask(catalog, settings(), verb="GetRecord", identifier=AI, metadataPrefix="oai_dc")
    assert b"<dc:creator>Vietnam National University, Hanoi</dc:creator>" in body
    assert b"<dc:publisher>" not in body


def test_withdrawn_course_is_a_deleted_header_stamped_with_its_withdrawal(catalog: Engine) -> None:
    identifier = f"oai:{NODE}:vnu:UETx+OLD"
    for prefix in ("oai_dc", "lom"):
        body = ask(
            catalog, settings(), verb="GetRecord", identifier=identifier, metadataPrefix=prefix
        )
        record = etree.fromstring(body).find(".//o:record", NS)
        header = record.find("o:header", NS)
        assert header.get("status") == "deleted"
        assert header.findtext("o:datestamp", namespaces=NS) == "2026-03-02T08:10:00Z"
        assert record.find("o:metadata", NS) is None and record.find("o:about", NS) is None
    listed = ask(catalog, settings(), verb="ListIdentifiers", metadataPrefix="oai_dc")
    deleted = etree.fromstring(listed).findall(".//o:header[@status='deleted']", NS)
    assert [h.findtext("o:identifier", namespaces=NS) for h in deleted] == [identifier]


@pytest.mark.parametrize(
    "identifier",
    [
        "oai:hou.edu.vn:42",  # another repository's namespace
        "oai:other.example.org:vnu:UETx+INT1001",
        f"oai:{NODE}:vnu:UETx+NOPE",  # unknown
        f"oai:{NODE}:hou:oai:hou.edu.vn:42",  # a course of an institution not consented
        f"oai:{NODE}:nocolon",
        f"oai:{NODE}:vnu:%FF%FE",  # escapes that are not UTF-8
        "http://courses.vnu.edu.vn/x",
    ],
)
def test_get_record_of_anything_not_published_is_id_does_not_exist(
    catalog: Engine, identifier: str
) -> None:
    body = ask(catalog, settings(), verb="GetRecord", identifier=identifier, metadataPrefix="lom")
    assert errors(body) == ["idDoesNotExist"]
    assert request_attributes(body)["identifier"] == identifier  # well-formed: echoed


def test_get_record_with_an_unknown_format(catalog: Engine) -> None:
    body = ask(catalog, settings(), verb="GetRecord", identifier=AI, metadataPrefix="marc21")
    assert errors(body) == ["cannotDisseminateFormat"]
    both = ask(catalog, settings(), verb="GetRecord", identifier="oai:x.org:1", metadataPrefix="x")
    assert sorted(errors(both)) == ["cannotDisseminateFormat", "idDoesNotExist"]


def test_identifiers_percent_encode_what_the_alphabet_lacks(tmp_path: Path) -> None:
    engine = new_catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    keys = ["数据结构", 'a b<c>"d', "100%", "x#y"]
    harvest(engine, "vnu", [course(k) for k in keys], minutes(0))
    listed = identifiers(
        ask(engine, settings(page_size=10), verb="ListIdentifiers", metadataPrefix="lom")
    )
    assert sorted(listed) == sorted(oai_identifier(NODE, "vnu", k) for k in keys)
    assert (
        oai_identifier(NODE, "vnu", "数据结构")
        == f"oai:{NODE}:vnu:%E6%95%B0%E6%8D%AE%E7%BB%93%E6%9E%84"
    )
    assert oai_identifier(NODE, "vnu", "a b<c>") == f"oai:{NODE}:vnu:a%20b%3Cc%3E"
    for key, identifier in zip(keys, [oai_identifier(NODE, "vnu", k) for k in keys], strict=True):
        body = ask(
            engine, settings(), verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc"
        )
        assert errors(body) == [], key
        assert f"Khoá học {key}".encode() in body.replace(b"&lt;", b"<").replace(
            b"&gt;", b">"
        ).replace(b"&quot;", b'"')


def test_provenance_of_a_course_harvested_from_its_source(catalog: Engine) -> None:
    body = ask(catalog, settings(), verb="GetRecord", identifier=AI, metadataPrefix="oai_dc")
    assert b"s3cret" not in body and b"key=abc" not in body and b"svc" not in body
    origins = etree.fromstring(body).findall(".//p:originDescription", NS)
    assert len(origins) == 1
    origin = origins[0]
    assert origin.get("harvestDate") == "2026-03-02T08:00:00Z" and origin.get("altered") == "true"
    assert [child.text for child in origin] == [
        "https://courses.vnu.edu.vn/api",
        "UETx+INT1001",
        "2026-03-02T08:00:00Z",
        "urn:mooc-exchange:source:openedx",
    ]


def test_provenance_of_a_course_from_another_node_is_its_chain_nested(catalog: Engine) -> None:
    hops = (
        Origin(
            "https://node-b.example.org/oai",
            "oai:node-b.example.org:hou:oai:hou.edu.vn:42",
            minutes(-30),
            minutes(-5),
            "http://www.openarchives.org/OAI/2.0/oai_dc/",
            True,
        ),
        Origin(
            "https://oai.hou.edu.vn/oai",
            "oai:hou.edu.vn:42",
            minutes(-600),
            minutes(-30),
            "http://ltsc.ieee.org/xsd/LOM",
            False,
        ),
    )
    harvest(catalog, "vnu", [course("UETx+INT1001"), course("B+42", provenance=hops)], minutes(30))
    body = ask(
        catalog,
        settings(),
        verb="GetRecord",
        identifier=f"oai:{NODE}:vnu:B+42",
        metadataPrefix="lom",
    )
    container = etree.fromstring(body).find(".//p:provenance", NS)
    outer = container.find("p:originDescription", NS)
    inner = outer.find("p:originDescription", NS)
    assert inner.find("p:originDescription", NS) is None
    assert len(container.findall("p:originDescription", NS)) == 1
    assert outer.findtext("p:baseURL", namespaces=NS) == "https://node-b.example.org/oai"
    assert outer.findtext("p:identifier", namespaces=NS) == hops[0].identifier
    # The nearest hop's harvest is when this node stored the version it holds (its updated_at):
    # the ingest keeps no harvest time of its own for it (it would change every harvest).
    assert outer.get("harvestDate") == "2026-03-02T08:30:00Z" and outer.get("altered") == "true"
    assert outer.findtext("p:datestamp", namespaces=NS) == "2026-03-02T07:30:00Z"
    assert inner.findtext("p:baseURL", namespaces=NS) == "https://oai.hou.edu.vn/oai"
    assert inner.findtext("p:metadataNamespace", namespaces=NS) == "http://ltsc.ieee.org/xsd/LOM"
    assert inner.get("altered") == "false" and inner.get("harvestDate") == "2026-03-02T07:30:00Z"


def test_nothing_private_is_published(catalog: Engine) -> None:
    bodies = [
        ask(catalog, settings(page_size=50), verb=verb, metadataPrefix=prefix)
        for verb in ("ListRecords", "ListIdentifiers")
        for prefix in ("oai_dc", "lom")
    ]
    for body in bodies:
        assert b"s3cret" not in body and b"key=abc" not in body
        assert b"<script" not in body and b"alert" not in body
        assert b"Kinh t" not in body  # hou is not consented
