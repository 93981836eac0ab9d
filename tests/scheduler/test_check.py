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
    assert "connection: FAILED" in out and "returned an HTML page" in out and "Sign in" in out
