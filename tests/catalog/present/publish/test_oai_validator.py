"""The registration validator's battery (publishing.md), and a little fuzzing: every bad
request is an OAI-PMH error with the right code, valid against the schema, and a bad argument
is never echoed into ``<request>``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import Engine

from catalog.present.publish.oai_request import parse_request
from tests.catalog.present.publish.oai_catalog import (
    NODE,
    NS,
    ask,
    course,
    errors,
    harvest,
    minutes,
    new_catalog,
    request_attributes,
    settings,
)

AI = f"oai:{NODE}:vnu:UETx+INT1001"
LR = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    path: Path = tmp_path_factory.mktemp("oai") / "catalog.db"
    engine = new_catalog(f"sqlite:///{path}")
    harvest(engine, "vnu", [course(f"UETx+INT100{i}") for i in range(1, 6)], minutes(0))
    yield engine
    engine.dispose()


#: (request, expected error codes, whether the arguments are echoed)
BATTERY: list[tuple[dict[str, Any], list[str], bool]] = [
    ({}, ["badVerb"], False),
    ({"verb": "junk"}, ["badVerb"], False),
    ({"verb": ["Identify", "Identify"]}, ["badVerb"], False),
    ({"verb": "Identify", "junk": "1"}, ["badArgument"], False),
    ({"verb": "Identify", "metadataPrefix": "oai_dc"}, ["badArgument"], False),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc"}, ["badArgument"], False),
    ({"verb": "GetRecord", "identifier": AI}, ["badArgument"], False),
    (
        {"verb": "GetRecord", "identifier": 'invalid"id', "metadataPrefix": "oai_dc"},
        ["badArgument"],
        False,
    ),
    (
        {"verb": "GetRecord", "identifier": AI, "metadataPrefix": "junk"},
        ["cannotDisseminateFormat"],
        True,
    ),
    (
        {"verb": "GetRecord", "identifier": f"oai:{NODE}:vnu:nope", "metadataPrefix": "oai_dc"},
        ["idDoesNotExist"],
        True,
    ),
    (
        {"verb": "GetRecord", "identifier": [AI, AI], "metadataPrefix": "oai_dc"},
        ["badArgument"],
        False,
    ),
    ({"verb": "ListRecords"}, ["badArgument"], False),
    ({"verb": "ListIdentifiers"}, ["badArgument"], False),
    ({**LR, "from": "junk"}, ["badArgument"], False),
    ({**LR, "until": "junk"}, ["badArgument"], False),
    ({**LR, "from": "2026-02-30"}, ["badArgument"], False),
    ({**LR, "from": "2026-03-02T08:00:00"}, ["badArgument"], False),  # no Z
    ({**LR, "from": "2026-03-02T08:00Z"}, ["badArgument"], False),
    ({**LR, "from": "2026-03-02", "until": "2026-03-03T00:00:00Z"}, ["badArgument"], False),
    ({**LR, "from": "2026-03-03", "until": "2026-03-02"}, ["badArgument"], False),
    ({**LR, "until": "2025-03-01"}, ["noRecordsMatch"], True),  # a year before the earliest
    ({**LR, "from": "2027-01-01T00:00:00Z"}, ["noRecordsMatch"], True),
    ({**LR, "metadataPrefix": "marc21"}, ["cannotDisseminateFormat"], True),
    ({**LR, "set": "isced:99"}, ["noRecordsMatch"], True),
    ({**LR, "set": "institution:hou"}, ["noRecordsMatch"], True),  # not consented
    ({**LR, "set": "institution:nobody"}, ["noRecordsMatch"], True),
    ({**LR, "set": "isced:abc"}, ["badArgument"], False),
    ({**LR, "set": "subject"}, ["badArgument"], False),
    ({**LR, "set": "institution:vnu:x"}, ["badArgument"], False),
    ({**LR, "set": "a b"}, ["badArgument"], False),
    ({"verb": "ListRecords", "resumptionToken": "junk"}, ["badResumptionToken"], True),
    ({"verb": "ListIdentifiers", "resumptionToken": "a.b"}, ["badResumptionToken"], True),
    (
        {"verb": "ListRecords", "resumptionToken": "junk", "until": "2026-01-01"},
        ["badArgument"],
        False,
    ),
    (
        {"verb": "ListRecords", "resumptionToken": "junk", "metadataPrefix": "oai_dc"},
        ["badArgument"],
        False,
    ),
    ({"verb": "ListSets", "resumptionToken": "junk"}, ["badResumptionToken"], True),
    (
        {"verb": "ListMetadataFormats", "identifier": "oai:elsewhere.org:1"},
        ["idDoesNotExist"],
        True,
    ),
    ({"verb": "ListMetadataFormats", "identifier": "a<b"}, ["badArgument"], False),
]


@pytest.mark.parametrize(("args", "codes", "echoed"), BATTERY)
def test_validator_battery(
    catalog: Engine, args: dict[str, Any], codes: list[str], echoed: bool
) -> None:
    body = ask(catalog, settings(), **args)
    assert errors(body) == codes
    attributes = request_attributes(body)
    if echoed:
        assert attributes == {k: v for k, v in args.items()}
    else:
        assert attributes == {}
    assert etree.fromstring(body).findtext("o:request", namespaces=NS) == settings().oai_url


def test_several_bad_arguments_are_all_reported(catalog: Engine) -> None:
    body = ask(catalog, settings(), verb="ListRecords", junk="1", other="2")
    assert errors(body) == ["badArgument", "badArgument"]


def test_day_and_second_bounds_are_inclusive(catalog: Engine) -> None:
    def listed(**bounds: str) -> int:
        body = ask(
            catalog, settings(page_size=50), verb="ListIdentifiers", metadataPrefix="lom", **bounds
        )
        return 0 if errors(body) else body.count(b"<header>")

    assert listed(until="2026-03-02") == 5  # the whole day
    assert listed(until="2026-03-02T08:00:00Z") == 5  # the whole second
    assert listed(until="2026-03-02T07:59:59Z") == 0
    assert listed(**{"from": "2026-03-02T08:00:00Z"}) == 5
    assert listed(**{"from": "2026-03-02T08:00:01Z"}) == 0
    assert listed(**{"from": "2026-03-02", "until": "2026-03-02"}) == 5
    assert listed(until="9999-12-31") == 5 and listed(until="9999-12-31T23:59:59Z") == 5
    assert listed(**{"from": "0001-01-01"}) == 5


FUZZ = [
    "x" * 1001,
    "\x00",
    "a\x00b",
    "\udcff",
    "\ufffe",
    "<\"&'>",
    "é" * 500,
    "",
    " ",
    "%",
    "%ZZ",
    "\u202e",
]


@pytest.mark.parametrize("value", FUZZ)
@pytest.mark.parametrize(
    "name",
    [
        "verb",
        "identifier",
        "metadataPrefix",
        "from",
        "until",
        "set",
        "resumptionToken",
        "\x00",
        "a" * 2000,
    ],
)
def test_fuzzed_arguments_are_errors_never_exceptions(
    catalog: Engine, name: str, value: str
) -> None:
    args: dict[str, Any] = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
    if name == "verb":
        args = {"verb": value}
    else:
        args[name] = value
    if name == "resumptionToken":
        args.pop("metadataPrefix")
    body = ask(catalog, settings(), **args)  # valid against the schema, whatever came in
    assert errors(body), (name, value)


def test_a_token_longer_than_any_we_issue_is_refused(catalog: Engine) -> None:
    assert errors(ask(catalog, settings(), verb="ListRecords", resumptionToken="a" * 4001)) == [
        "badArgument"
    ]
    long_junk = ask(catalog, settings(), verb="ListRecords", resumptionToken="a" * 4000)
    assert errors(long_junk) == ["badResumptionToken"]
    assert not isinstance(parse_request({"verb": ["ListRecords"], "resumptionToken": ["a"]}), list)
