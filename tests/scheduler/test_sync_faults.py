"""What a harvest promises when the source moves under it (shared/RELIABILITY.md C7, C9, N12):
a course deleted at the source between two page requests makes offset paging skip the next one,
which must not be withdrawn; validators stored by a run that failed never make a later harvest
skip what that run applied; absence from an incremental harvest withdraws nothing. The Open edX
platform of the demo served on loopback (with ETags, so unchanged pages answer 304), and an
OAI-PMH repository on loopback — on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from scheduler.cli import run
from scheduler.demo.server import DemoRequest, DemoServer, OpenEdxPlatform, Reply
from tests.support import openedx_feed as feed
from tests.support.oai_provider import OaiProvider, OaiRecord

CONFIG = """
[catalog]
url = "{catalog_url}"

[http]
max_retries = 0

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[feeds]]
id = "vnu"
institution = "vnu"
connector = "openedx"
base_url = "{base}"

[feeds.options]
page_size = 3
"""
TEN = [feed.run(f"C{i:02d}") for i in range(10)]  # pages [C00-C02] [C03-C05] [C06-C08] [C09]


class MovingPlatform(OpenEdxPlatform):
    """The LMS, recording each answer's status; it can delete a course right after it served
    page 1 (``vanish``) and fail one page (``fail_page``)."""

    def __init__(self, runs: list[dict[str, Any]]) -> None:
        super().__init__(runs)
        self.statuses: list[int] = []
        self.vanish: str | None = None
        self.fail_page: str | None = None

    def __call__(self, request: DemoRequest) -> Reply:
        page = request.query.get("page", ["1"])[0]
        if page == self.fail_page:
            self.statuses.append(500)
            return 500, {"Content-Type": "application/json"}, b'{"detail": "Server Error"}'
        reply = super().__call__(request)
        self.statuses.append(int(reply[0]))
        if page == "1" and self.vanish is not None:
            self.set_runs([r for r in self.runs if r["id"] != self.vanish])
            self.vanish = None
        return reply


@pytest.fixture
def platform():
    served = MovingPlatform(list(TEN))
    with DemoServer({"vnu": served}) as server:
        served.url = server.url("vnu")
        yield served


@pytest.fixture
def config(tmp_path: Path, catalog_url: str, platform: MovingPlatform) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(catalog_url=catalog_url, base=platform.url), "utf-8")
    return path


def sync(config: Path, *args: str) -> int:
    return run(["--config", str(config), "sync", "--quiet", *args])


def rows(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(text(sql)).all()
    engine.dispose()
    return found


def statuses(url: str) -> dict[str, str]:
    return dict(rows(url, "SELECT key, status FROM courses"))


def snapshot(url: str) -> list[tuple[Any, ...]]:
    courses = rows(url, "SELECT key, title, content_hash, status FROM courses ORDER BY key")
    runs = rows(
        url,
        "SELECT c.key, r.key, r.content_hash FROM course_runs r JOIN courses c "
        "ON c.id = r.course_id ORDER BY r.key",
    )
    return [tuple(r) for r in courses] + [tuple(r) for r in runs]


def clean_snapshot(tmp_path: Path, platform: MovingPlatform) -> list[tuple[Any, ...]]:
    """The catalog one clean sync of the source as it is now makes."""
    url = f"sqlite:///{tmp_path / 'clean.db'}"
    clean = tmp_path / "clean.toml"
    clean.write_text(CONFIG.format(catalog_url=url, base=platform.url), "utf-8")
    assert sync(clean) == 0
    return snapshot(url)


@pytest.mark.parametrize(
    "args", [pytest.param((), id="page-1-answers-304"), pytest.param(("--full",), id="full")]
)
def test_a_course_skipped_because_another_vanished_mid_harvest_is_not_withdrawn(
    platform: MovingPlatform, config: Path, catalog_url: str, args: tuple[str, ...], capsys
) -> None:
    """C7: C01 (page 1) is deleted right after page 1 is read, so the listing shifts back and
    page 2 starts at C04: C03 is never seen. Its withdrawal is held, and the next harvest,
    which reads a settled listing, sees it — and withdraws C01 alone."""
    assert sync(config) == 0
    platform.vanish, platform.statuses = TEN[1]["id"], []
    capsys.readouterr()
    assert sync(config, *args) == 0
    assert platform.statuses[0] == (200 if args else 304)  # page 1 read, or vouched for
    out = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    assert "1 withdrawal held back: the source declared 10 then 9 items while the harvest" in out
    assert set(statuses(catalog_url).values()) == {"active"}  # C03 kept, and C01 too, for now
    [held] = rows(catalog_url, "SELECT key, reason FROM held_withdrawals")
    assert tuple(held) == ("VNUx+C03", "absent")
    [(needs_review,)] = rows(catalog_url, "SELECT needs_review FROM feeds")
    assert needs_review

    capsys.readouterr()
    assert sync(config) == 0  # the listing has settled: C03 is seen again, C01 is gone
    assert "withdrawn 1" in capsys.readouterr().out
    gone = {k for k, v in statuses(catalog_url).items() if v == "withdrawn"}
    assert gone == {"VNUx+C01"}
    assert rows(catalog_url, "SELECT key FROM held_withdrawals") == []
    assert not rows(catalog_url, "SELECT needs_review FROM feeds")[0][0]


def test_a_failed_run_resumes_with_the_last_complete_harvests_validators(
    platform: MovingPlatform, config: Path, catalog_url: str, tmp_path: Path
) -> None:
    """N12: run 2 applies a changed page 1, then fails on page 3; the resume asks for pages 2
    to 4 against the last complete harvest's ETags (304s), and ends in the clean catalog."""
    assert sync(config) == 0
    changed = [dict(TEN[0], name="Tên mới"), *TEN[1:]]
    platform.set_runs(changed)
    platform.fail_page, platform.statuses = "3", []
    assert sync(config) == 1
    assert platform.statuses == [200, 304, 500]  # page 1 changed, page 2 vouched for
    platform.fail_page, platform.statuses = None, []
    assert sync(config) == 0
    assert platform.statuses == [304, 304, 304]  # pages 2-4, against run 1's ETags
    assert snapshot(catalog_url) == clean_snapshot(tmp_path, platform)
    platform.statuses = []
    assert sync(config) == 0  # the resumed harvest is complete: its validators are used now
    assert platform.statuses == [304, 304, 304, 304]


def test_a_failed_runs_pages_never_make_a_later_harvest_skip_what_it_applied(
    platform: MovingPlatform, config: Path, catalog_url: str, tmp_path: Path
) -> None:
    """N12: run 2 applies a renamed C00 (page 1) and fails on page 3. By the next harvest the
    source has taken the rename back, so page 1 is again what run 1 read — but the catalog
    holds run 2's version. Run 1's ETag must not be sent for page 1: a 304 would keep the
    rename that the source no longer has."""
    assert sync(config) == 0
    platform.set_runs([dict(TEN[0], name="Tên tạm thời"), *TEN[1:]])
    platform.fail_page = "3"
    assert sync(config) == 1
    engine = create_engine(catalog_url)
    with engine.begin() as conn:  # too old to resume: the next harvest starts afresh
        conn.execute(text("UPDATE harvest_runs SET started_at = :t"), {"t": "2020-01-01 00:00:00"})
    engine.dispose()
    platform.set_runs(list(TEN))
    platform.fail_page, platform.statuses = None, []
    assert sync(config) == 0
    assert platform.statuses == [200, 304, 304, 304]  # run 2 had read page 1 again
    assert snapshot(catalog_url) == clean_snapshot(tmp_path, platform)
    [(title,)] = rows(catalog_url, "SELECT title FROM courses WHERE key = 'VNUx+C00'")
    assert title == TEN[0]["name"]


OAI_CONFIG = """
[catalog]
url = "{catalog_url}"

[[institutions]]
id = "hou"
names = {{ vi = "Trường Đại học Mở Hà Nội" }}

[[feeds]]
id = "hou"
institution = "hou"
connector = "oaipmh"
base_url = "{base}"
"""


def test_absence_from_an_incremental_harvest_never_withdraws_only_a_deletion_does(
    tmp_path: Path, catalog_url: str, capsys
) -> None:
    """C9: after a full harvest of 20 courses, an incremental (``from=``) page carries 19 of
    them — the 20th did not change — and nothing is withdrawn (a full harvest missing one of 20
    would withdraw it: 5 % is under every guard). Then the repository deletes course 1: only
    that course is withdrawn, by its ``status="deleted"`` header."""
    records = [OaiRecord(f"oai:hou.edu.vn:course/{n}", f"Khóa học {n}") for n in range(20)]
    with OaiProvider(records, page_size=50) as oai:
        config = tmp_path / "config.toml"
        config.write_text(OAI_CONFIG.format(catalog_url=catalog_url, base=oai.url), "utf-8")
        assert sync(config) == 0
        assert len(statuses(catalog_url)) == 20

        later = "2025-03-10T08:00:00Z"  # after the first harvest's responseDate
        oai.records = [
            r if n == 0 else dataclasses.replace(r, title=f"{r.title} (2025)", datestamp=later)
            for n, r in enumerate(records)
        ]
        oai.response_date, oai.requests[:] = "2025-03-10T10:00:00Z", []
        capsys.readouterr()
        assert sync(config) == 0
        assert "hou: succeeded (incremental) · new 0 · updated 19 · " in capsys.readouterr().out
        [listed] = [r for r in oai.requests if r.get("verb") == "ListRecords"]
        assert listed.get("from") == "2025-03-09T10:00:00Z"
        assert set(statuses(catalog_url).values()) == {"active"}  # course 0 stays
        assert rows(catalog_url, "SELECT withdrawn, held_withdrawals FROM harvest_runs")[-1] == (
            0,
            0,
        )

        deleted = dataclasses.replace(
            oai.records[1], deleted=True, datestamp="2025-03-11T08:00:00Z"
        )
        oai.records = [deleted if n == 1 else r for n, r in enumerate(oai.records)]
        oai.response_date = "2025-03-11T10:00:00Z"
        capsys.readouterr()
        assert sync(config) == 0
        assert "hou: succeeded (incremental)" in capsys.readouterr().out
    gone = {k for k, v in statuses(catalog_url).items() if v == "withdrawn"}
    assert gone == {"oai:hou.edu.vn:course/1"}
