"""`moocx check`: first page, auth, declared count and a sample — and nothing written."""

from __future__ import annotations

from pathlib import Path

import responses

from scheduler.cli import run
from tests.conftest import fixture_json
from tests.scheduler.test_sync_openedx import AUTH, BASE, CONFIG, TOKEN_URL, page_url


def _config(tmp_path: Path, monkeypatch, auth: bool = False) -> Path:
    path = tmp_path / "config.toml"
    catalog_url = f"sqlite:///{tmp_path / 'catalog.db'}"
    path.write_text(
        CONFIG.format(base=BASE, auth=AUTH if auth else "", catalog_url=catalog_url),
        encoding="utf-8",
    )
    monkeypatch.setenv("VNU_SECRET", "s3cr3t-check")
    return path


@responses.activate
def test_check_reports_first_page_auth_declared_count_and_a_sample(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    responses.post(TOKEN_URL, json={"access_token": "tok", "expires_in": 3600})
    responses.get(page_url(1), json=fixture_json("openedx", "courses_page1.json"))
    assert run(["--config", str(_config(tmp_path, monkeypatch, auth=True)), "check"]) == 0
    out = capsys.readouterr().out
    assert "vnu-openedx (openedx) https://courses.vnu.edu.vn" in out
    assert "connection: ok" in out and "(2 requests)" in out
    assert f"auth: JWT token from {TOKEN_URL}" in out
    assert "items declared by the source: 8" in out
    assert "first page: 2 courses, 0 rejected, 0 withdrawn; more pages follow" in out
    assert "sample: UETx+INT1001 — Nhập môn Trí tuệ nhân tạo" in out
    assert "language vi · organisation UETx · 2 runs, first starts 2025-02-17" in out
    assert len(responses.calls) == 2  # the token and one page: page 2 is never fetched
    assert not (tmp_path / "catalog.db").exists()  # nothing written, not even a catalog
    assert "s3cr3t-check" not in out


@responses.activate
def test_check_reports_a_failing_feed_and_exits_1(tmp_path: Path, monkeypatch, capsys) -> None:
    responses.get(page_url(1), body="<html><title>Sign in</title></html>", content_type="text/html")
    assert run(["--config", str(_config(tmp_path, monkeypatch)), "check", "vnu-openedx"]) == 1
    out = capsys.readouterr().out
    assert "connection: FAILED" in out and "answered an HTML page" in out and "Sign in" in out


@responses.activate
def test_check_shows_the_open_edx_count_in_runs_and_the_pages_a_harvest_takes(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    responses.get(page_url(1), json=fixture_json("openedx", "courses_page1.json"))
    assert run(["--config", str(_config(tmp_path, monkeypatch)), "check"]) == 0
    out = capsys.readouterr().out
    assert "API count: 8 course runs on 3 pages; grouped into courses (ORG+NUM)" in out
    assert out.rstrip().endswith("checked 1 feed: 1 ok")
    assert len(responses.calls) == 1  # the count comes from the first page: no extra request


MOOCHUB = """
[catalog]
url = "sqlite:///{db}"

[[institutions]]
id = "vnu"
country = "VN"
timezone = "Asia/Ho_Chi_Minh"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[feeds]]
id = "vnu-moochub"
institution = "vnu"
connector = "moochub"
base_url = "https://mooc.vnu.edu.vn/bridges/moochub"
"""


@responses.activate
def test_check_shows_the_moochub_version_the_server_answered_and_its_sunset(
    tmp_path: Path, capsys
) -> None:
    responses.get(
        "https://mooc.vnu.edu.vn/bridges/moochub/courses",
        json=fixture_json("moochub", "courses.json"),
        content_type="application/vnd.api+json; moochub-version=2.3",
        headers={"Sunset": "Wed, 31 Dec 2025 23:59:59 GMT"},
    )
    config = tmp_path / "config.toml"
    config.write_text(MOOCHUB.format(db=tmp_path / "catalog.db"), encoding="utf-8")
    assert run(["--config", str(config), "check"]) == 0
    out = capsys.readouterr().out
    assert "MOOChub version: asked 3, answered 2.3" in out
    assert "Sunset: Wed, 31 Dec 2025 23:59:59 GMT: move options.version to a newer one" in out
    assert "items: MOOChub 3 shapes on the first page" in out
    assert len(responses.calls) == 1


@responses.activate
def test_an_html_page_where_the_api_should_answer_names_the_api(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    responses.get(
        page_url(1), body="<html><title>VNU Portal</title></html>", content_type="text/html"
    )
    assert run(["--config", str(_config(tmp_path, monkeypatch)), "check"]) == 1
    out = capsys.readouterr().out
    assert (
        'answered an HTML page (HTTP 200, text/html, "VNU Portal"), not the Open edX Courses API:'
        " is base_url the API root"
    ) in out
    assert "checked 1 feed: 0 ok, 1 failed: vnu-openedx (not the API at base_url)" in out


@responses.activate
def test_a_404_at_the_first_url_hints_at_base_url(tmp_path: Path, monkeypatch, capsys) -> None:
    responses.get(page_url(1), status=404, json={"detail": "Not found."})
    assert run(["--config", str(_config(tmp_path, monkeypatch)), "check"]) == 1
    out = capsys.readouterr().out
    assert "error: HTTP 404 from" in out
    assert "hint: the API's first URL does not exist (HTTP 404): is base_url the API root?" in out
    assert "failed: vnu-openedx (HTTP 404)" in out
