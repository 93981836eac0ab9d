"""A small catalog to publish, and the tools to read what the OAI-PMH provider answers.

Two institutions: ``vnu`` (an Open edX feed whose configured URL holds credentials and a query,
which must never be published) is consented; ``hou`` (an OAI-PMH feed) is not. Courses are
ingested the way a sync writes them (:class:`Ingestor`), with a clock the test controls, so
datestamps are known. Every response is validated against the official OAI-PMH schema and,
for oai_dc records, the oai_dc schema (``tests/fixtures/xsd``, resolved locally).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import xmlschema
from lxml import etree
from sqlalchemy import Engine

from catalog.derive.policy import HarvestPolicy
from catalog.present.publish.oai_provider import EarliestCache, oai_response
from catalog.present.publish.settings import PublishSettings
from catalog.store import harvests, schema
from catalog.store.db import make_engine
from catalog.store.ingest import Ingestor
from connectors.records import CourseRecord, CourseRun, Page
from tests.conftest import FIXTURES

OAI = "{http://www.openarchives.org/OAI/2.0/}"
NS = {
    "o": "http://www.openarchives.org/OAI/2.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "lom": "http://ltsc.ieee.org/xsd/LOM",
    "p": "http://www.openarchives.org/OAI/2.0/provenance",
}
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 3, 9, 30, 15, 250_000, tzinfo=UTC)
NODE = "mooc.vnu.edu.vn"
XSD = FIXTURES / "xsd"
_SCHEMAS: dict[str, xmlschema.XMLSchema] = {}


def settings(**changes: Any) -> PublishSettings:
    base = PublishSettings(
        node_id=NODE,
        base_url="https://mooc.vnu.edu.vn/exchange",
        repository_name="VNU course exchange",
        admin_emails=("oai@vnu.edu.vn",),
        institutions=("vnu",),
        page_size=3,
        token_key=b"node-a-key",
    )
    return replace(base, **changes)


def new_catalog(url: str) -> Engine:
    engine = make_engine(url)
    schema.upgrade(engine)
    harvests.register(
        engine,
        [
            harvests.InstitutionInfo(
                "vnu",
                {"vi": "Đại học Quốc gia Hà Nội", "en": "Vietnam National University, Hanoi"},
                "VN",
                "Asia/Ho_Chi_Minh",
            ),
            harvests.InstitutionInfo("hou", {"vi": "Trường Đại học Mở Hà Nội"}, "VN", "UTC"),
        ],
        [
            harvests.FeedInfo(
                "vnu", "vnu", "openedx", "https://svc:s3cret@courses.vnu.edu.vn/api?key=abc"
            ),
            harvests.FeedInfo("hou", "hou", "oaipmh", "https://oai.hou.edu.vn/oai"),
        ],
    )
    return engine


def course(key: str, **changes: Any) -> CourseRecord:
    base = CourseRecord(
        key=key,
        title=f"Khoá học {key}",
        runs=(CourseRun(key=f"{key}+2026_T1", start=T0, pacing="instructor"),),
        description="<p>Giới thiệu <b>lập trình</b> cơ bản.</p><script>alert(1)</script>",
        language="vi",
        organization="UETx",
        subjects=("Computer Science",),
        url=f"https://courses.vnu.edu.vn/courses/{key}/about",
        is_free=True,
        effort="20 hours",
        level="Introductory",
    )
    return replace(base, **changes)


def harvest(engine: Engine, feed: str, items: Iterable[Any], at: datetime) -> None:
    """One complete sync of ``feed`` that writes ``items``, its clock at ``at``."""
    run_id = harvests.start_run(engine, feed)
    policy = HarvestPolicy(max_withdraw_fraction=1.0)  # a test's withdrawals are meant
    ingestor = Ingestor(engine, feed, run_id, policy=policy, now=lambda: at)
    page = Page(items=tuple(items), cursor=None, url=f"https://x/{feed}", number=1, last=True)
    ingestor.apply(page)


def ask(engine: Engine, publish: PublishSettings, now: datetime = NOW, **args: Any) -> bytes:
    """The provider's answer to ``args`` (a list value is a repeated argument), validated."""
    multi = {k: v if isinstance(v, list) else [v] for k, v in args.items()}
    with engine.connect() as conn:
        response = oai_response(conn, publish, multi, now=now, earliest=EarliestCache())
    assert response.status == 200 and response.content_type == "text/xml; charset=utf-8"
    validate(response.body)
    return response.body


def validate(body: bytes) -> etree._Element:
    """``body`` against OAI-PMH.xsd, and each oai_dc record against oai_dc.xsd."""
    root = etree.fromstring(body)
    _schema("OAI-PMH.xsd").validate(root)
    for dc in root.iterfind(".//oai_dc:dc", NS):
        _schema("oai_dc.xsd").validate(dc)
        assert not any(k.endswith("}type") for e in dc.iter() for k in e.attrib), "xsi:type"
    return root


def _schema(name: str) -> xmlschema.XMLSchema:
    if name not in _SCHEMAS:
        _SCHEMAS[name] = xmlschema.XMLSchema(str(XSD / name))
    return _SCHEMAS[name]


def errors(body: bytes) -> list[str]:
    return [e.get("code") or "" for e in etree.fromstring(body).iterfind("o:error", NS)]


def request_attributes(body: bytes) -> dict[str, str]:
    return dict(etree.fromstring(body).find("o:request", NS).attrib)


def identifiers(body: bytes) -> list[str]:
    return [e.text or "" for e in etree.fromstring(body).iterfind(".//o:header/o:identifier", NS)]


def token(body: bytes) -> etree._Element | None:
    return etree.fromstring(body).find(".//o:resumptionToken", NS)


def harvest_all(
    engine: Engine, publish: PublishSettings, verb: str = "ListRecords", **args: Any
) -> Iterator[bytes]:
    """Every page of a listing, following its tokens."""
    body = ask(engine, publish, verb=verb, metadataPrefix="oai_dc", **args)
    yield body
    found = token(body)
    while found is not None and found.text:
        body = ask(engine, publish, verb=verb, resumptionToken=found.text)
        yield body
        found = token(body)


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)
