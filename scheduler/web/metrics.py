"""``/metrics``: the service's requests and the catalog's harvests, in Prometheus text format.

Each app has its own registry (several apps in one test process never share counters). The
harvest figures are read from the catalog on every scrape (:class:`CatalogCollector`), so every
replica behind a load balancer reports the same, current values, and no sync has to tell the
web service anything.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from catalog.store import tables
from catalog.store.db import read_only

log = logging.getLogger(__name__)

#: Request latency buckets, seconds: a page of the protocols answers in tens of milliseconds.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RequestMetrics:
    """Requests per endpoint (route template), method and status, and their latency."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "moocx_web_requests",
            "HTTP requests answered, by route template, method and status.",
            ("endpoint", "method", "status"),
            registry=registry,
        )
        self.latency = Histogram(
            "moocx_web_request_duration_seconds",
            "Time to answer a request (until its body starts), by route template.",
            ("endpoint",),
            buckets=_BUCKETS,
            registry=registry,
        )

    def observe(self, endpoint: str, method: str, status: str, seconds: float) -> None:
        self.requests.labels(endpoint, method, status).inc()
        self.latency.labels(endpoint).observe(seconds)


class CatalogCollector(Collector):
    """Per feed: runs by status, the last success, failures in a row — read on each scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("moocx_catalog_up", "1 when the catalog answered this scrape.")
        try:
            families = self._read()
        except SQLAlchemyError as exc:
            log.warning("/metrics: the catalog did not answer: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self) -> list[Metric]:
        runs = CounterMetricFamily(
            "moocx_feed_runs",
            "Harvest runs recorded, by feed and status.",
            labels=("feed", "status"),
        )
        last = GaugeMetricFamily(
            "moocx_feed_last_success_timestamp_seconds",
            "When the feed's last successful harvest ended (Unix time).",
            labels=("feed",),
        )
        failures = GaugeMetricFamily(
            "moocx_feed_consecutive_failures",
            "The feed's failed runs since its last success.",
            labels=("feed",),
        )
        f, r = tables.feeds.c, tables.harvest_runs.c
        with read_only(self.engine) as conn:
            counted = conn.execute(
                select(r.feed_id, r.status, func.count()).group_by(r.feed_id, r.status)
            ).all()
            feeds = conn.execute(
                select(f.id, f.last_success_at, f.consecutive_failures).order_by(f.id)
            ).all()
        for feed_id, status, count in sorted(counted):
            runs.add_metric([feed_id, status], count)
        for feed_id, success, failed in feeds:
            if success is not None:
                aware = success if success.tzinfo else success.replace(tzinfo=UTC)
                last.add_metric([feed_id], aware.timestamp())
            failures.add_metric([feed_id], failed or 0)
        return [runs, last, failures]


def registry_for(engine: Engine) -> tuple[CollectorRegistry, RequestMetrics]:
    """A fresh registry with the request metrics and the catalog's collector."""
    registry = CollectorRegistry(auto_describe=False)
    metrics = RequestMetrics(registry)
    registry.register(CatalogCollector(engine))
    return registry, metrics


def exposition(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
