"""A sync you can trust (shared/RELIABILITY.md rows C1–C6, C10, S3): resumable runs, guarded
withdrawals, one syncer per feed — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
import responses
from sqlalchemy import create_engine, text

from catalog.store import leases
from catalog.store.db import make_engine
from scheduler.cli import run
from tests.support import openedx_feed as feed
from tests.support.openedx_feed import BASE

CONFIG = """
[catalog]
url = "{catalog_url}"

[http]
max_retries = 1

[sync]
{sync}

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}
timezone = "Asia/Ho_Chi_Minh"

[[feeds]]
id = "vnu"
institution = "vnu"
connector = "openedx"
base_url = "{base}"

[feeds.options]
page_size = 3
"""

TEN = [feed.run(f"C{i:02d}") for i in range(10)]


@pytest.fixture
def config(tmp_path: Path, catalog_url: str):
    def write(sync: str = "") -> Path:
        path = tmp_path / "config.toml"
        path.write_text(CONFIG.format(catalog_url=catalog_url, base=BASE, sync=sync), "utf-8")
        return path

    return write


@pytest.fixture
def db(catalog_url: str):
    engine = create_engine(catalog_url)
    yield engine
    engine.dispose()


def sync(path: Path, *args: str) -> int:
    return run(["--config", str(path), "sync", "--quiet", *args])


def snapshot(db) -> list[tuple]:
    """Every course with its hash, status and runs: what "the same catalog" means."""
    with db.connect() as conn:
        courses = conn.execute(
            text("SELECT id, key, content_hash, status FROM courses ORDER BY key")
        ).all()
        runs = conn.execute(text("SELECT course_id, key, content_hash FROM course_runs")).all()
    by_course: dict[int, list] = {}
    for r in runs:
        by_course.setdefault(r.course_id, []).append((r.key, r.content_hash))
    return [
        (c.key, c.content_hash, c.status, tuple(sorted(by_course.get(c.id, [])))) for c in courses
    ]


def status_of(db) -> dict[str, str]:
    with db.connect() as conn:
        return dict(conn.execute(text("SELECT key, status FROM courses")).all())


def feed_row(db) -> dict:
    """The feed's row; JSON columns decoded (a raw SELECT leaves them text on SQLite)."""
    with db.connect() as conn:
        row = dict(conn.execute(text("SELECT * FROM feeds WHERE id = 'vnu'")).mappings().one())
    for key in ("cursor", "resume_cursor"):
        if isinstance(row[key], str):
            row[key] = json.loads(row[key])
    return row


def last_run(db) -> dict:
    with db.connect() as conn:
        return dict(
            conn.execute(text("SELECT * FROM harvest_runs ORDER BY id DESC LIMIT 1"))
            .mappings()
            .one()
        )


def page_requests() -> list[str]:
    return [c.request.url for c in responses.calls]


# -- C1: a failure mid-pagination, then a recovery run ----------------------------------------


@responses.activate
def test_failure_mid_pagination_keeps_pages_resumes_and_ends_like_a_clean_run(
    config, db, tmp_path: Path, capsys
) -> None:
    path = config()
    feed.serve(TEN, fail_page=3)  # pages of 3: the third of four pages fails
    assert sync(path) == 1
    failed = last_run(db)
    assert failed["status"] == "failed" and "HTTP 500" in failed["error"]
    assert failed["pages"] == 2 and len(status_of(db)) == 6  # pages 1-2 kept, nothing withdrawn
    assert feed_row(db)["resume_cursor"] == {"next": feed.page_url(3, 3), "page": 3}
    assert feed_row(db)["consecutive_failures"] == 1

    responses.reset()
    feed.serve(TEN)
    assert sync(path) == 0
    assert "(full, resumed)" in capsys.readouterr().out
    assert page_requests() == [feed.page_url(3, 3), feed.page_url(4, 3)]  # not from page 1
    recovered = last_run(db)
    assert recovered["resumed_from"] == failed["id"] and recovered["chain_id"] == failed["id"]
    row = feed_row(db)
    assert row["resume_cursor"] is None and row["consecutive_failures"] == 0
    assert row["last_full_at"] is not None

    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    clean_config = tmp_path / "clean.toml"
    clean_config.write_text(CONFIG.format(catalog_url=clean_url, base=BASE, sync=""), "utf-8")
    responses.reset()
    feed.serve(TEN)
    assert sync(clean_config) == 0
    clean = make_engine(clean_url)
    assert snapshot(db) == snapshot(clean)
    clean.dispose()


@responses.activate
def test_a_resume_cursor_the_source_no_longer_honours_restarts_the_harvest(config, db) -> None:
    path = config()
    feed.serve(TEN, fail_page=2)
    assert sync(path) == 1
    responses.reset()
    responses.get(feed.page_url(2, 3), status=404, json={"developer_message": "Invalid page."})
    feed.serve(TEN[:6])  # the listing shrank: page 2 of the old harvest is gone... or moved
    assert sync(path) == 0
    assert page_requests()[0] == feed.page_url(2, 3)
    assert page_requests()[1] == feed.page_url(1, 3)  # started over
    run_row = last_run(db)
    assert run_row["status"] == "succeeded" and run_row["resumed_from"] is None
    assert run_row["chain_id"] == run_row["id"]


@responses.activate
def test_a_resume_older_than_resume_max_age_starts_over(config, db) -> None:
    path = config('resume_max_age = "1s"')
    feed.serve(TEN, fail_page=2)
    assert sync(path) == 1
    with db.begin() as conn:
        conn.execute(text("UPDATE harvest_runs SET started_at = :t"), {"t": "2020-01-01 00:00:00"})
    responses.reset()
    feed.serve(TEN)
    assert sync(path) == 0
    assert page_requests()[0] == feed.page_url(1, 3)


# -- withdrawals and their guards (C3, C4, C5, C10) --------------------------------------------


@responses.activate
def test_a_course_absent_from_a_complete_full_harvest_is_withdrawn_kept_and_reactivated(
    config, db
) -> None:
    path = config()
    feed.serve(TEN)
    assert sync(path) == 0
    responses.reset()
    feed.serve(TEN[1:])  # one of ten gone: 10 % < max_withdraw_fraction
    assert sync(path) == 0
    assert status_of(db)["VNUx+C00"] == "withdrawn"
    assert last_run(db)["withdrawn"] == 1
    responses.reset()
    feed.serve(TEN)
    assert sync(path) == 0
    assert status_of(db)["VNUx+C00"] == "active"
    with db.connect() as conn:
        events = (
            conn.execute(
                text(
                    "SELECT e.event FROM course_events e JOIN courses c ON c.id = e.course_id "
                    "WHERE c.key = 'VNUx+C00' ORDER BY e.id"
                )
            )
            .scalars()
            .all()
        )
    assert events == ["new", "withdrawn", "reactivated"]


@responses.activate
def test_an_empty_feed_for_a_source_that_had_courses_withdraws_nothing_and_needs_review(
    config, db, capsys
) -> None:
    path = config()
    feed.serve(TEN)
    assert sync(path) == 0
    before = snapshot(db)
    responses.reset()
    responses.get(
        feed.page_url(1, 3), json={"results": [], "pagination": {"next": None, "count": 0}}
    )
    assert sync(path) == 0  # updates (none) applied; withdrawals held
    out = capsys.readouterr().out
    assert (
        "10 withdrawals held back: the feed returned nothing while it had 10 active courses" in out
    )
    assert snapshot(db) == before
    row = feed_row(db)
    assert row["needs_review"] and "the feed returned nothing" in row["review_reason"]
    assert run(["--config", str(path), "feeds"]) == 0
    assert "NEEDS REVIEW" in capsys.readouterr().out


@responses.activate
def test_a_big_drop_is_held_until_an_admin_accepts_it(config, db, capsys) -> None:
    path = config()
    feed.serve(TEN)
    assert sync(path) == 0
    responses.reset()
    feed.serve(TEN[:7])  # 3 of 10 gone: 30 % > 20 %
    assert sync(path) == 0
    held_run = last_run(db)
    assert held_run["held_withdrawals"] == 3 and held_run["withdrawn"] == 0
    assert "more than max_withdraw_fraction = 0.2" in held_run["guard"]
    assert set(status_of(db).values()) == {"active"}
    capsys.readouterr()
    assert run(["--config", str(path), "runs", "show", str(held_run["id"])]) == 0
    shown = capsys.readouterr().out
    assert "held withdrawals (3)" in shown and "VNUx+C09 (absent)" in shown

    assert sync(path, "--accept-withdrawals", "vnu") == 0
    statuses = status_of(db)
    assert [k for k, v in sorted(statuses.items()) if v == "withdrawn"] == [
        "VNUx+C07",
        "VNUx+C08",
        "VNUx+C09",
    ]
    assert not feed_row(db)["needs_review"]


@responses.activate
def test_a_declared_count_that_differs_from_what_was_received_holds_withdrawals(config, db) -> None:
    path = config()
    feed.serve(TEN)
    assert sync(path) == 0
    responses.reset()
    feed.serve(TEN[1:], count=10)  # the source says 10, delivers 9
    assert sync(path) == 0
    assert "the source declared 10 items but 9 were received" in last_run(db)["guard"]
    assert status_of(db)["VNUx+C00"] == "active"


@responses.activate
def test_too_many_rejected_records_degrade_the_run_and_hold_withdrawals(config, db) -> None:
    path = config()
    feed.serve(TEN)
    assert sync(path) == 0
    broken = [dict(r, start="TBA") if i < 3 else r for i, r in enumerate(TEN[1:])]
    responses.reset()
    feed.serve(broken)
    assert sync(path) == 0
    run_row = last_run(db)
    assert run_row["degraded"] and run_row["rejected"] == 3
    assert "3 of 9 records were rejected" in run_row["guard"]
    assert status_of(db)["VNUx+C00"] == "active"


@responses.activate
def test_duplicates_and_reordering_across_pages_while_the_source_changes(config, db) -> None:
    """C6: offset paging while a course is inserted at the head shifts every later page."""
    path = config()
    shifted = [feed.run("NEW"), *TEN]
    first = feed.pages(TEN, 3)
    after = feed.pages(shifted, 3)
    # Page 1 read before the insert; pages 2-4 after it: C02 shows up twice, nothing is lost.
    responses.get(first[0][0], json=first[0][1])
    for url, body in after[1:]:
        responses.get(url, json=body)
    assert sync(path) == 0
    run_row = last_run(db)
    assert (run_row["status"], run_row["new"], run_row["received"]) == ("succeeded", 10, 11)
    assert sorted(status_of(db)) == [f"VNUx+C{i:02d}" for i in range(10)]  # C02 stored once
    # The next harvest sees the settled listing: NEW arrives, nothing is withdrawn.
    responses.reset()
    feed.serve(shifted)
    assert sync(path) == 0
    assert (last_run(db)["new"], last_run(db)["withdrawn"]) == (1, 0)
    assert set(status_of(db).values()) == {"active"}


# -- S3 and leases: one syncer per feed -------------------------------------------------------


@responses.activate
def test_a_feed_whose_lease_is_held_is_skipped_with_who_holds_it_and_exit_code_3(
    config, db, catalog_url, capsys
) -> None:
    path = config()
    engine = make_engine(catalog_url)
    assert run(["--config", str(path), "init"]) == 0
    held = leases.acquire(engine, "vnu", timedelta(minutes=5))
    assert isinstance(held, leases.Lease)
    capsys.readouterr()
    assert sync(path) == 3
    out = capsys.readouterr().out
    assert "vnu: skipped" in out and "is being synced by" in out and "pid" in out
    assert len(responses.calls) == 0
    leases.release(engine, held)
    feed.serve(TEN)
    assert sync(path) == 0
    engine.dispose()


@responses.activate
def test_an_expired_lease_is_taken_over_and_its_dead_run_marked_interrupted(
    config, db, catalog_url
):
    path = config('lease_ttl = "1s"')
    feed.serve(TEN, fail_page=2)
    assert sync(path) == 1
    engine = make_engine(catalog_url)
    dead = leases.acquire(engine, "vnu", timedelta(milliseconds=1))
    assert isinstance(dead, leases.Lease)
    with engine.begin() as conn:  # a run that was "running" when its process died
        conn.execute(text("UPDATE harvest_runs SET status = 'running', finished_at = NULL"))
    time.sleep(0.01)  # let the dead holder's 1 ms lease expire
    responses.reset()
    feed.serve(TEN)
    assert sync(path) == 0
    with engine.connect() as conn:
        first = conn.execute(text("SELECT status, error FROM harvest_runs WHERE id = 1")).one()
    assert first.status == "interrupted" and "stopped before finishing" in first.error
    assert feed_row(db)["lease_holder"] is None  # released at the end
    engine.dispose()
