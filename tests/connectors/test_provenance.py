"""Provenance chains read (OAI-PMH ``<about><provenance>``, MOOChub ``meta.provenance``) and this
node's own courses recognised: pure functions, on chains in the shapes nodes publish."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from lxml import etree

from connectors.errors import RecordError
from connectors.feedlog import FeedLog
from connectors.provenance import (
    MAX_HOPS,
    Chains,
    moochub_hops,
    names_home,
    oai_hops,
    public_url,
)
from connectors.records import Origin
from tests.support.oai_provider import Hop, provenance

DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
HOME = ("https://node-a.example", "oai:node-a.example:")


def _container(xml: str) -> etree._Element:
    return etree.fromstring(xml.encode("utf-8"))


def _oai(*hops: Hop, limit: int = MAX_HOPS) -> tuple[tuple[Origin, ...], Chains]:
    chains = Chains()
    return oai_hops(_container(provenance(*hops)), chains, limit=limit), chains


def test_a_nested_chain_reads_outermost_first_with_its_dates_namespaces_and_altered() -> None:
    hops, chains = _oai(
        Hop("https://node-b.example/oai", "oai:node-b.example:hou:INT1001", altered="false"),
        Hop(
            "https://oai.hou.edu.vn/oai",
            "oai:hou.edu.vn:course/INT1001",
            datestamp="2025-01-15",  # day granularity: midnight UTC
            harvest_date="2025-01-20T08:00:00+07:00",
            namespace="http://ltsc.ieee.org/xsd/LOM",
        ),
    )
    assert hops == (
        Origin(
            base_url="https://node-b.example/oai",
            identifier="oai:node-b.example:hou:INT1001",
            datestamp=datetime(2025, 2, 1, tzinfo=UTC),
            harvested=datetime(2025, 2, 2, 9, 30, tzinfo=UTC),
            metadata_namespace=DC_NS,
            altered=False,
        ),
        Origin(
            base_url="https://oai.hou.edu.vn/oai",
            identifier="oai:hou.edu.vn:course/INT1001",
            datestamp=datetime(2025, 1, 15, tzinfo=UTC),
            harvested=datetime(2025, 1, 20, 1, 0, tzinfo=UTC),
            metadata_namespace="http://ltsc.ieee.org/xsd/LOM",
            altered=True,
        ),
    )
    assert chains.flaws == []


def test_an_empty_container_is_an_empty_chain() -> None:
    assert _oai() == ((), Chains())


def test_a_chain_deeper_than_the_bound_is_refused_without_reading_it_all() -> None:
    deep = [Hop(f"https://node{n}.example/oai", f"oai:node{n}.example:x") for n in range(200)]
    with pytest.raises(RecordError, match=r"more than 15 nested originDescription hops"):
        _oai(*deep, limit=MAX_HOPS - 1)
    hops, _ = _oai(*deep[: MAX_HOPS - 1], limit=MAX_HOPS - 1)  # exactly the bound: read
    assert len(hops) == MAX_HOPS - 1


@pytest.mark.parametrize(
    ("hop", "flaw"),
    [
        pytest.param(
            Hop("https://node-b.example/oai", "oai:b:1", datestamp="2025-13-45"),
            "originDescription/datestamp: unreadable '2025-13-45'",
            id="junk-datestamp",
        ),
        pytest.param(
            Hop("https://node-b.example/oai", "oai:b:1", harvest_date="yesterday"),
            "originDescription@harvestDate: unreadable 'yesterday'",
            id="junk-harvest-date",
        ),
        pytest.param(
            Hop("https://node-b.example/oai", "oai:b:1", datestamp="9999-12-31T23:59:59-05:00"),
            "originDescription/datestamp: unreadable '9999-12-31T23:59:59-05:00'",
            id="overflows-in-utc",
        ),
    ],
)
def test_a_junk_date_leaves_the_hop_without_that_date_and_is_noted(hop: Hop, flaw: str) -> None:
    [read], chains = _oai(hop)
    assert (read.base_url, read.identifier) == ("https://node-b.example/oai", "oai:b:1")
    assert read.datestamp is None or read.harvested is None
    assert chains.flaws == [flaw]


@pytest.mark.parametrize(
    ("hop", "flaw"),
    [
        pytest.param(Hop("", "oai:b:1"), "originDescription/baseURL: missing", id="no-base-url"),
        pytest.param(
            Hop("https://b.example", ""), "originDescription/identifier: missing", id="no-id"
        ),
        pytest.param(
            Hop("javascript:alert(1)", "oai:b:1"),
            "originDescription/baseURL: 'javascript:alert(1)'",
            id="not-http",
        ),
        pytest.param(
            Hop("https://b.example", "x" * 1001),
            "originDescription/identifier: too long",
            id="long",
        ),
    ],
)
def test_a_hop_without_a_usable_base_url_or_identifier_is_skipped_its_origin_kept(
    hop: Hop, flaw: str
) -> None:
    source = Hop("https://oai.hou.edu.vn/oai", "oai:hou.edu.vn:course/1")
    hops, chains = _oai(hop, source)
    assert [h.identifier for h in hops] == ["oai:hou.edu.vn:course/1"]
    assert chains.flaws == [f"{flaw}, hop skipped"]


def test_junk_altered_means_altered() -> None:
    [hop], _ = _oai(Hop("https://b.example/oai", "oai:b:1", altered=""))
    assert hop.altered is True


def test_moochub_meta_provenance_reads_nearest_first() -> None:
    chains = Chains()
    hops = moochub_hops(
        [
            {
                "baseURL": "https://node-b.example/oai",
                "identifier": "oai:node-b.example:hou:1",
                "datestamp": "2025-02-01T00:00:00Z",
                "harvestDate": "2025-02-02T09:30:00Z",
                "metadataNamespace": "urn:mooc-exchange:source:oaipmh",
            },
            {"baseURL": "https://oai.hou.edu.vn/oai", "identifier": "oai:hou.edu.vn:1"},
        ],
        chains,
        limit=MAX_HOPS - 1,
    )
    assert hops == (
        Origin(
            "https://node-b.example/oai",
            "oai:node-b.example:hou:1",
            datestamp=datetime(2025, 2, 1, tzinfo=UTC),
            harvested=datetime(2025, 2, 2, 9, 30, tzinfo=UTC),
            metadata_namespace="urn:mooc-exchange:source:oaipmh",
        ),
        Origin("https://oai.hou.edu.vn/oai", "oai:hou.edu.vn:1"),
    )
    assert chains.flaws == []


def test_moochub_junk_hops_are_skipped_and_noted_a_long_list_refused() -> None:
    chains = Chains()
    hops = moochub_hops(
        [
            "https://node-b.example",
            {"baseURL": "https://b.example", "identifier": 7, "datestamp": "1st of February"},
            {"identifier": "oai:b:2"},
        ],
        chains,
        limit=MAX_HOPS - 1,
    )
    assert hops == (Origin("https://b.example", "7"),)  # a number is read as its text
    assert chains.flaws == [
        "meta.provenance[0]: a str, not an object",
        "meta.provenance[1]/datestamp: unreadable '1st of February'",
        "meta.provenance[2]/baseURL: missing, hop skipped",
    ]
    assert moochub_hops({"baseURL": "x"}, chains, limit=15) == ()
    assert chains.flaws[-1] == "meta.provenance: a dict, not a list"
    hop = {"baseURL": "https://b.example", "identifier": "oai:b:1"}
    with pytest.raises(RecordError, match=r"meta.provenance: 1000 hops, more than 15"):
        moochub_hops([hop] * 1000, chains, limit=MAX_HOPS - 1)


@pytest.mark.parametrize(
    ("base_url", "identifier", "named"),
    [
        pytest.param("https://node-a.example", "oai:x:1", True, id="the-base-url"),
        pytest.param("https://node-a.example/oai", "oai:x:1", True, id="under-it"),
        pytest.param("HTTPS://Node-A.example/oai", "oai:x:1", True, id="host-case"),
        pytest.param("https://node-a.example.evil/oai", "oai:x:1", False, id="a-lookalike-host"),
        pytest.param("https://node-a.examplе/oai", "oai:x:1", False, id="another-host"),
        pytest.param("https://b.example/oai", "oai:node-a.example:vnu:1", True, id="own-prefix"),
        pytest.param("https://b.example/oai", "oai:node-a.example.evil:1", False, id="not-prefix"),
    ],
)
def test_names_home(base_url: str, identifier: str, named: bool) -> None:
    hops = [Origin("https://b.example/oai", "oai:b:1"), Origin(base_url, identifier)]
    assert names_home(hops, HOME) is named
    assert names_home(hops, ()) is False  # a node without [publish] recognises nothing


def test_public_url_drops_userinfo_query_and_fragment() -> None:
    assert public_url("https://u:p@oai.hou.edu.vn:8443/oai?key=s3cret#x") == (
        "https://oai.hou.edu.vn:8443/oai"
    )
    assert public_url("https://oai.hou.edu.vn/oai") == "https://oai.hou.edu.vn/oai"


def test_a_page_reports_its_dropped_records_and_flaws_in_one_line_each(
    caplog: pytest.LogCaptureFixture,
) -> None:
    chains = Chains(home=HOME)
    for n in range(5):
        chains.note(f"originDescription/datestamp: unreadable 'junk{n}'")
        assert chains.names_home((Origin("https://node-a.example/oai", f"oai:a:{n}"),))
    assert not chains.names_home((Origin("https://b.example/oai", "oai:b:1"),))
    log = FeedLog(logging.getLogger("connectors.oaipmh"), "node-b")
    with caplog.at_level(logging.INFO, logger="connectors.oaipmh"):
        chains.report(log)
    assert [r.getMessage() for r in caplog.records] == [
        "feed node-b: 5 records originated at this node and were not imported again",
        "feed node-b: 5 provenance hop fields were unreadable and left out ("
        "originDescription/datestamp: unreadable 'junk0'; originDescription/datestamp: "
        "unreadable 'junk1'; originDescription/datestamp: unreadable 'junk2'; …)",
    ]
    assert [r.levelno for r in caplog.records] == [logging.INFO, logging.WARNING]
