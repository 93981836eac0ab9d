"""OAI-PMH request arguments → a typed request, or the protocol errors it earns (pure).

Every argument is checked before anything reads the catalog: the verb (missing, repeated or
unknown: ``badVerb``), the arguments the verb allows (an unknown, repeated or missing required
one: ``badArgument``), lengths (a value over :data:`MAX_VALUE` characters, a token over
:data:`MAX_TOKEN`), characters XML cannot carry, and the syntax of each value: ``from`` and
``until`` as ``YYYY-MM-DD`` or ``YYYY-MM-DDThh:mm:ssZ`` of one granularity and in order, a
``metadataPrefix`` and ``set`` in the protocol's alphabet, an ``identifier`` in URI characters.
A request that fails any of these is answered with the base URL alone in ``<request>`` (its
arguments are never echoed); one that passes is echoed whole, as attributes, and may still
earn ``idDoesNotExist``, ``cannotDisseminateFormat``, ``noRecordsMatch`` or
``badResumptionToken`` from the catalog.

Sets: the hierarchy is ``institution``, ``institution:<id>``, ``isced``, ``isced:<NN>``. A
``set`` outside it (another parent, ``isced:abc``, a third level) is ``badArgument``; a set of
the hierarchy that holds no published course (an unknown or unconsented institution, a field no
course has) is ``noRecordsMatch``, so consent is not revealed by the error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

VERBS = (
    "Identify",
    "ListMetadataFormats",
    "ListSets",
    "GetRecord",
    "ListIdentifiers",
    "ListRecords",
)
#: The longest argument value accepted; a resumption token may be longer (a long course key).
MAX_VALUE, MAX_TOKEN = 1000, 4000
_LIST = frozenset({"metadataPrefix", "from", "until", "set"})
#: verb → (required arguments, optional arguments, whether a resumptionToken is allowed).
_ARGUMENTS: dict[str, tuple[frozenset[str], frozenset[str], bool]] = {
    "Identify": (frozenset(), frozenset(), False),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"}), False),
    "ListSets": (frozenset(), frozenset(), True),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset(), False),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), _LIST, True),
    "ListRecords": (frozenset({"metadataPrefix"}), _LIST, True),
}
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
_SET = re.compile(r"(?:institution(?::[A-Za-z0-9\-_.!~*'()]+)?|isced(?::[0-9]{2})?)")
_URI = re.compile(r"(?:[A-Za-z0-9\-_.!~*'();/?:@&=+$,#\[\]]|%[0-9A-Fa-f]{2})+")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SECONDS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


@dataclass(frozen=True, slots=True)
class OaiError:
    """One ``<error code=…>`` and its message."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class OaiRequest:
    """A request whose arguments are all well-formed. ``since`` is inclusive; ``before`` is the
    exclusive bound ``until`` means (the next day, or the next second); None: unbounded."""

    verb: str
    arguments: tuple[tuple[str, str], ...]
    identifier: str | None = None
    prefix: str | None = None
    set_spec: str | None = None
    since: datetime | None = None
    before: datetime | None = None
    token: str | None = None


def parse_request(args: Mapping[str, Sequence[str]]) -> OaiRequest | list[OaiError]:
    """The request ``args`` make (every argument with all its values), or its errors."""
    verbs = list(args.get("verb", ()))
    if len(verbs) != 1 or verbs[0] not in _ARGUMENTS:
        what = "missing" if not verbs else "repeated" if len(verbs) > 1 else "not a verb"
        return [OaiError("badVerb", f"verb: {what} (one of {', '.join(VERBS)})")]
    verb = verbs[0]
    errors = _argument_errors(verb, args)
    if errors:
        return errors
    values = {name: vals[0] for name, vals in args.items()}
    return _typed(verb, values)


def _argument_errors(verb: str, args: Mapping[str, Sequence[str]]) -> list[OaiError]:
    """Unknown, repeated, missing, over-long and XML-unsafe arguments."""
    required, optional, token_allowed = _ARGUMENTS[verb]
    allowed = required | optional | ({"resumptionToken"} if token_allowed else set())
    errors: list[OaiError] = []
    for name, vals in args.items():
        if name == "verb":
            continue
        shown = name[:40] if _XML_UNSAFE.search(name) is None else "(unprintable)"
        if name not in allowed:
            errors.append(OaiError("badArgument", f"{shown!r}: not an argument of {verb}"))
        elif len(vals) != 1:
            errors.append(OaiError("badArgument", f"{name}: given {len(vals)} times"))
        elif len(vals[0]) > (MAX_TOKEN if name == "resumptionToken" else MAX_VALUE):
            errors.append(OaiError("badArgument", f"{name}: too long"))
        elif not vals[0] or _XML_UNSAFE.search(vals[0]):
            errors.append(OaiError("badArgument", f"{name}: empty or not text"))
    if errors:
        return errors
    if "resumptionToken" in args:
        others = sorted(set(args) - {"verb", "resumptionToken"})
        if others:
            return [OaiError("badArgument", f"resumptionToken is exclusive: {', '.join(others)}")]
        return []
    missing = sorted(required - set(args))
    return [OaiError("badArgument", f"{name}: missing") for name in missing]


def _typed(verb: str, values: dict[str, str]) -> OaiRequest | list[OaiError]:
    """Syntax of each value, then the request."""
    prefix, set_spec, identifier = (values.get(n) for n in ("metadataPrefix", "set", "identifier"))
    errors: list[OaiError] = []
    if prefix is not None and not _PREFIX.fullmatch(prefix):
        errors.append(OaiError("badArgument", "metadataPrefix: not a metadata prefix"))
    if set_spec is not None and not _SET.fullmatch(set_spec):
        errors.append(OaiError("badArgument", "set: not a set of this repository's hierarchy"))
    if identifier is not None and not _URI.fullmatch(identifier):
        errors.append(OaiError("badArgument", "identifier: not an OAI identifier"))
    since, before, date_errors = _bounds(values.get("from"), values.get("until"))
    errors += date_errors
    if errors:
        return errors
    arguments = (("verb", verb), *sorted(values.items()))
    return OaiRequest(
        verb,
        arguments,
        identifier=identifier,
        prefix=prefix,
        set_spec=set_spec,
        since=since,
        before=before,
        token=values.get("resumptionToken"),
    )


def _bounds(
    start: str | None, until: str | None
) -> tuple[datetime | None, datetime | None, list[OaiError]]:
    """``from`` (inclusive) and ``until`` as an exclusive bound, or why not."""
    since, since_day = _moment(start)
    end, end_day = _moment(until)
    errors = [
        OaiError("badArgument", f"{name}: not YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")
        for name, text, value in (("from", start, since), ("until", until, end))
        if text is not None and value is None
    ]
    if errors:
        return None, None, errors
    if since is not None and end is not None:
        if since_day != end_day:
            return None, None, [OaiError("badArgument", "from and until: different granularity")]
        if since > end:
            return None, None, [OaiError("badArgument", "from: later than until")]
    before = None
    if end is not None:
        try:
            before = end + (timedelta(days=1) if end_day else timedelta(seconds=1))
        except OverflowError:
            before = None  # 9999-12-31: no bound
    return since, before, []


def _moment(text: str | None) -> tuple[datetime | None, bool]:
    """A ``from``/``until`` value as a UTC datetime, and whether it was a day."""
    if text is None:
        return None, False
    day = _DAY.fullmatch(text) is not None
    if not day and _SECONDS.fullmatch(text) is None:
        return None, False
    try:
        value = datetime.strptime(text, "%Y-%m-%d" if day else "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None, day  # 2025-02-30
    return value.replace(tzinfo=UTC), day
