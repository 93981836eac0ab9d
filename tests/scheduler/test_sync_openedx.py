"""The admin's story end to end: a config file, a mocked Open edX platform, `moocx sync`,
and what lands in the catalog — including every way the platform can misbehave."""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path

import jsonschema
import pytest
import responses
from responses import matchers
from sqlalchemy import create_engine, text

from catalog.present.export_json import SCHEMA_FILE
from scheduler.cli import run
from tests.conftest import fixture_json

BASE = "https://courses.vnu.edu.vn"
LIST = f"{BASE}/api/courses/v1/courses/"
TOKEN_URL = f"{BASE}/oauth2/access_token"
SECRET = "s3cr3t-SENTINEL-value"

CONFIG = """
[catalog]
url = "{catalog_url}"

[http]
max_retries = 2

[[institutions]]
id = "vnu"
country = "VN"
timezone = "Asia/Ho_Chi_Minh"
names = {{ vi = "Đại học Quốc gia Hà Nội", en = "Vietnam National University, Hanoi" }}

[[feeds]]
id = "vnu-openedx"
institution = "vnu"
connector = "openedx"
base_url = "{base}"

[feeds.options]
page_size = 3
{auth}
"""

AUTH = """
[feeds.auth]
client_id = "moocx-harvester"
client_secret = "${VNU_SECRET}"
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog_url: str):
    """Writes the admin's config.toml for a catalog on SQLite or PostgreSQL."""

    def write(auth: bool = False) -> Path:
        path = tmp_path / "config.toml"
        path.write_text(
            CONFIG.format(base=BASE, auth=AUTH if auth else "", catalog_url=catalog_url),
            encoding="utf-8",
        )
        monkeypatch.setenv("VNU_SECRET", SECRET)
        return path

    return write


@pytest.fixture
def db(catalog_url: str):
    """Read access to the catalog the CLI writes, for assertions."""
    engine = create_engine(catalog_url)
    yield engine
    engine.dispose()


def page_url(n: int) -> str:
    return LIST + ("?page_size=3" if n == 1 else f"?page={n}&page_size=3")


def serve_pages(overrides: dict[int, dict] | None = None) -> None:
    for n in (1, 2, 3):
        kwargs = (overrides or {}).get(n) or {
            "json": fixture_json("openedx", f"courses_page{n}.json")
        }
        responses.get(page_url(n), **kwargs)


def catalog_rows(db) -> list[tuple]:
    with db.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                text(
                    "SELECT c.key, c.title, c.content_hash, c.updated_at, count(r.id) "
                    "FROM courses c LEFT JOIN course_runs r ON r.course_id = c.id "
                    "GROUP BY c.id, c.key, c.title, c.content_hash, c.updated_at ORDER BY c.key"
                )
            )
        ]


def last_run(db) -> dict:
    with db.connect() as conn:
        return dict(
            conn.execute(text("SELECT * FROM harvest_runs ORDER BY id DESC LIMIT 1"))
            .mappings()
            .one()
        )


def sync(config_path: Path, *args: str) -> int:
    return run(["--config", str(config_path), "sync", "--quiet", *args])


@responses.activate
def test_multi_page_harvest_lands_every_course_once_and_a_second_sync_changes_nothing(
    config, tmp_path: Path, capsys, db
) -> None:
    path = config()
    serve_pages()
    assert sync(path) == 0
    out = capsys.readouterr().out
    assert (
        "vnu-openedx: succeeded (full) · new 4 · updated 0 · unchanged 0 · rejected 0 · 3 pages"
        in out
    )
    rows = catalog_rows(db)
    assert [(key, title, runs) for key, title, _h, _u, runs in rows] == [
        ("UETx+INT1001", "Nhập môn Trí tuệ nhân tạo", 2),
        ("UETx+INT2215", "Lập trình C++ <Nâng cao>", 2),  # runs on pages 1 and 2
        ("ULISx+CHI1001", "Tiếng Trung Quốc cơ sở 1", 1),  # hidden 2024 run left out
        ("USSHx+EDU1001", "Giáo dục học đại cương", 1),
    ]

    assert sync(path) == 0
    assert "new 0 · updated 0 · unchanged 4" in capsys.readouterr().out
    assert catalog_rows(db) == rows  # same hashes, same updated_at: nothing rewritten
    assert last_run(db)["status"] == "succeeded"


def pages_read(db) -> list[tuple[int, bool]]:
    """(page number, carried over unread) of the last run's pages."""
    with db.connect() as conn:
        return [
            (row.number, bool(row.not_modified))
            for row in conn.execute(
                text(
                    "SELECT number, not_modified FROM harvest_pages WHERE run_id = "
                    "(SELECT max(id) FROM harvest_runs) ORDER BY number"
                )
            )
        ]


@responses.activate
def test_pages_with_the_same_bytes_are_not_read_again_and_a_changed_page_is(
    config, tmp_path: Path, capsys, db
) -> None:
    """No ETag on this LMS: the page digests stand in, so a re-sync parses only what changed."""
    path = config()
    serve_pages()
    assert sync(path) == 0
    rows = catalog_rows(db)
    capsys.readouterr()

    assert sync(path) == 0
    assert "new 0 · updated 0 · unchanged 4 · rejected 0 · 3 pages" in capsys.readouterr().out
    assert pages_read(db) == [(1, True), (2, True), (3, True)]
    assert catalog_rows(db) == rows
    assert last_run(db)["status"] == "succeeded" and last_run(db)["complete"]
    assert run(["--config", str(path), "runs", "show", str(last_run(db)["id"])]) == 0
    assert "pages 3 (3 not modified) · received 5 · new 0 · updated 0 · unchanged 4" in (
        capsys.readouterr().out
    )

    changed = fixture_json("openedx", "courses_page3.json")
    changed["results"][0]["name"] = "Giáo dục học đại cương (2026)"
    responses.reset()
    serve_pages({3: {"json": changed}})
    assert sync(path) == 0
    assert "updated 1 · unchanged 3" in capsys.readouterr().out
    assert pages_read(db) == [(1, True), (2, True), (3, False)]
    assert "Giáo dục học đại cương (2026)" in [title for _k, title, *_ in catalog_rows(db)]

    # Another option changes what a page maps to: every page is read again.
    path.write_text(path.read_text().replace("page_size = 3", 'page_size = 3\nlanguage = "vi"'))
    responses.reset()
    serve_pages({3: {"json": changed}})
    assert sync(path) == 0
    assert pages_read(db) == [(1, False), (2, False), (3, False)]


@responses.activate
def test_jwt_is_fetched_once_and_sent_on_every_page(config, tmp_path: Path) -> None:
    token = responses.post(
        TOKEN_URL,
        json=fixture_json("openedx", "oauth2_access_token.json"),
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "grant_type": "client_credentials",
                    "client_id": "moocx-harvester",
                    "client_secret": SECRET,
                    "token_type": "jwt",
                }
            )
        ],
    )
    serve_pages()
    assert sync(config(auth=True)) == 0
    assert token.call_count == 1
    page_calls = [c for c in responses.calls if c.request.method == "GET"]
    assert len(page_calls) == 3
    for call in page_calls:
        assert call.request.headers["Authorization"].startswith("JWT eyJ")


@responses.activate(registry=responses.registries.OrderedRegistry)
def test_a_401_mid_harvest_fetches_a_new_token_once(config) -> None:
    responses.post(TOKEN_URL, json={"access_token": "tok-1", "expires_in": 3600})
    responses.get(page_url(1), json=fixture_json("openedx", "courses_page1.json"))
    responses.get(page_url(2), status=401, json={"detail": "Token expired"})
    responses.post(TOKEN_URL, json={"access_token": "tok-2", "expires_in": 3600})
    responses.get(page_url(2), json=fixture_json("openedx", "courses_page2.json"))
    responses.get(page_url(3), json=fixture_json("openedx", "courses_page3.json"))
    assert sync(config(auth=True)) == 0
    headers = [c.request.headers.get("Authorization") for c in responses.calls]
    assert headers[1] == "JWT tok-1" and headers[4] == "JWT tok-2" and headers[5] == "JWT tok-2"


@responses.activate
def test_bad_credentials_fail_the_feed_naming_it_and_the_token_url_without_the_secret(
    config, tmp_path: Path, capsys, caplog, db
) -> None:
    caplog.set_level(logging.DEBUG)
    responses.post(TOKEN_URL, status=401, json={"error": "invalid_client"})
    assert sync(config(auth=True)) == 1
    captured = capsys.readouterr()
    error = last_run(db)["error"]
    assert "vnu-openedx" in error and TOKEN_URL in error and "refused" in error
    assert error in captured.out
    everything = (
        captured.out
        + captured.err
        + caplog.text
        + json.dumps([r.__dict__ for r in caplog.records], default=str)
    )
    assert SECRET not in everything
    with db.connect() as conn:
        for table in ("feeds", "harvest_runs", "rejected_records", "courses"):
            dump = str(conn.execute(text(f"SELECT * FROM {table}")).all())
            assert SECRET not in dump


@responses.activate(registry=responses.registries.OrderedRegistry)
def test_503_with_retry_after_then_200_succeeds(config, tmp_path: Path, db) -> None:
    responses.get(page_url(1), status=503, headers={"Retry-After": "1"})
    serve_pages()
    assert sync(config()) == 0
    assert last_run(db)["new"] == 4


@responses.activate
def test_persistent_500_fails_the_run_with_url_and_status_and_keeps_the_catalog(
    config, tmp_path: Path, db
) -> None:
    path = config()
    serve_pages()
    assert sync(path) == 0
    before = catalog_rows(db)

    responses.reset()
    serve_pages({2: {"status": 500, "json": {"detail": "Internal Server Error"}}})
    assert sync(path) == 1
    run_row = last_run(db)
    assert run_row["status"] == "failed"
    assert "HTTP 500" in run_row["error"] and page_url(2).split("?")[0] in run_row["error"]
    assert "gave up after 3 attempts" in run_row["error"]
    assert catalog_rows(db) == before


@pytest.mark.parametrize(
    ("page2", "message"),
    [
        pytest.param(
            {
                "body": "<html><head><title>Đang bảo trì</title></head></html>",
                "content_type": "text/html",
            },
            "answered an HTML page",
            id="html-error-page",
        ),
        pytest.param({"body": '{"results": [{"id": '}, "invalid JSON", id="invalid-json"),
        pytest.param(
            {
                "json": {
                    **fixture_json("openedx", "courses_page2.json"),
                    "pagination": {"next": "https://evil.example.net/api?page=3", "count": 8},
                }
            },
            "points to another host",
            id="next-to-foreign-host",
        ),
    ],
)
@responses.activate
def test_a_bad_page_fails_the_feed_clearly_and_loses_nothing(
    config, tmp_path: Path, page2: dict, message: str, db
) -> None:
    path = config()
    serve_pages()
    assert sync(path) == 0
    before = catalog_rows(db)
    responses.reset()
    serve_pages({2: page2})
    assert sync(path) == 1
    run_row = last_run(db)
    assert run_row["status"] == "failed" and message in run_row["error"]
    assert catalog_rows(db) == before


@responses.activate
def test_a_malformed_record_between_good_ones_is_rejected_and_the_good_ones_land(
    config, tmp_path: Path, capsys, db
) -> None:
    path = config()
    serve_pages({2: {"json": fixture_json("openedx", "courses_page2_malformed.json")}})
    assert sync(path) == 0
    out = capsys.readouterr().out
    assert "rejected 3" in out and "moocx runs show 1" in out
    keys = [row[0] for row in catalog_rows(db)]
    assert "USSHx+EDU1001" in keys and "UETx+INT1001" in keys

    assert run(["--config", str(path), "runs", "show", "1"]) == 0
    shown = capsys.readouterr().out
    assert "start: unparseable date 'TBA'" in shown
    assert "id: missing course run key" in shown
    assert "name: empty course title" in shown


@responses.activate
def test_a_compressed_response_that_expands_past_the_cap_is_refused(
    config, tmp_path: Path, db
) -> None:
    path = config()
    text = path.read_text().replace("max_retries = 2", "max_retries = 2\nmax_response_mb = 1")
    path.write_text(text)
    bomb = gzip.compress(b'{"results": [' + b" " * (40 * 1024 * 1024) + b"]}", compresslevel=9)
    assert len(bomb) < 100_000
    responses.get(
        page_url(1),
        body=bomb,
        headers={"Content-Encoding": "gzip"},
        content_type="application/json",
    )
    assert sync(path) == 1
    error = last_run(db)["error"]
    assert "cap" in error and "max_response_bytes" in error


@responses.activate
def test_feeds_runs_and_export_commands(config, tmp_path: Path, capsys) -> None:
    path = config()
    serve_pages()
    assert sync(path) == 0
    capsys.readouterr()

    assert run(["--config", str(path), "feeds"]) == 0
    out = capsys.readouterr().out
    assert "vnu-openedx" in out and "succeeded" in out and " 4 " in out

    assert run(["--config", str(path), "runs", "vnu-openedx"]) == 0
    assert "succeeded" in capsys.readouterr().out

    export = tmp_path / "out" / "catalog.json"
    assert run(["--config", str(path), "export", "--format", "json", "--out", str(export)]) == 0
    raw = export.read_text(encoding="utf-8")
    assert "Giáo dục học đại cương" in raw  # UTF-8, not \u escapes
    data = json.loads(raw)
    assert data["schema"] == "mooc-exchange/1"
    assert data["institutions"] == [
        {
            "id": "vnu",
            "names": {"vi": "Đại học Quốc gia Hà Nội", "en": "Vietnam National University, Hanoi"},
            "country": "VN",
            "timezone": "Asia/Ho_Chi_Minh",
            "language": "vi",
        }
    ]
    ai = next(c for c in data["courses"] if c["key"] == "UETx+INT1001")
    assert set(ai) == {
        "id", "institution", "feed", "key", "title", "language", "short_description",
        "description", "url", "image_url", "organization", "subjects", "subjects_isced", "level",
        "effort", "pacing", "status", "is_free", "certificate", "runs", "offers", "first_seen",
        "updated_at",
        # what the catalog stores of the source's own facts, exported since issue 18
        "credits", "mode", "modified", "expires",
    }  # fmt: skip
    jsonschema.validate(data, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    assert ai["id"] == "vnu-openedx:UETx+INT1001" and ai["institution"] == "vnu"
    assert ai["runs"][0] == {
        "key": "course-v1:UETx+INT1001+2025_T1",
        "start": "2025-02-17T01:00:00+00:00",
        "end": "2025-06-01T16:59:00+00:00",
        "enrollment_start": "2025-01-20T01:00:00+00:00",
        "enrollment_end": "2025-02-28T16:59:00+00:00",
        "pacing": "instructor",
        # the run's own page, as the Open edX connector stores it; the LMS's Courses API says
        # nothing of availability, price or certificate
        "url": "https://courses.vnu.edu.vn/courses/course-v1:UETx+INT1001+2025_T1/about",
        "availability": None,
        "is_free": None,
        "price": None,
        "currency": None,
        "payment_frequency": None,
        "certificate": None,
    }
    assert ai["first_seen"].endswith("+00:00")

    assert run(["--config", str(path), "export", "--out", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["courses"] == data["courses"]


def test_unknown_feed_on_the_command_line_is_a_config_error(config, capsys) -> None:
    assert sync(config(), "no-such-feed") == 2
    assert "unknown feed 'no-such-feed'; configured feeds: vnu-openedx" in capsys.readouterr().err


def test_init_creates_then_reports_current(config, tmp_path: Path, capsys) -> None:
    path = config()
    assert run(["--config", str(path), "init"]) == 0
    assert "created the catalog at schema" in capsys.readouterr().out
    assert run(["--config", str(path), "init"]) == 0
    assert "the catalog is current" in capsys.readouterr().out
