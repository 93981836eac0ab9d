"""`moocx web` served for real on loopback: health, metrics, the exchange, CORS, and the
answers to what a client should not send (unknown paths and methods, oversized bodies)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from urllib.parse import urlsplit

import jsonschema
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from catalog.present.export_json import SCHEMA_FILE
from catalog.store import tables
from catalog.store.db import make_engine
from scheduler.web import create_app
from tests.scheduler.web.conftest import Node


def raw(node: Node, method: str, path: str, body: bytes | None = None, **headers: str):
    """One request sent exactly as written (no client-side normalisation of the path)."""
    conn = http.client.HTTPConnection(urlsplit(node.url).netloc, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_healthz_says_ok_while_the_catalog_answers(node: Node) -> None:
    response = requests.get(f"{node.url}/healthz", timeout=10)
    assert response.status_code == 200
    assert response.text.strip() == "ok"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_healthz_is_503_when_the_catalog_does_not_answer(node: Node, tmp_path) -> None:
    # A folder is no database: every connection fails, as a lost database server would.
    engine = make_engine(f"sqlite:///{tmp_path}", read_only=True)
    app = create_app(node.config, engine, settings=node.config.publish_settings(b"k" * 32))
    from falcon import testing

    result = testing.TestClient(app).simulate_get("/healthz")
    assert result.status_code == 503
    assert "Traceback" not in result.text


def test_metrics_count_requests_and_show_each_feeds_harvests(node: Node) -> None:
    requests.get(f"{node.url}/healthz", timeout=10)
    requests.get(f"{node.url}/no/such/page", timeout=10)
    response = requests.get(f"{node.url}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    assert value("moocx_web_requests_total", endpoint="/healthz", method="GET", status="200") == 1
    assert value("moocx_web_requests_total", endpoint="unmatched", method="GET", status="404") == 1
    assert value("moocx_web_request_duration_seconds_count", endpoint="/healthz") == 1
    assert value("moocx_catalog_up") == 1
    with node.engine.connect() as conn:
        runs = conn.execute(
            select(tables.harvest_runs.c.feed_id, func.count())
            .where(tables.harvest_runs.c.status == "succeeded")
            .group_by(tables.harvest_runs.c.feed_id)
        ).all()
    assert {feed for feed, _ in runs} == {"vnu-openedx", "tsinghua-xuetangx"}
    for feed, count in runs:  # what the demo's sync recorded, feed by feed
        assert value("moocx_feed_runs_total", feed=feed, status="succeeded") == count
        assert value("moocx_feed_consecutive_failures", feed=feed) == 0
        assert value("moocx_feed_last_success_timestamp_seconds", feed=feed) > 1.7e9


def test_the_exchange_is_the_export_for_one_audience_of_published_institutions(
    start_node: Callable[..., Node],
) -> None:
    node = start_node(institutions=["vnu"])  # Tsinghua has not consented
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))

    to_tsinghua = requests.get(f"{node.url}/exchange/tsinghua.json", timeout=10)
    assert to_tsinghua.status_code == 200
    assert to_tsinghua.headers["Content-Type"].startswith("application/json")
    document = to_tsinghua.json()
    jsonschema.validate(document, schema)
    assert document["courses"], "VNU's courses offered to Tsinghua students are published"
    for course in document["courses"]:
        assert course["institution"] == "vnu"
        assert course["offers"] and {o["audience"] for o in course["offers"]} == {"tsinghua"}
        assert {o["offering"] for o in course["offers"]} == {"vnu"}
    assert {i["id"] for i in document["institutions"]} == {"vnu", "tsinghua"}

    to_vnu = requests.get(f"{node.url}/exchange/vnu.json", timeout=10).json()
    jsonschema.validate(to_vnu, schema)
    assert to_vnu["courses"] == []  # Tsinghua's offers to VNU: not consented, not published


def test_unknown_and_unpublished_audiences_are_404(start_node: Callable[..., Node]) -> None:
    node = start_node(audiences=["tsinghua"])
    assert requests.get(f"{node.url}/exchange/tsinghua.json", timeout=10).status_code == 200
    for path in ("/exchange/vnu.json", "/exchange/nobody.json", "/feeds/vnu.atom", "/feeds/x.atom"):
        response = requests.get(node.url + path, timeout=10)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == 404


def test_cors_on_the_json_endpoints_only(node: Node) -> None:
    origin = {"Origin": "https://students.example.org"}
    exchange = requests.get(f"{node.url}/exchange/vnu.json", headers=origin, timeout=10)
    assert exchange.headers["Access-Control-Allow-Origin"] == "*"
    preflight = requests.options(
        f"{node.url}/exchange/vnu.json",
        headers={**origin, "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    moochub = requests.options(f"{node.url}/moochub/courses", headers=origin, timeout=10)
    assert moochub.headers["Access-Control-Allow-Origin"] == "*"
    for path in ("/healthz", "/metrics", "/site/vnu/"):
        assert (
            "Access-Control-Allow-Origin"
            not in requests.get(node.url + path, headers=origin, timeout=10).headers
        ), path


def test_cors_names_only_the_configured_origins(start_node: Callable[..., Node]) -> None:
    node = start_node(web='\n[web]\ncors_origins = ["https://students.example.org"]\n')
    url = f"{node.url}/exchange/vnu.json"
    allowed = requests.get(url, headers={"Origin": "https://students.example.org"}, timeout=10)
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://students.example.org"
    assert "Origin" in allowed.headers["Vary"]
    other = requests.get(url, headers={"Origin": "https://elsewhere.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in other.headers


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", "/oai"), ("PUT", "/oai"), ("POST", "/healthz"), ("POST", "/moochub/courses"),
     ("PATCH", "/exchange/vnu.json"), ("POST", "/site/vnu/index.html"), ("DELETE", "/metrics")],
)  # fmt: skip
def test_methods_other_than_the_endpoints_own_are_405(node: Node, method: str, path: str) -> None:
    status, headers, body = raw(node, method, path, body=b"")
    assert status == 405
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert b"Traceback" not in body


def test_unknown_paths_are_404_problems(node: Node) -> None:
    for path in ("/nothing", "/oai/extra", "/feeds/", "/exchange/vnu.csv", "/.env"):
        status, headers, body = raw(node, "GET", path)
        assert status == 404, path
        assert headers["Content-Type"] == "application/problem+json"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert json.loads(body)["status"] == 404


def test_a_body_over_the_cap_is_413(node: Node) -> None:
    form = b"verb=Identify&padding=" + b"x" * (70 * 1024)
    status, headers, body = raw(
        node, "POST", "/oai", body=form, **{"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 413
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert json.loads(body)["status"] == 413


def test_a_chunked_body_over_the_cap_is_413(node: Node) -> None:
    def chunks():
        for _ in range(80):
            yield b"x" * 1024

    response = requests.post(
        f"{node.url}/oai",
        data=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert response.status_code == 413
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_post_that_is_not_a_form_is_415(node: Node) -> None:
    status, headers, _ = raw(node, "POST", "/oai", body=b"<x/>", **{"Content-Type": "text/xml"})
    assert status == 415
    assert headers["Content-Type"] == "application/problem+json"


def test_an_unexpected_error_is_a_bare_500_never_a_traceback(
    node: Node, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import scheduler.web.exchange as exchange

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug with a secret path /etc/moocx")

    monkeypatch.setattr(exchange, "course_documents", broken)
    status, headers, body = raw(node, "GET", "/exchange/vnu.json")
    assert status == 500
    assert headers["Content-Type"] == "application/problem+json"
    assert b"secret" not in body and b"Traceback" not in body
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "a bug with a secret path" in caplog.text  # the admin's log has it


def test_the_index_lists_the_endpoints(node: Node) -> None:
    index = requests.get(f"{node.url}/", timeout=10)
    assert index.status_code == 200
    body = index.json()
    assert "/oai" in body["endpoints"] and "/healthz" in body["endpoints"]
    assert body["node_id"] == "exchange.vnu.test"
    assert body["sites"] == ["tsinghua", "vnu"]
