"""The protocols through a real `moocx web` on loopback, read by real clients: Sickle and pyoai
harvest `/oai` (every published course exactly once, across resumption tokens, by set, by
GET and POST), responses valid against the OAI-PMH and oai_dc schemas; `requests` walks the
MOOChub pages; feedparser reads an audience's Atom feed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

import pytest
import requests
import sickle
import xmlschema
from lxml import etree
from sqlalchemy import select

from catalog.store import tables
from tests.scheduler.web.conftest import NODE_ID, Node

FIXTURES = Path(__file__).parents[2] / "fixtures"
PREFIX = f"oai:{NODE_ID}:"
OAI = "http://www.openarchives.org/OAI/2.0/"
DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
MOOCHUB = "application/vnd.api+json; moochub-version=3"
PAGE = 10  # the smallest page [publish] allows: the demo's courses take many pages


def catalog_courses(node: Node, *institutions: str) -> set[str]:
    """The course ids (feed:key) of the institutions, as the catalog holds them."""
    f, c = tables.feeds.c, tables.courses.c
    with node.engine.connect() as conn:
        rows = conn.execute(
            select(c.feed_id, c.key)
            .join(tables.feeds, f.id == c.feed_id)
            .where(f.institution_id.in_(institutions))
        ).all()
    return {f"{feed}:{key}" for feed, key in rows}


def course_of(identifier: str) -> str:
    assert identifier.startswith(PREFIX), identifier
    return unquote(identifier.removeprefix(PREFIX))


@pytest.fixture
def small_pages(start_node: Callable[..., Node]) -> Node:
    return start_node(page_size=PAGE)


def test_sickle_harvests_every_published_course_once_across_tokens(small_pages: Node) -> None:
    node = small_pages
    client = sickle.Sickle(f"{node.url}/oai", max_retries=0)
    records = list(client.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))
    ids = [r.header.identifier for r in records]
    assert len(ids) == len(set(ids)), "a record repeated within one harvest"
    expected = catalog_courses(node, "vnu", "tsinghua")
    assert len(expected) > 3 * PAGE  # several resumption tokens were followed
    assert {course_of(i) for i in ids} == expected
    live = [r for r in records if not r.header.deleted]
    assert all(r.metadata.get("title") for r in live)

    over_post = sickle.Sickle(f"{node.url}/oai", http_method="POST", max_retries=0)
    posted = [h.identifier for h in over_post.ListIdentifiers(metadataPrefix="oai_dc")]
    assert sorted(posted) == sorted(ids)


def test_sickle_lists_sets_and_harvests_one_institution(small_pages: Node) -> None:
    node = small_pages
    client = sickle.Sickle(f"{node.url}/oai", max_retries=0)
    specs = {s.setSpec for s in client.ListSets()}
    assert {"institution", "institution:vnu", "institution:tsinghua"} <= specs
    assert any(spec.startswith("isced:") for spec in specs)
    vnu = [
        h.identifier for h in client.ListIdentifiers(metadataPrefix="oai_dc", set="institution:vnu")
    ]
    assert {course_of(i) for i in vnu} == catalog_courses(node, "vnu")
    assert len(vnu) == len(set(vnu))


def test_sickle_gets_one_record(node: Node) -> None:
    client = sickle.Sickle(f"{node.url}/oai", max_retries=0)
    course = sorted(catalog_courses(node, "tsinghua"))[0]
    first = next(iter(client.ListIdentifiers(metadataPrefix="oai_dc", set="institution:tsinghua")))
    record = client.GetRecord(identifier=first.identifier, metadataPrefix="oai_dc")
    assert record.header.identifier == first.identifier
    assert course_of(record.header.identifier) in catalog_courses(node, "tsinghua")
    assert record.metadata["title"]
    assert course  # the catalog has Tsinghua courses to publish


class _Evaluator:
    """lxml's ``XPathEvaluator`` with the ``evaluate`` method lxml 6 removed and pyoai 2.5
    still calls (the evaluator itself is callable with the same arguments)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._evaluate = etree.XPathEvaluator(*args, **kwargs)

    def evaluate(self, path: str, **variables: Any) -> Any:
        return self._evaluate(path, **variables)

    __call__ = evaluate


@pytest.fixture
def pyoai(monkeypatch: pytest.MonkeyPatch) -> Any:
    """pyoai's client, on the lxml installed (a shim of the one call lxml 6 dropped)."""
    import oaipmh.client
    import oaipmh.metadata

    shim = SimpleNamespace(**{**vars(etree), "XPathEvaluator": _Evaluator})
    monkeypatch.setattr(oaipmh.client, "etree", shim)
    monkeypatch.setattr(oaipmh.metadata, "etree", shim)
    return oaipmh


def test_pyoai_reads_identify_and_lists_records(small_pages: Node, pyoai: Any) -> None:
    from oaipmh.client import Client
    from oaipmh.metadata import MetadataRegistry, oai_dc_reader

    node = small_pages
    registry = MetadataRegistry()
    registry.registerReader("oai_dc", oai_dc_reader)
    client = Client(f"{node.url}/oai", registry)
    identify = client.identify()
    assert identify.repositoryName() == "VNU course exchange (test)"
    assert identify.baseURL() == f"{node.url}/oai"
    assert identify.protocolVersion() == "2.0"
    assert identify.adminEmails() == ["exchange@vnu.test"]
    assert identify.deletedRecord() == "persistent"
    records = list(client.listRecords(metadataPrefix="oai_dc"))
    ids = [header.identifier() for header, _metadata, _about in records]
    assert len(ids) == len(set(ids))
    assert {course_of(i) for i in ids} == catalog_courses(node, "vnu", "tsinghua")
    for header, metadata, _about in records:
        if not header.isDeleted():
            assert metadata.getField("title")


def validate(body: bytes) -> etree._Element:
    xsd = FIXTURES / "xsd"
    root = etree.fromstring(body)
    xmlschema.XMLSchema(str(xsd / "OAI-PMH.xsd")).validate(root)
    dc_schema = xmlschema.XMLSchema(str(xsd / "oai_dc.xsd"))
    for dc in root.iter(f"{{{DC}}}dc"):
        dc_schema.validate(dc)
    return root


def test_served_responses_validate_against_the_oai_pmh_schema(small_pages: Node) -> None:
    node = small_pages
    url = f"{node.url}/oai"
    page = requests.get(url, params={"verb": "ListRecords", "metadataPrefix": "oai_dc"}, timeout=10)
    assert page.headers["Content-Type"].startswith("text/xml")
    root = validate(page.content)
    token = root.find(f".//{{{OAI}}}resumptionToken")
    assert token is not None and token.text
    assert int(token.get("completeListSize")) == len(catalog_courses(node, "vnu", "tsinghua"))
    for args in (
        {"verb": "Identify"},
        {"verb": "ListSets"},
        {"verb": "ListMetadataFormats"},
        {"verb": "ListRecords", "resumptionToken": token.text},
        {"verb": "nonsense"},
        {"verb": "GetRecord", "identifier": 'invalid"id', "metadataPrefix": "oai_dc"},
        {"verb": "ListRecords", "resumptionToken": token.text[:-2] + "xx"},
    ):
        response = requests.post(url, data=args, timeout=10)
        assert response.status_code == 200, args
        validate(response.content)
    tampered = requests.get(
        url, params={"verb": "ListRecords", "resumptionToken": "junk"}, timeout=10
    )
    codes = [e.get("code") for e in etree.fromstring(tampered.content).iter(f"{{{OAI}}}error")]
    assert codes == ["badResumptionToken"]


def test_oai_answers_while_a_sync_holds_the_write_lock(node: Node) -> None:
    from sqlalchemy import update

    from catalog.store.db import make_engine

    writer = make_engine(node.catalog_url, busy_timeout_ms=2000)
    with writer.begin() as conn:
        conn.execute(update(tables.feeds).values(needs_review=False))
        response = requests.get(
            f"{node.url}/oai",
            params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"},
            timeout=5,
        )
        assert response.status_code == 200
        assert b"<header" in response.content
    writer.dispose()


def moochub_validator():
    import jsonschema

    path = FIXTURES / "publish" / "moochub-schema.v3.json"  # the official schema, shipped
    return jsonschema.Draft202012Validator(json.loads(path.read_text(encoding="utf-8")))


def test_requests_walks_the_moochub_pages(node: Node) -> None:
    validator = moochub_validator()
    url: str | None = f"{node.url}/moochub/courses?page[size]=7"
    seen: list[str] = []
    pages = 0
    while url:
        response = requests.get(
            url, headers={"Accept": MOOCHUB, "Origin": "https://x.example"}, timeout=10
        )
        assert response.status_code == 200
        assert "moochub-version=3" in response.headers["Content-Type"]
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        body = response.json()
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
        assert not errors, errors[:5]
        assert body["links"]["self"].startswith(node.url)
        seen += [item["id"] for item in body["data"]]
        url = body["links"].get("next")
        pages += 1
    assert pages > 3
    assert len(seen) == len(set(seen))
    live = {course_of(i) for i in seen}
    assert live <= catalog_courses(node, "vnu", "tsinghua") and live
    unsupported = requests.get(
        f"{node.url}/moochub/courses",
        headers={"Accept": "application/vnd.api+json; moochub-version=1"},
        timeout=10,
    )
    assert unsupported.status_code == 406
    assert unsupported.headers["Content-Type"].startswith("application/problem+json")


def test_feedparser_reads_the_atom_feed(node: Node) -> None:
    import feedparser

    response = requests.get(f"{node.url}/feeds/vnu.atom", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.entries, "Tsinghua's offers to VNU students"
    assert all(entry.get("link") for entry in feed.entries)
    site = f"{node.url}/site/vnu/"
    assert all(entry.link.startswith(site) for entry in feed.entries), feed.entries[0].link
    page = requests.get(feed.entries[0].link, timeout=10)  # the course page, served here
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")


def test_two_services_on_one_catalog_answer_each_others_tokens(small_pages: Node) -> None:
    """Behind a load balancer: a second `moocx web` on the same catalog signs with the same key
    (kept in the catalog), so a harvest whose requests alternate between the two gets every
    published course exactly once."""
    import threading

    from catalog.store.db import make_engine
    from catalog.store.node_secrets import node_secret
    from scheduler.web.app import create_app
    from scheduler.web.server import make_server, stop

    node = small_pages
    engine = make_engine(node.catalog_url, read_only=True)
    key = node_secret(make_engine(node.catalog_url))
    app = create_app(node.config, engine, settings=node.config.publish_settings(key))
    server = make_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    other = f"http://127.0.0.1:{server.effective_port}"
    try:
        seen: list[str] = []
        args: dict[str, str] = {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}
        for turn in range(1000):
            base = (node.url, other)[turn % 2]
            root = etree.fromstring(requests.get(f"{base}/oai", params=args, timeout=10).content)
            assert root.find(f"{{{OAI}}}error") is None
            seen += [e.text for e in root.iter(f"{{{OAI}}}identifier")]
            token = root.findtext(f".//{{{OAI}}}resumptionToken")
            if not token:
                break
            args = {"verb": "ListIdentifiers", "resumptionToken": token}
        assert turn > 2  # several pages, served by both
        courses = [course_of(identifier) for identifier in seen]
        assert len(courses) == len(set(courses))
        assert set(courses) == catalog_courses(node, "vnu", "tsinghua")
    finally:
        stop(server, thread)
        engine.dispose()
