"""The contract every connector keeps, checked over every registered connector.

A connector joins by shipping ``tests/fixtures/<name>/contract.toml`` (see tests/fixtures/README.md)
— not by writing these tests again. The doors between the rooms are checked here too: a
connector imports nothing of the catalog or the scheduler, and the catalog imports from the
connectors only the record contract and the feed prefix (see :data:`CATALOG_MAY_IMPORT`).
"""

from __future__ import annotations

import ast
import gzip
import importlib.util
import json
import tomllib
from collections.abc import Iterator
from dataclasses import FrozenInstanceError, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import responses
from pydantic import TypeAdapter
from responses import matchers

from connectors import registry
from connectors.base import Connector, FeedContext
from connectors.http import HttpSettings
from connectors.records import CourseRecord, CourseRun, Page, Rejected, Withdrawn, is_http_url

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CONNECTORS = registry.available()


def _spec(name: str) -> dict[str, Any]:
    path = FIXTURES / name / "contract.toml"
    assert path.exists(), f"connector {name!r} has no {path.relative_to(FIXTURES.parent)}"
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _encode(body: bytes, encoding: str | None) -> bytes:
    if encoding == "gzip":
        return gzip.compress(body)
    if encoding == "br":
        import brotli

        return brotli.compress(body)
    return body


def _register(mock: responses.RequestsMock, name: str, spec: dict[str, Any]) -> None:
    for entry in spec["responses"]:
        body = (FIXTURES / name / entry["file"]).read_bytes()
        headers = dict(entry.get("headers", {}))
        default_type = "application/xml" if entry["file"].endswith(".xml") else "application/json"
        match = [matchers.json_params_matcher(entry["json_body"])] if "json_body" in entry else []
        if "?" not in entry["url"]:
            # Without this, `responses` lets a query-less URL answer requests with any query.
            match.append(matchers.query_param_matcher({}))
        mock.add(
            entry.get("method", "GET"),
            entry["url"],
            body=_encode(body, headers.get("Content-Encoding")),
            status=entry.get("status", 200),
            content_type=entry.get("content_type", default_type),
            headers=headers,
            match=match,
        )


def _connector(name: str, spec: dict[str, Any]) -> Connector:
    cls = registry.load(name)
    feed = FeedContext(
        feed_id=f"contract-{name}",
        base_url=spec["base_url"],
        timezone=spec.get("timezone", "UTC"),
        http=HttpSettings(max_retries=0),
    )
    options = TypeAdapter(cls.Options).validate_python(spec.get("options", {}))
    return cls(feed, options)


@pytest.fixture
def harvested(request: pytest.FixtureRequest) -> Iterator[tuple[str, dict, list[Page]]]:
    name = request.param
    spec = _spec(name)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _register(mock, name, spec)
        connector = _connector(name, spec)
        try:
            pages = list(connector.harvest(None))
        finally:
            connector.close()
        yield name, spec, pages


def _datetimes(record: CourseRecord) -> Iterator[tuple[str, datetime | None]]:
    yield "modified", record.modified
    for run in record.runs:
        for f in ("start", "end", "enrollment_start", "enrollment_end"):
            yield f"runs[{run.key}].{f}", getattr(run, f)


@pytest.mark.parametrize("harvested", CONNECTORS, indirect=True)
def test_yields_courses_with_unique_keys_titles_absolute_urls_and_aware_dates(harvested) -> None:
    name, _, pages = harvested
    assert len(pages) >= 2, f"{name}: contract fixtures must span at least two pages"
    assert pages[-1].last and not any(p.last for p in pages[:-1])
    courses = [i for p in pages for i in p.items if isinstance(i, CourseRecord)]
    assert courses, f"{name} yielded no course"
    for page in pages:
        assert all(isinstance(i, CourseRecord | Withdrawn | Rejected) for i in page.items)
        keys = [i.key for i in page.items if isinstance(i, CourseRecord)]
        assert len(keys) == len(set(keys)), f"{name}: duplicate keys on page {page.number}"
        assert is_http_url(page.url)
        json.dumps(page.cursor)  # persisted as JSON by the catalog
    for course in courses:
        assert course.key.strip(), f"{name}: empty key"
        assert course.title.strip(), f"{name}: empty title for {course.key}"
        assert all(isinstance(r, CourseRun) and r.key.strip() for r in course.runs)
        for label, url in [("url", course.url), ("image_url", course.image_url)] + [
            (f"runs[{r.key}].url", r.url) for r in course.runs
        ]:
            assert url is None or is_http_url(url), f"{name} {course.key} {label}: {url!r}"
        for label, value in _datetimes(course):
            assert value is None or value.utcoffset() is not None, f"{name} {course.key} {label}"
        assert all(isinstance(s, str) and s for s in course.subjects)


@pytest.mark.parametrize("name", CONNECTORS)
def test_every_mid_harvest_cursor_resumes_with_exactly_the_remaining_pages(name: str) -> None:
    spec = _spec(name)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _register(mock, name, spec)
        full = list(_connector(name, spec).harvest(None))
        for i, page in enumerate(full[:-1]):
            resumed = list(_connector(name, spec).harvest(json.loads(json.dumps(page.cursor))))
            assert [p.items for p in resumed] == [p.items for p in full[i + 1 :]], (
                f"{name}: resuming after page {page.number} did not give the remaining pages"
            )


@pytest.mark.parametrize("name", CONNECTORS)
def test_connector_module_imports_nothing_from_the_catalog_or_the_scheduler(name: str) -> None:
    module = registry._entry_points()[name].value.split(":")[0]
    origin = importlib.util.find_spec(module).origin
    tree = ast.parse(Path(origin).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"catalog", "scheduler", "sqlalchemy"}, f"{module} imports {imported}"


#: What the catalog may import from the connectors room: the record contract, and the feed
#: prefix of log lines and error messages (``feed <id>: ``) — a convention every room writes
#: the same way, kept in one place. Both modules import only the standard library, so the
#: catalog never pulls in HTTP, XML or a concrete connector through them.
CATALOG_MAY_IMPORT = frozenset({"connectors.records", "connectors.feedlog"})


def _imports(path: Path) -> set[str]:
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imported.add(node.module)
    return imported


def test_the_catalog_imports_only_the_records_and_the_feed_prefix_from_the_connectors() -> None:
    root = Path(__file__).resolve().parents[2]
    wrong = {
        f"{path.relative_to(root)}: {name}"
        for path in sorted((root / "catalog").rglob("*.py"))
        for name in _imports(path)
        if name.split(".")[0] == "connectors" and name not in CATALOG_MAY_IMPORT
    }
    assert not wrong, wrong
    for name in CATALOG_MAY_IMPORT:
        origin = importlib.util.find_spec(name).origin
        own = {m for m in _imports(Path(origin)) if m.split(".")[0] in {"connectors", "requests"}}
        assert not own, f"{name} imports {own}"


@pytest.mark.parametrize("name", CONNECTORS)
def test_options_are_a_frozen_dataclass_whose_every_option_has_a_default(name: str) -> None:
    cls = registry.load(name)
    assert cls.kind == name
    assert cls.description
    options = cls.Options()  # every option has a default
    if fields(options):
        with pytest.raises(FrozenInstanceError):
            setattr(options, fields(options)[0].name, None)
