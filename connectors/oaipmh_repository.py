"""What an OAI-PMH repository says of itself: Identify, ListMetadataFormats, ListSets.

``moocx check`` shows these because they decide how a harvest goes (spec §4.2, §4.4, §4.6):
the granularity is what ``from`` is sent in, ``deletedRecord`` whether deletions ever reach the
catalog, the metadata formats and sets whether ``metadata_prefix`` and ``set`` can work at all.
Parsing is pure (bytes → values) and tested without HTTP; :func:`repository_facts` turns the
answers into the lines ``check`` prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from connectors.errors import FeedError
from connectors.facts import Fact
from connectors.normalize import clean_text
from connectors.xmlsafe import XmlError, parse_document

OAI = "{http://www.openarchives.org/OAI/2.0/}"
ROOT = f"{OAI}OAI-PMH"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"
#: How many sets ``check`` names before "and N more".
SHOWN_SETS = 5
_DELETIONS = {
    "no": "the repository does not report deletions: a course it removes is withdrawn only by "
    "a full harvest (full_sync_every)",
    "transient": "reported, but not kept for ever: a full harvest (full_sync_every) catches "
    "the ones an incremental run missed",
    "persistent": "reported and kept: incremental runs withdraw deleted courses",
}


class OaiErrors(XmlError):
    """A response that carries OAI-PMH ``<error>`` elements instead of its verb's answer."""

    def __init__(self, errors: tuple[tuple[str, str], ...]) -> None:
        super().__init__("; ".join(f"{c}: {t}" if t else c for c, t in errors))
        self.codes = frozenset(code for code, _ in errors)


@dataclass(frozen=True, slots=True)
class Identify:
    repository_name: str | None
    base_url: str | None
    protocol_version: str | None
    earliest_datestamp: str | None
    deleted_record: str | None
    granularity: str | None


@dataclass(frozen=True, slots=True)
class SetList:
    """The first ``ListSets`` page: (setSpec, setName) pairs and how many there are in all."""

    sets: tuple[tuple[str, str | None], ...]
    complete_list_size: int | None = None
    more: bool = False


def verb_element(body: bytes, verb: str) -> etree._Element:
    """The ``<verb>`` element of a response, or :class:`OaiErrors`; XmlError when not OAI-PMH."""
    root = parse_document(body, root=ROOT)
    errors = tuple(
        (e.get("code") or "unknown", clean_text(e.text) or "") for e in root.iter(f"{OAI}error")
    )
    if errors:
        raise OaiErrors(errors)
    element = root.find(f"{OAI}{verb}")
    if element is None:
        raise XmlError(f"it has neither <{verb}> nor <error>")
    return element


def parse_identify(body: bytes) -> Identify:
    element = verb_element(body, "Identify")

    def text(name: str) -> str | None:
        return clean_text(element.findtext(f"{OAI}{name}"))

    return Identify(
        repository_name=text("repositoryName"),
        base_url=text("baseURL"),
        protocol_version=text("protocolVersion"),
        earliest_datestamp=text("earliestDatestamp"),
        deleted_record=text("deletedRecord"),
        granularity=text("granularity"),
    )


def parse_metadata_formats(body: bytes) -> tuple[str, ...]:
    element = verb_element(body, "ListMetadataFormats")
    found = (clean_text(f.findtext(f"{OAI}metadataPrefix")) for f in element)
    return tuple(dict.fromkeys(p for p in found if p))


def parse_sets(body: bytes) -> SetList:
    """``noSetHierarchy`` is a normal answer: no sets (an empty :class:`SetList`)."""
    try:
        element = verb_element(body, "ListSets")
    except OaiErrors as exc:
        if exc.codes == {"noSetHierarchy"}:
            return SetList(())
        raise
    sets = []
    for entry in element.iterfind(f"{OAI}set"):
        spec = clean_text(entry.findtext(f"{OAI}setSpec"))
        if spec:
            sets.append((spec, clean_text(entry.findtext(f"{OAI}setName"))))
    token = element.find(f"{OAI}resumptionToken")
    size = (token.get("completeListSize") or "").strip() if token is not None else ""
    more = token is not None and bool((token.text or "").strip())
    return SetList(tuple(sets), int(size) if size.isdigit() else None, more)


def repository_facts(
    ask: Callable[[str, Callable[[bytes], object]], object],
    *,
    metadata_prefix: str,
    set_spec: str | None,
    base_url: str,
) -> list[Fact]:
    """The check lines for one repository; ``ask(verb, parse)`` fetches ``?verb=`` and parses it.

    A verb that fails gives a warning line and the next one is still asked, unless the network
    failed (the next would fail the same way, after its own retries).
    """
    facts: list[Fact] = []
    steps: list[tuple[str, Callable[[bytes], object], Callable[..., list[Fact]]]] = [
        ("Identify", parse_identify, lambda i: identify_facts(i, base_url)),
        ("ListMetadataFormats", parse_metadata_formats, lambda f: format_facts(f, metadata_prefix)),
        ("ListSets", parse_sets, lambda s: set_facts(s, set_spec)),
    ]
    for verb, parse, describe in steps:
        try:
            answer = ask(verb, parse)
        except FeedError as exc:
            facts.append(Fact(verb, f"failed: {exc}", warning=True))
            if exc.cause is not None:
                break
            continue
        facts.extend(describe(answer))
    return facts


def identify_facts(identify: Identify, base_url: str) -> list[Fact]:
    name = identify.repository_name or "(no repositoryName)"
    facts = [Fact("repository", f"{name} (OAI-PMH {identify.protocol_version or '?'})")]
    if identify.base_url and identify.base_url.rstrip("/?") != base_url.rstrip("/?"):
        facts.append(
            Fact("baseURL", f"Identify names {identify.base_url}, base_url is {base_url}", True)
        )
    granularity = identify.granularity or "(not stated: days are assumed)"
    how = "to the second" if identify.granularity == SECONDS else "by day (that day is read again)"
    facts.append(Fact("granularity", f"{granularity}; incremental runs send from= {how}"))
    policy = identify.deleted_record or "(not stated)"
    meaning = _DELETIONS.get(identify.deleted_record or "")
    facts.append(
        Fact("deleted records", f"{policy}; {meaning}" if meaning else policy, meaning is None)
    )
    facts.append(Fact("earliest datestamp", identify.earliest_datestamp or "(not stated)"))
    return facts


def format_facts(prefixes: tuple[str, ...], metadata_prefix: str) -> list[Fact]:
    listed = ", ".join(prefixes) or "(none listed)"
    if metadata_prefix in prefixes:
        return [Fact("metadata formats", f"{listed} (harvesting {metadata_prefix})")]
    return [
        Fact(
            "metadata formats",
            f"{listed}; options.metadata_prefix {metadata_prefix!r} is not among them",
            warning=True,
        )
    ]


def set_facts(sets: SetList, set_spec: str | None) -> list[Fact]:
    if not sets.sets:
        facts = [Fact("sets", "none (noSetHierarchy: the repository does not use sets)")]
        if set_spec:
            facts.append(Fact("set", f"options.set {set_spec!r} cannot match: no sets", True))
        return facts
    count = sets.complete_list_size or len(sets.sets)
    total = f"at least {count}" if sets.more and sets.complete_list_size is None else str(count)
    shown = [f"{spec} ({name})" if name else spec for spec, name in sets.sets[:SHOWN_SETS]]
    rest = count - len(shown)
    listed = ", ".join(shown) + (f" and {rest} more" if rest > 0 else "")
    facts = [Fact("sets", f"{total}: {listed}")]
    known = {spec for spec, _ in sets.sets}
    if set_spec and set_spec in known:
        facts.append(Fact("set", f"harvesting {set_spec!r}"))
    elif set_spec and not sets.more:
        facts.append(Fact("set", f"options.set {set_spec!r} is not among them", True))
    return facts
