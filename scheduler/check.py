"""``moocx check``: can we reach a feed, and does what comes back make sense?

Fetches the first page of each feed through its real connector — same HTTP limits, same auth —
and reports connectivity, auth, the number of items the source declares and a sample mapped
record. Nothing is written to the catalog: it is safe to run against production while a
sync is going.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from connectors.auth import OAuth2ClientCredentials
from connectors.errors import FeedError
from connectors.records import CourseRecord, Rejected, Withdrawn
from scheduler.config import Config
from scheduler.sync import build_connector


@dataclass(frozen=True, slots=True)
class CheckResult:
    feed_id: str
    connector: str
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


def check_feed(config: Config, feed_id: str) -> CheckResult:
    """Fetch and map the first page of ``feed_id``; never raises for the feed's own failure."""
    feed = config.feed(feed_id)
    base = {"feed_id": feed.id, "connector": feed.connector, "base_url": feed.base_url}
    started = time.monotonic()
    try:
        connector = build_connector(config, feed_id)
    except FeedError as exc:  # known before any request (a demo's platform that is not running)
        return CheckResult(**base, ok=False, error=str(exc))
    auth = "anonymous"
    if isinstance(connector.auth, OAuth2ClientCredentials):
        auth = f"{connector.auth.token_type.upper()} token from {connector.auth.token_url}"
    try:
        pages = connector.harvest(None)
        page = next(pages, None)
        pages.close()
    except FeedError as exc:
        return CheckResult(
            **base,
            ok=False,
            seconds=time.monotonic() - started,
            requests=connector.http.requests_sent,
            auth=auth,
            error=str(exc),
        )
    finally:
        connector.close()
    if page is None:
        return CheckResult(**base, ok=False, auth=auth, error="the connector yielded no page")
    courses = [i for i in page.items if isinstance(i, CourseRecord)]
    rejected = [i for i in page.items if isinstance(i, Rejected)]
    return CheckResult(
        **base,
        ok=True,
        seconds=time.monotonic() - started,
        requests=connector.http.requests_sent,
        auth=auth,
        declared_total=page.declared_total,
        courses=len(courses),
        rejected=len(rejected),
        withdrawn=sum(isinstance(i, Withdrawn) for i in page.items),
        more_pages=not page.last,
        sample=courses[0] if courses else None,
        rejections=[f"{r.key or '(no key)'}: {r.reason}" for r in rejected[:5]],
    )


def describe(result: CheckResult) -> list[str]:
    """The human report of one check, a line each."""
    lines = [f"{result.feed_id} ({result.connector}) {result.base_url}"]
    lines.append(
        f"  connection: {'ok' if result.ok else 'FAILED'} after {result.seconds:.1f} s "
        f"({result.requests} request{'s' if result.requests != 1 else ''})"
    )
    lines.append(f"  auth: {result.auth}")
    if not result.ok:
        lines.append(f"  error: {result.error}")
        return lines
    declared = "not declared" if result.declared_total is None else str(result.declared_total)
    lines.append(f"  items declared by the source: {declared}")
    lines.append(
        f"  first page: {result.courses} courses, {result.rejected} rejected, "
        f"{result.withdrawn} withdrawn{'; more pages follow' if result.more_pages else ''}"
    )
    lines.extend(f"    rejected {r}" for r in result.rejections)
    if result.sample is not None:
        s = result.sample
        lines.append(f"  sample: {s.key} — {s.title}")
        lines.append(
            f"    language {s.language or '-'} · organisation {s.organization or '-'} · "
            f"{len(s.runs)} run{'s' if len(s.runs) != 1 else ''}"
            + (f", first starts {s.runs[0].start:%Y-%m-%d}" if s.runs and s.runs[0].start else "")
        )
        if s.subjects:
            lines.append(f"    subjects: {', '.join(s.subjects[:6])}")
        if s.url:
            lines.append(f"    {s.url}")
    return lines
