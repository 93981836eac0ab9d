"""Standard harvesters read the provider: Sickle (over ``requests``, answered by the provider
through ``responses``, GET and POST) across resumption tokens, and pyoai's client (through its
``ServerClient`` seam) for Identify, ListRecords, ListSets and GetRecord."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import oaipmh.client
import pytest
import responses
from lxml import etree
from oaipmh.client import ServerClient
from oaipmh.metadata import MetadataRegistry, oai_dc_reader
from sickle import Sickle
from sqlalchemy import Engine

from catalog.present.publish.oai_provider import EarliestCache, oai_response
from connectors.records import Withdrawn
from tests.catalog.present.publish.oai_catalog import (
    NODE,
    NOW,
    course,
    harvest,
    minutes,
    new_catalog,
    settings,
    validate,
)

KEYS = [f"UETx+K{i:02d}" for i in range(10)]


@pytest.fixture
def catalog(tmp_path: Path) -> Engine:
    engine = new_catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    harvest(engine, "vnu", [course(k) for k in [*KEYS, "UETx+GONE"]], minutes(0))
    harvest(engine, "vnu", [*(course(k) for k in KEYS), Withdrawn("UETx+GONE")], minutes(1))
    yield engine
    engine.dispose()


def _answer(engine: Engine, args: dict[str, list[str]]) -> bytes:
    with engine.connect() as conn:
        body = oai_response(conn, settings(), args, now=NOW, earliest=EarliestCache()).body
    validate(body)
    return body


@responses.activate
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sickle_harvests_every_course_once_across_tokens(catalog: Engine, method: str) -> None:
    url = settings().oai_url

    def callback(request):
        if request.method == "POST":
            args = parse_qs(request.body, keep_blank_values=True)
        else:
            args = parse_qs(urlsplit(request.url).query, keep_blank_values=True)
        return 200, {"Content-Type": "text/xml; charset=utf-8"}, _answer(catalog, args)

    responses.add_callback(method, url, callback=callback)
    sickle = Sickle(url, http_method=method)
    records = list(sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))
    identifiers = [r.header.identifier for r in records]
    assert len(identifiers) == len(set(identifiers)) == 11
    deleted = [r.header.identifier for r in records if r.header.deleted]
    assert deleted == [f"oai:{NODE}:vnu:UETx+GONE"]
    live = next(r for r in records if not r.header.deleted)
    assert live.metadata["title"][0].startswith("Khoá học UETx+K")
    sets = [s.setSpec for s in sickle.ListSets()]
    assert "institution:vnu" in sets and "isced:06" in sets
    one = sickle.GetRecord(identifier=f"oai:{NODE}:vnu:UETx+K03", metadataPrefix="oai_dc")
    assert one.metadata["identifier"][0] == "https://courses.vnu.edu.vn/courses/UETx+K03/about"


class _Server:
    """pyoai's ServerClient seam: keyword arguments in, response bytes out."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def handleRequest(self, kw: dict[str, str]) -> bytes:
        return _answer(self.engine, {k: [v] for k, v in kw.items()})


class _Evaluator:
    """pyoai 2.5 calls ``XPathEvaluator(...).evaluate``, which lxml 5 no longer has (it is the
    evaluator's call): the shim gives it back, for this test only."""

    def __init__(self, node, namespaces=None, **kw) -> None:
        self.evaluate = _XPATH_EVALUATOR(node, namespaces=namespaces, **kw)


_XPATH_EVALUATOR = etree.XPathEvaluator


def test_pyoai_reads_identify_and_list_records(catalog: Engine, monkeypatch) -> None:
    monkeypatch.setattr(oaipmh.client.etree, "XPathEvaluator", _Evaluator)
    registry = MetadataRegistry()
    registry.registerReader("oai_dc", oai_dc_reader)
    client = ServerClient(_Server(catalog), registry)
    identify = client.identify()
    assert identify.baseURL() == settings().oai_url
    assert identify.earliestDatestamp() == datetime(2026, 3, 2, 8, 0)
    assert identify.deletedRecord() == "persistent"
    records = list(client.listRecords(metadataPrefix="oai_dc"))
    assert len(records) == 11
    live = [(h, m) for h, m, _about in records if not h.isDeleted()]
    assert len(live) == 10
    assert live[0][1].getField("language") == ["vi"]
    since = list(client.listIdentifiers(metadataPrefix="oai_dc", from_=datetime(2026, 3, 2, 8, 1)))
    assert [h.identifier() for h in since] == [f"oai:{NODE}:vnu:UETx+GONE"]
