"""Records in a metadata format the OAI-PMH mapping does not read (DataCite, MODS): each is
rejected naming its real format, and the harvest says once which prefixes the repository offers
(ListMetadataFormats, asked only then) and that ``metadata_prefix = "oai_dc"`` would work."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import responses

from connectors.base import FeedContext
from connectors.http import HttpSettings
from connectors.oaipmh import OaiPmhConnector, OaiPmhOptions, parse_list_records
from connectors.records import Rejected

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "oaipmh"
BASE = "https://oai.vnu.edu.vn/oai/request"
FORMATS = f"{BASE}?verb=ListMetadataFormats"
KERNEL4 = "{http://datacite.org/schema/kernel-4}resource"
DOI = "oai:oai.vnu.edu.vn:doi/10.5072/VNU.MOOC."


def _body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _xml(url: str, name: str) -> None:
    responses.get(url, body=_body(name), content_type="text/xml; charset=utf-8")


def _harvest(prefix: str) -> list:
    feed = FeedContext(feed_id="vnu-oai", base_url=BASE, http=HttpSettings(max_retries=0))
    return list(OaiPmhConnector(feed, OaiPmhOptions(metadata_prefix=prefix)).harvest(None))


def _reasons(name: str) -> list[tuple[str | None, str]]:
    return [(i.key, i.reason) for i in parse_list_records(_body(name)).items]


def test_datacite_records_are_rejected_naming_the_datacite_kernel_not_the_oai_envelope() -> None:
    assert _reasons("ListRecords_datacite.xml") == [
        (f"{DOI}INT1001", f"metadata: unsupported format {KERNEL4}"),
        # No xmlns of its own: the OAI-PMH namespace was inherited, xsi:schemaLocation names it.
        (f"{DOI}EDU1001", f"metadata: unsupported format {KERNEL4}"),
    ]  # fmt: skip
    ((_key, reason),) = _reasons("ListRecords_datacite_page2.xml")
    assert (
        reason
        == "metadata: unsupported format {http://schema.datacite.org/oai/oai-1.1/}oai_datacite"
    )


def test_mods_records_are_rejected_naming_mods() -> None:
    mods, bare = _reasons("ListRecords_mods.xml")
    assert mods[1] == "metadata: unsupported format {http://www.loc.gov/mods/v3}mods"
    # Nothing says what it is: named as it came, and said to have no namespace of its own.
    assert bare[1] == (
        "metadata: unsupported format {http://www.openarchives.org/OAI/2.0/}mods "
        "(no namespace of its own)"
    )
    assert "OAI/2.0/}resource" not in repr(_reasons("ListRecords_datacite.xml"))


@responses.activate
def test_the_harvest_says_once_which_prefixes_the_repository_offers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = f"{BASE}?verb=ListRecords&metadataPrefix=datacite"
    _xml(first, "ListRecords_datacite.xml")
    _xml(f"{BASE}?verb=ListRecords&resumptionToken=datacite%2FVNU.MOOC%7C2",
         "ListRecords_datacite_page2.xml")  # fmt: skip
    _xml(FORMATS, "ListMetadataFormats.xml")
    caplog.set_level(logging.WARNING)
    pages = _harvest("datacite")
    urls = [call.request.url for call in responses.calls]
    assert urls.count(FORMATS) == 1 and urls[1] == FORMATS  # asked once, at the first rejection
    assert [len(p.items) for p in pages] == [2, 1]
    assert all(isinstance(i, Rejected) for p in pages for i in p.items)
    (warning,) = [r.getMessage() for r in caplog.records if "delivers" in r.getMessage()]
    assert warning.startswith("feed vnu-oai: metadata_prefix 'datacite' delivers records in ")
    assert KERNEL4 in warning
    assert "the repository offers oai_dc, oai_datacite, datacite, mods" in warning
    assert 'set metadata_prefix = "oai_dc" in [feeds.options]' in warning


@responses.activate
def test_no_format_request_when_every_record_is_read() -> None:
    _xml(f"{BASE}?verb=ListRecords&metadataPrefix=lom", "ListRecords_lom.xml")
    _harvest("lom")
    assert [call.request.url for call in responses.calls] == [
        f"{BASE}?verb=ListRecords&metadataPrefix=lom"
    ]


@responses.activate
def test_without_oai_dc_on_offer_the_warning_says_what_can_be_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    _xml(f"{BASE}?verb=ListRecords&metadataPrefix=mods", "ListRecords_mods.xml")
    body = _body("ListMetadataFormats.xml").replace(b">oai_dc<", b">lom<")
    responses.get(FORMATS, body=body, content_type="text/xml")
    _harvest("mods")
    assert "set metadata_prefix = 'lom' in [feeds.options]" in caplog.text


@responses.activate
def test_a_failing_list_metadata_formats_is_said_and_the_harvest_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    _xml(f"{BASE}?verb=ListRecords&metadataPrefix=mods", "ListRecords_mods.xml")
    responses.get(FORMATS, body=_body("error_page.html"), content_type="text/html")
    (page,) = _harvest("mods")
    assert len(page.items) == 2
    assert "ListMetadataFormats failed (feed vnu-oai: " in caplog.text
    assert "offers no format this connector reads" in caplog.text
