"""``moocx check``: can we reach a feed, and does what comes back make sense?

Fetches the first page of each feed through its real connector — same HTTP limits, same auth —
and reports connectivity, auth, the number of items the source declares, a sample mapped record
and what the connector's :meth:`~connectors.base.Connector.diagnose` hook adds about the source
(OAI-PMH: Identify, metadata formats, sets). Nothing is written to the catalog: it is safe to run
against production while a sync is going.

A check answers in seconds even against a dead endpoint: it retries a failed request once, not
``max_retries`` times, and waits at most :data:`CHECK_BACKOFF_MAX` before that retry. The feed's
own settings (and so every ``sync``) are untouched.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from connectors import registry
from connectors.auth import OAuth2ClientCredentials
from connectors.base import Connector, Fact
from connectors.errors import (
    AuthError,
    BadResponseError,
    FeedError,
    HttpStatusError,
    PaginationError,
    ResponseTooLarge,
    TransientFeedError,
    WrongEndpointError,
)
from connectors.feedlog import feed_prefix
from connectors.http import HttpSettings
from connectors.records import CourseRecord, Page, Rejected, Withdrawn
from connectors.redact import redact_url
from scheduler.config import Config

#: Retries a check allows after a failed request: a refused connection is tried twice in all.
CHECK_MAX_RETRIES = 1
#: The longest pause a check makes before its retry, in seconds.
CHECK_BACKOFF_MAX = 2.0


@dataclass(frozen=True, slots=True)
class CheckResult:
    feed_id: str
    connector: str
    #: Without userinfo, secret-looking query values masked: it is printed.
    base_url: str
    ok: bool
    seconds: float = 0.0
    requests: int = 0
    auth: str = "anonymous"
    declared_total: int | None = None
    courses: int = 0
    rejected: int = 0
    withdrawn: int = 0
    more_pages: bool = False
    sample: CourseRecord | None = None
    rejections: list[str] = field(default_factory=list)
    error: str | None = None
    #: What failed, in a few words for the summary: the network's cause ("connection
    #: refused"…) or the kind of answer ("HTTP 404", "not the API at base_url").
    cause: str | None = None
    #: What the connector's ``diagnose`` hook says about the source.
    facts: list[Fact] = field(default_factory=list)
    #: A line of advice for the admin when the error points at the config.
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """One printed line of a check and what it is (``title``, ``error``, ``warning`` or ``""``)."""

    text: str
    kind: str = ""


def check_settings(settings: HttpSettings) -> HttpSettings:
    """The feed's HTTP limits with the check's few retries and short pause."""
    return dataclasses.replace(
        settings,
        max_retries=min(settings.max_retries, CHECK_MAX_RETRIES),
        backoff_max=min(settings.backoff_max, CHECK_BACKOFF_MAX),
    )


def build_check_connector(config: Config, feed_id: str) -> Connector:
    """The feed's connector as ``sync`` builds it, but with :func:`check_settings`."""
    from scheduler.sync import refuse_stopped_demo

    feed = config.feed(feed_id)
    refuse_stopped_demo(config, feed_id)
    context = config.feed_context(feed)
    context = dataclasses.replace(context, http=check_settings(context.http))
    return registry.load(feed.connector)(context, config.feed_options[feed.id])


def check_feed(config: Config, feed_id: str) -> CheckResult:
    """Fetch and map the first page of ``feed_id``; never raises for the feed's own failure."""
    feed = config.feed(feed_id)
    result = CheckResult(
        feed_id=feed.id, connector=feed.connector, base_url=redact_url(feed.base_url), ok=False
    )
    started = time.monotonic()
    try:
        connector = build_check_connector(config, feed_id)
    except FeedError as exc:
        return dataclasses.replace(result, error=str(exc), cause=failure_kind(exc))
    if isinstance(connector.auth, OAuth2ClientCredentials):
        auth = f"{connector.auth.token_type.upper()} token from {connector.auth.token_url}"
        result = dataclasses.replace(result, auth=auth)
    try:
        page, error = _first_page(connector)
        facts = _diagnose(connector, page, error)
    finally:
        connector.close()
    result = dataclasses.replace(
        result,
        seconds=time.monotonic() - started,
        requests=connector.http.requests_sent,
        facts=facts,
    )
    if page is None:
        return dataclasses.replace(
            result,
            error=str(error) if error else "the connector yielded no page",
            cause=failure_kind(error) if error else "no page",
            hint=_hint(error),
        )
    return _page_result(result, page)


def _first_page(connector: Connector) -> tuple[Page | None, FeedError | None]:
    pages = connector.harvest(None)
    try:
        return next(pages, None), None
    except FeedError as exc:
        return None, exc
    finally:
        close = getattr(pages, "close", None)  # a generator: stop it at its first page
        if close is not None:
            close()


def _diagnose(connector: Connector, page: Page | None, error: FeedError | None) -> list[Fact]:
    """The connector's facts, unless no connection could be made (they would fail alike)."""
    if error is not None and error.cause is not None:
        return []
    try:
        return list(connector.diagnose(page, error))
    except FeedError as exc:
        return [Fact("diagnosis", f"failed: {exc}", warning=True)]


def failure_kind(error: FeedError) -> str:
    """A feed's failure in a few words: why no answer came, or what was wrong with it."""
    if error.cause is not None:
        return error.cause
    if isinstance(error, WrongEndpointError):
        return "not the API at base_url"
    if error.status is not None:
        return f"HTTP {error.status}"
    for kind, words in _KINDS:
        if isinstance(error, kind):
            return words
    return "failed"


_KINDS: tuple[tuple[type[FeedError], str], ...] = (
    (AuthError, "authentication"),
    (ResponseTooLarge, "response too large"),
    (PaginationError, "pagination"),
    (BadResponseError, "unexpected answer"),
    (TransientFeedError, "temporary failure"),
)


def _hint(error: FeedError | None) -> str | None:
    if isinstance(error, HttpStatusError) and error.status == 404 and "base_url" not in str(error):
        return "the API's first URL does not exist (HTTP 404): is base_url the API root?"
    return None


def _page_result(result: CheckResult, page: Page) -> CheckResult:
    courses = [i for i in page.items if isinstance(i, CourseRecord)]
    rejected = [i for i in page.items if isinstance(i, Rejected)]
    return dataclasses.replace(
        result,
        ok=True,
        declared_total=page.declared_total,
        courses=len(courses),
        rejected=len(rejected),
        withdrawn=sum(isinstance(i, Withdrawn) for i in page.items),
        more_pages=not page.last,
        sample=courses[0] if courses else None,
        rejections=[f"{r.key or '(no key)'}: {r.reason}" for r in rejected[:5]],
    )


def describe(result: CheckResult) -> list[Line]:
    """The human report of one check, a line each."""
    lines = [Line(f"{result.feed_id} ({result.connector}) {result.base_url}", "title")]
    lines.append(
        Line(
            f"  connection: {'ok' if result.ok else 'FAILED'} after {result.seconds:.1f} s "
            f"({_plural(result.requests, 'request')})",
            "" if result.ok else "error",
        )
    )
    lines.append(Line(f"  auth: {result.auth}"))
    lines.extend(
        Line(f"  {f.label}: {f.value}", "warning" if f.warning else "") for f in result.facts
    )
    if not result.ok:
        lines.extend(error_lines(result))
        return lines
    declared = "not declared" if result.declared_total is None else str(result.declared_total)
    lines.append(Line(f"  items declared by the source: {declared}"))
    lines.append(
        Line(
            f"  first page: {_plural(result.courses, 'course')}, {result.rejected} rejected, "
            f"{result.withdrawn} withdrawn{'; more pages follow' if result.more_pages else ''}"
        )
    )
    lines.extend(Line(f"    rejected {r}", "warning") for r in result.rejections)
    if result.sample is not None:
        lines.extend(Line(text) for text in _sample(result.sample))
    return lines


def error_lines(result: CheckResult) -> list[Line]:
    """The error (one line, without the feed prefix the title already gives) and any hint."""
    error = (result.error or "").removeprefix(feed_prefix(result.feed_id))
    lines = [Line(f"  error: {error}", "error")]
    if result.hint:
        lines.append(Line(f"  hint: {result.hint}", "warning"))
    return lines


def _sample(s: CourseRecord) -> list[str]:
    lines = [f"  sample: {s.key} — {s.title}"]
    lines.append(
        f"    language {s.language or '-'} · organisation {s.organization or '-'} · "
        f"{_plural(len(s.runs), 'run')}"
        + (f", first starts {s.runs[0].start:%Y-%m-%d}" if s.runs and s.runs[0].start else "")
    )
    if s.subjects:
        lines.append(f"    subjects: {', '.join(s.subjects[:6])}")
    if s.url:
        lines.append(f"    {s.url}")
    return lines


def summary(results: Sequence[CheckResult]) -> Line:
    """``checked 3 feeds: 2 ok, 1 failed: hou-oai (connection refused)``."""
    failed = [r for r in results if not r.ok]
    text = f"checked {_plural(len(results), 'feed')}: {len(results) - len(failed)} ok"
    if failed:
        named = ", ".join(f"{r.feed_id} ({r.cause or 'failed'})" for r in failed)
        text += f", {len(failed)} failed: {named}"
    return Line(text, "error" if failed else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
