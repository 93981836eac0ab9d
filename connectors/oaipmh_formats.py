"""Metadata formats: the OAI-PMH error a harvest fails with, and advice when records come in a
format the mapping does not read.

A repository answers ``metadataPrefix=datacite`` or ``mods`` with records the connector cannot
map (only oai_dc and IEEE LOM are read); each is rejected naming its real format
(:func:`connectors.oaipmh_mapping.format_root`). Once per harvest, at the first such record,
``ListMetadataFormats`` is asked and a warning names the prefixes the repository offers,
advising ``metadata_prefix = "oai_dc"`` when it is among them (every repository should offer
it, spec §3.4). Never per record: one request per harvest at most, and only when it matters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from connectors.errors import BadResponseError, FeedError, ResumptionExpired
from connectors.feedlog import FeedLog, feed_prefix
from connectors.http import redact_url
from connectors.oaipmh_mapping import ENDPOINT_HINT, UNSUPPORTED, ListRecordsResponse
from connectors.records import Item, Rejected

_FORMAT_HINT = " (the repository does not offer metadata_prefix {!r}: options.metadata_prefix)"


def oai_error(listed: ListRecordsResponse, url: str, *, feed_id: str, prefix: str) -> FeedError:
    """The error a response's OAI-PMH ``<error>`` codes fail the harvest with."""
    codes = {code for code, _ in listed.errors}
    described = "; ".join(f"{c}: {t}" if t else c for c, t in listed.errors)
    hint = _FORMAT_HINT.format(prefix) if "cannotDisseminateFormat" in codes else ""
    hint = f"; {ENDPOINT_HINT}" if "badVerb" in codes else hint
    error = ResumptionExpired if "badResumptionToken" in codes else BadResponseError
    return error(
        f"{feed_prefix(feed_id)}{redact_url(url)} answered with OAI-PMH error {described}{hint}",
        url=url,
    )


def unsupported(items: Sequence[Item]) -> Rejected | None:
    """The first item rejected for its metadata format, if any."""
    return next(
        (i for i in items if isinstance(i, Rejected) and i.reason.startswith(UNSUPPORTED)), None
    )


def advise(
    log: FeedLog, rejected: Rejected, prefix: str, offered: Callable[[], tuple[str, ...]]
) -> str:
    """Warn, once, that records come in a format the mapping does not read, with the prefixes
    ``offered()`` (ListMetadataFormats) lists; the warning's text is returned."""
    found = rejected.reason[len(UNSUPPORTED) :].strip()
    try:
        prefixes = offered()
    except FeedError as exc:
        listed = f"ListMetadataFormats failed ({exc})"
        prefixes = ()
    else:
        listed = f"the repository offers {', '.join(prefixes) or '(none listed)'}"
    readable = [p for p in prefixes if "lom" in p.lower()]  # lom, oai_lom, oai_lom-de…
    if "oai_dc" in prefixes:
        advice = 'set metadata_prefix = "oai_dc" in [feeds.options]'
    elif readable:
        advice = f"set metadata_prefix = {readable[0]!r} in [feeds.options]"
    else:
        advice = "it offers no format this connector reads (oai_dc, IEEE LOM)"
    text = (
        f"metadata_prefix {prefix!r} delivers records in {found}, which this connector does not "
        f"read (oai_dc and IEEE LOM only): they are rejected; {listed}: {advice}"
    )
    log.warning("%s", text)
    return text
