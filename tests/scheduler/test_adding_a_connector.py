"""Adding a connector (README): a connector that is nothing but options, a first request, a
paginator and a pure ``parse_page`` gets the whole harvest loop — through the real sync, from a
TOML config into a SQLite catalog: its courses land, a re-sync asks conditionally and carries
unchanged pages over, and the guard stops a source that sends the harvest round in circles."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Annotated, Any

import pytest
import responses
from annotated_types import Ge
from responses import matchers
from sqlalchemy import create_engine, text

from connectors import registry
from connectors.base import Connector
from connectors.http import HttpResponse, decode_json
from connectors.paging import NextLink, Paginator, Parsed, Request
from connectors.records import CourseRecord, Cursor, Rejected
from scheduler.cli import run

BASE = "https://toy.example.org"
PAGE1 = f"{BASE}/catalog?size=2"
PAGE2 = f"{BASE}/catalog?size=2&after=B"


# -- the connector: options, request shape, pure mapping; nothing else ------------------------


@dataclass(frozen=True, slots=True)
class ToyOptions:
    size: Annotated[int, Ge(1)] = 2
    max_pages: Annotated[int, Ge(1)] = 100


def map_course(raw: Any) -> CourseRecord | Rejected:
    if not isinstance(raw, dict) or not raw.get("id") or not raw.get("title"):
        return Rejected("id or title missing", key=raw.get("id") if isinstance(raw, dict) else None)
    return CourseRecord(key=raw["id"], title=raw["title"], language="vi", raw=raw)


class ToyConnector(Connector[ToyOptions]):
    kind = "toy"
    Options = ToyOptions
    description = "Toy platform (/catalog), for the README's Adding a connector"
    conditional_get = True

    def first_request(self, cursor: Cursor) -> Request:
        return Request(f"{self.feed.base_url}/catalog?size={self.options.size}")

    def paginator(self) -> Paginator:
        return NextLink(self.feed, "next", max_pages=self.options.max_pages)

    def parse_page(self, response: HttpResponse) -> Parsed:
        body = decode_json(response, feed_id=self.feed.feed_id)
        items = [map_course(raw) for raw in body["courses"]]
        return Parsed(items=items, next=body.get("next"), declared_total=body.get("total"))


# -- the source and the sync --------------------------------------------------------------------

CONFIG = """
[catalog]
url = "{catalog_url}"

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[feeds]]
id = "toy"
institution = "vnu"
connector = "toy"
base_url = "{base}"

[feeds.options]
size = 2
"""

PAGES = {
    PAGE1: {
        "courses": [{"id": "A", "title": "Giáo dục học"}, {"id": "B", "title": "数据结构"}],
        "next": PAGE2,
        "total": 3,
    },
    PAGE2: {"courses": [{"id": "C", "title": "Kinh tế vĩ mô"}], "next": None, "total": 3},
}


class Source:
    """Serves PAGES with an ETag each, answering 304 to a request that names it."""

    def __init__(self, pages: dict[str, dict[str, Any]]) -> None:
        self.pages = pages
        self.asked: list[tuple[str, str | None]] = []

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        body = json.dumps(self.pages[request.url])
        etag = f'"{abs(hash(body))}"'
        self.asked.append((request.url, request.headers.get("If-None-Match")))
        if request.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, ""
        return 200, {"ETag": etag, "Content-Type": "application/json"}, body


@pytest.fixture
def toy_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """``toy`` registered under the entry-point group, as ``pip install`` would."""
    builtins = {ep.name: ep for ep in registry._entry_points().values()}
    toy = EntryPoint(name="toy", value=f"{__name__}:ToyConnector", group=registry.GROUP)
    monkeypatch.setattr(registry, "_entry_points", lambda: {**builtins, "toy": toy})


@pytest.fixture
def config(tmp_path: Path, toy_installed: None) -> Path:
    path = tmp_path / "config.toml"
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    path.write_text(CONFIG.format(catalog_url=url, base=BASE), encoding="utf-8")
    return path


def serve(source: Source) -> None:
    for url in source.pages:
        query = matchers.query_string_matcher(url.partition("?")[2])
        responses.add_callback(responses.GET, url, callback=source, match=[query])


def sync(config: Path) -> int:
    return run(["--config", str(config), "sync", "--quiet"])


def catalog(config: Path, sql: str) -> list[Any]:
    engine = create_engine(f"sqlite:///{config.parent / 'catalog.db'}")
    with engine.connect() as conn:
        rows = list(conn.execute(text(sql)))
    engine.dispose()
    return rows


@responses.activate
def test_its_courses_land_in_the_catalog(config: Path) -> None:
    serve(Source(PAGES))
    assert sync(config) == 0
    assert catalog(config, "SELECT key, title FROM courses ORDER BY key") == [
        ("A", "Giáo dục học"),
        ("B", "数据结构"),
        ("C", "Kinh tế vĩ mô"),
    ]


@responses.activate
def test_a_resync_asks_conditionally_and_carries_unchanged_pages_over(config: Path) -> None:
    source = Source(PAGES)
    serve(source)
    assert sync(config) == 0
    source.asked.clear()
    assert sync(config) == 0
    assert [url for url, _ in source.asked] == [PAGE1, PAGE2]
    assert all(etag for _, etag in source.asked), "the re-sync sent If-None-Match on every page"
    [(new, unchanged, status)] = catalog(
        config, "SELECT new, unchanged, status FROM harvest_runs ORDER BY id DESC LIMIT 1"
    )
    assert (new, unchanged, status) == (0, 3, "succeeded")
    assert len(catalog(config, "SELECT key FROM courses")) == 3
    # The known pages went beside the cursor: what is stored is the connector's own.
    stored = catalog(config, "SELECT cursor, resume_cursor FROM feeds")
    stored += catalog(config, "SELECT next_cursor, NULL FROM harvest_pages")
    assert stored and not any("validators" in str(value) for row in stored for value in row)


@responses.activate
def test_the_guard_stops_a_source_that_loops(config: Path) -> None:
    looping = {PAGE1: PAGES[PAGE1], PAGE2: {**PAGES[PAGE2], "next": PAGE1}}
    serve(Source(looping))
    assert sync(config) != 0
    [(status, error)] = catalog(config, "SELECT status, error FROM harvest_runs")
    assert status == "failed" and "next repeats" in error
    assert len(catalog(config, "SELECT key FROM courses")) == 3  # what it read is kept
