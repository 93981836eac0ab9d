"""Two real nodes harvest each other and the cycle stops (issue 19, federation).

Node A holds VNU's feed, node B Tsinghua's (each an OAI-PMH repository on loopback, the
original sources). Each node publishes both universities with ``moocx web`` and harvests the
other's ``/oai`` with mooc-exchange's own ``oaipmh`` connector. After a round each holds both
universities' courses exactly once, those from the other node with provenance naming the node
they came through and the original source; a course that went A → B comes back to A and is
not imported again; a second round (full harvests) changes nothing. SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from catalog.present.documents import course_documents
from catalog.store import tables
from catalog.store.db import make_engine, read_only
from catalog.store.node_secrets import node_secret
from scheduler.cli import run
from scheduler.config import load_config
from scheduler.web import create_app
from scheduler.web.server import make_server, stop
from tests.support.oai_provider import OaiProvider, OaiRecord

VNU = [OaiRecord(f"oai:courses.vnu.test:vnu-{n}", f"Khoá học VNU số {n}") for n in range(1, 13)]
THU = [
    OaiRecord(
        f"oai:courses.thu.test:thu-{n}", f"清华课程 {n}", language="zho", publisher="清华大学"
    )
    for n in range(1, 10)
]


class _Deferred:
    app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


@dataclass
class Served:
    name: str
    url: str
    config_path: Path
    catalog_url: str
    deferred: _Deferred
    server: Any

    def sync(self, *feeds: str, full: bool = False) -> None:
        args = ["--config", str(self.config_path), "sync", "--quiet", *feeds]
        assert run([*args, "--full"] if full else args) == 0, self.name

    def publish(self) -> Engine:
        """Start (or restart) its ``moocx web`` on the catalog as it now is."""
        config = load_config(self.config_path)
        key = node_secret(make_engine(config.catalog_url))
        engine = make_engine(config.catalog_url, read_only=True)
        self.deferred.app = create_app(config, engine, settings=config.publish_settings(key))
        return engine


CONFIG = """\
[catalog]
url = "{catalog_url}"

[[institutions]]
id = "vnu"
country = "VN"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[institutions]]
id = "tsinghua"
country = "CN"
names = {{ zh = "清华大学" }}

[publish]
node_id = "{name}.exchange.test"
base_url = "{url}"
repository_name = "node {name}"
admin_email = "admin@{name}.exchange.test"
institutions = ["vnu", "tsinghua"]

[[feeds]]
id = "{own_feed}"
institution = "{own}"
connector = "oaipmh"
base_url = "{own_source}"

[[feeds]]
id = "from-{peer}"
institution = "{peer_institution}"
connector = "oaipmh"
base_url = "{peer_url}/oai"

[feeds.options]
set = "institution:{peer_institution}"
"""


@pytest.fixture
def two_urls(catalog_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    if catalog_url.startswith("sqlite"):
        return [f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"]
    server = request.getfixturevalue("pg_server")
    return [server.new_database(), server.new_database()]


@pytest.fixture
def nodes(two_urls: list[str], tmp_path: Path) -> Iterator[tuple[Served, Served]]:
    with OaiProvider(VNU, page_size=5) as vnu, OaiProvider(THU, page_size=4) as thu:
        apps = [_Deferred(), _Deferred()]
        servers = [make_server(app, host="127.0.0.1", port=0, threads=4) for app in apps]
        urls = [f"http://127.0.0.1:{s.effective_port}" for s in servers]
        sides = (("a", "vnu", "vnu-oai", vnu.url, "b", "tsinghua"),
                 ("b", "tsinghua", "thu-oai", thu.url, "a", "vnu"))  # fmt: skip
        made = []
        for i, (name, own, feed, source, peer, peer_inst) in enumerate(sides):
            path = tmp_path / name / "config.toml"
            path.parent.mkdir()
            path.write_text(
                CONFIG.format(catalog_url=two_urls[i], name=name, url=urls[i], own=own,
                              own_feed=feed, own_source=source, peer=peer,
                              peer_institution=peer_inst, peer_url=urls[1 - i]),
                encoding="utf-8",
            )  # fmt: skip
            made.append(Served(name, urls[i], path, two_urls[i], apps[i], servers[i]))
        threads = [threading.Thread(target=s.run, daemon=True) for s in servers]
        for thread in threads:
            thread.start()
        try:
            yield made[0], made[1]
        finally:
            for server, thread in zip(servers, threads, strict=True):
                stop(server, thread)


def titles(url: str) -> Counter[str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = Counter(conn.execute(select(tables.courses.c.title)).scalars())
    engine.dispose()
    return found


def last_runs(url: str) -> list[tuple[str, int, int, str]]:
    """Each feed's last run: (feed, new, updated, status)."""
    r = tables.harvest_runs.c
    engine = make_engine(url)
    with engine.connect() as conn:
        latest = select(r.feed_id, func.max(r.id).label("id")).group_by(r.feed_id).subquery()
        rows = conn.execute(
            select(r.feed_id, r.new, r.updated, r.status).join(latest, latest.c.id == r.id)
        ).all()
    engine.dispose()
    return sorted(tuple(row) for row in rows)  # type: ignore[misc]


def harvest_both_ways(a: Served, b: Served) -> list[Engine]:
    """Each node syncs its own source, publishes, and harvests the other twice (the second
    time the other node also republishes what it harvested from this one)."""
    a.sync("vnu-oai")
    b.sync("thu-oai")
    engines = [a.publish(), b.publish()]
    for _ in range(2):
        a.sync("from-b")
        b.sync("from-a")
    return engines


def test_two_nodes_harvest_each_other_and_the_cycle_stops(nodes: tuple[Served, Served]) -> None:
    a, b = nodes
    engines = harvest_both_ways(a, b)
    expected = Counter(r.title for r in VNU + THU)
    for node in (a, b):
        assert titles(node.catalog_url) == expected, node.name  # both, exactly once each

    reader = make_engine(a.catalog_url)
    with read_only(reader) as conn:
        through_b = [d for d in course_documents(conn) if d.feed == "from-b"]
    reader.dispose()
    assert len(through_b) == len(THU)
    for document in through_b:
        hops = document.provenance
        assert hops[0].base_url == f"{b.url}/oai"  # the node it came through
        assert hops[0].identifier.startswith("oai:b.exchange.test:thu-oai:")
        assert hops[-1].identifier.startswith("oai:courses.thu.test:thu-")  # its origin
        assert all(not h.identifier.startswith("oai:a.exchange.test:") for h in hops)
    for engine in engines:
        engine.dispose()


def test_a_second_round_changes_nothing(nodes: tuple[Served, Served]) -> None:
    a, b = nodes
    engines = harvest_both_ways(a, b)
    before = (titles(a.catalog_url), titles(b.catalog_url))
    time.sleep(1.1)  # the next round's responses carry a later responseDate (seconds)
    for node in (a, b):  # every feed read whole again
        node.sync(full=True)
    assert (titles(a.catalog_url), titles(b.catalog_url)) == before
    for node in (a, b):
        for feed, new, updated, status in last_runs(node.catalog_url):
            assert (status, new, updated) == ("succeeded", 0, 0), (node.name, feed)
    for engine in engines:
        engine.dispose()
