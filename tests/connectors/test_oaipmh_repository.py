"""What an OAI-PMH repository says of itself, parsed as pure functions, and the check's lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import Fact
from connectors.errors import BadResponseError, TransientFeedError
from connectors.oaipmh_repository import (
    Identify,
    OaiErrors,
    SetList,
    identify_facts,
    parse_identify,
    parse_metadata_formats,
    parse_sets,
    repository_facts,
    set_facts,
)
from connectors.xmlsafe import XmlError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "oaipmh"
BASE = "https://oai.vnu.edu.vn/oai/request"


def oai(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        f"<responseDate>2025-03-09T10:00:00Z</responseDate><request>{BASE}</request>"
        f"{body}</OAI-PMH>"
    ).encode()


def test_identify_gives_name_granularity_deletions_and_earliest_datestamp() -> None:
    identify = parse_identify((FIXTURES / "Identify.xml").read_bytes())
    assert identify == Identify(
        repository_name="Kho học liệu mở ĐHQGHN (VNU MOOC repository)",
        base_url=BASE,
        protocol_version="2.0",
        earliest_datestamp="2013-09-01T00:00:00Z",
        deleted_record="persistent",
        granularity="YYYY-MM-DDThh:mm:ssZ",
    )
    assert [f.label for f in identify_facts(identify, BASE)] == [
        "repository",
        "granularity",
        "deleted records",
        "earliest datestamp",
    ]


def test_identify_naming_another_base_url_and_an_unknown_deletion_policy_are_warnings() -> None:
    identify = Identify("R", "https://oai.vnu.edu.vn/oai", "2.0", None, "sometimes", None)
    facts = {f.label: f for f in identify_facts(identify, BASE)}
    assert facts["baseURL"] == Fact(
        "baseURL", f"Identify names https://oai.vnu.edu.vn/oai, base_url is {BASE}", True
    )
    assert facts["deleted records"] == Fact("deleted records", "sometimes", True)
    assert facts["granularity"].value.startswith("(not stated: days are assumed)")
    assert facts["earliest datestamp"].value == "(not stated)"


def test_transient_deletions_say_a_full_harvest_catches_the_missed_ones() -> None:
    identify = Identify("R", BASE, "2.0", None, "transient", "YYYY-MM-DD")
    facts = {f.label: f.value for f in identify_facts(identify, BASE)}
    assert "full harvest (full_sync_every)" in facts["deleted records"]


def test_metadata_formats_are_listed_once_each_in_order() -> None:
    body = oai(
        "<ListMetadataFormats>"
        + "".join(
            f"<metadataFormat><metadataPrefix>{p}</metadataPrefix></metadataFormat>"
            for p in ("oai_dc", "lom", "oai_dc")
        )
        + "</ListMetadataFormats>"
    )
    assert parse_metadata_formats(body) == ("oai_dc", "lom")


def _sets(count: int, token: str = "") -> bytes:
    listed = "".join(
        f"<set><setSpec>mooc:{i}</setSpec><setName>Bộ {i}</setName></set>" for i in range(count)
    )
    return oai(f"<ListSets>{listed}{token}</ListSets>")


def test_sets_with_a_complete_list_size_count_all_and_name_five() -> None:
    token = '<resumptionToken completeListSize="42">sets|10</resumptionToken>'
    sets = parse_sets(_sets(10, token))
    assert sets.complete_list_size == 42 and sets.more and len(sets.sets) == 10
    assert set_facts(sets, None) == [
        Fact(
            "sets",
            "42: mooc:0 (Bộ 0), mooc:1 (Bộ 1), mooc:2 (Bộ 2), mooc:3 (Bộ 3), mooc:4 (Bộ 4) "
            "and 37 more",
        )
    ]


def test_a_set_list_that_goes_on_without_a_size_says_at_least() -> None:
    sets = parse_sets(_sets(6, "<resumptionToken>sets|6</resumptionToken>"))
    assert set_facts(sets, "other")[0].value.startswith("at least 6: ")
    assert len(set_facts(sets, "other")) == 1  # not all sets are known: no verdict on "other"


def test_a_configured_set_is_found_or_flagged() -> None:
    sets = parse_sets(_sets(3))
    assert set_facts(sets, "mooc:1")[1] == Fact("set", "harvesting 'mooc:1'")
    assert set_facts(sets, "mooc:9")[1] == Fact(
        "set", "options.set 'mooc:9' is not among them", True
    )


def test_no_set_hierarchy_is_an_empty_set_list_not_an_error() -> None:
    body = oai('<error code="noSetHierarchy">This repository does not support sets</error>')
    assert parse_sets(body) == SetList(())


def test_other_oai_errors_and_foreign_documents_are_raised() -> None:
    with pytest.raises(OaiErrors, match="badArgument: no"):
        parse_sets(oai('<error code="badArgument">no</error>'))
    with pytest.raises(XmlError, match="neither <Identify> nor <error>"):
        parse_identify(oai("<ListSets/>"))
    with pytest.raises(XmlError, match="document element is rss"):
        parse_identify(b"<rss/>")


def test_each_verb_that_fails_is_a_warning_and_the_next_is_still_asked() -> None:
    asked: list[str] = []

    def ask(verb: str, parse: object) -> object:
        asked.append(verb)
        if verb == "ListMetadataFormats":
            raise BadResponseError("feed x: ListMetadataFormats answered with OAI-PMH error")
        return {"Identify": parse_identify((FIXTURES / "Identify.xml").read_bytes())}.get(
            verb, SetList(())
        )

    facts = repository_facts(ask, metadata_prefix="oai_dc", set_spec=None, base_url=BASE)
    assert asked == ["Identify", "ListMetadataFormats", "ListSets"]
    failed = [f for f in facts if f.label == "ListMetadataFormats"]
    assert failed == [
        Fact("ListMetadataFormats", "failed: feed x: ListMetadataFormats answered with OAI-PMH "
             "error", True)
    ]  # fmt: skip
    assert facts[-1].label == "sets"


def test_a_network_failure_stops_the_diagnosis() -> None:
    asked: list[str] = []

    def ask(verb: str, parse: object) -> object:
        asked.append(verb)
        raise TransientFeedError("cannot connect", cause="connection refused")

    facts = repository_facts(ask, metadata_prefix="oai_dc", set_spec=None, base_url=BASE)
    assert asked == ["Identify"] and len(facts) == 1 and facts[0].warning
