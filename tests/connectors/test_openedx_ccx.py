"""Open edX runs that are not public: custom courses (CCX), hidden and invitation-only runs.

The fixture is a courses.edx.org page in the API's own shape, with the CCX the issue names
(``BerkeleyX+CS169.1x`` renamed "Grinnell CSC321 2016F", ``BUx+PY1x`` "Morckel AP1 Period 5").
"""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
import responses
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.store import harvests
from catalog.store.ingest import Ingestor
from catalog.store.models import Course
from connectors.base import FeedContext
from connectors.http import HttpSettings
from connectors.openedx import OpenEdxConnector, OpenEdxOptions, map_runs
from connectors.records import CourseRecord, Page
from tests.conftest import fixture_json

BASE = "https://courses.edx.org"
FIRST = f"{BASE}/api/courses/v1/courses/?page_size=100"


def _results() -> list[dict]:
    return fixture_json("openedx", "courses_ccx_page.json")["results"]


def _courses(**options: object) -> dict[str, CourseRecord]:
    items = map_runs(_results(), base_url=BASE, **options)  # type: ignore[arg-type]
    return {i.key: i for i in items if isinstance(i, CourseRecord)}


def _harvest(**options: object) -> list[Page]:
    feed = FeedContext(feed_id="edx", base_url=BASE, http=HttpSettings(max_retries=0))
    return list(OpenEdxConnector(feed, OpenEdxOptions(**options)).harvest(None))  # type: ignore[arg-type]


def test_ccx_are_left_out_by_default_and_never_rename_their_course() -> None:
    courses = _courses()
    rails, physics = courses["BerkeleyX+CS169.1x"], courses["BUx+PY1x"]
    assert rails.title == "Agile Development Using Ruby on Rails - The Basics"
    assert physics.title == "Principles of Physics"
    assert [r.key for r in rails.runs] == ["course-v1:BerkeleyX+CS169.1x+3T2015SP"]
    assert [r.key for r in physics.runs] == ["course-v1:BUx+PY1x+3T2015"]  # hidden run out too
    assert not any(k.startswith("ccx") or "ccx@" in k for k in courses)


def test_include_ccx_makes_each_a_course_of_its_own() -> None:
    courses = _courses(include_ccx=True)
    assert courses["BerkeleyX+CS169.1x"].title.startswith("Agile Development")
    ccx = courses["BerkeleyX+CS169.1x+3T2015SP+ccx@25"]
    assert ccx.title == "Grinnell CSC321 2016F"
    assert [r.key for r in ccx.runs] == ["ccx-v1:BerkeleyX+CS169.1x+3T2015SP+ccx@25"]
    assert ccx.url == f"{BASE}/courses/ccx-v1:BerkeleyX+CS169.1x+3T2015SP+ccx@25/about"
    assert {"BUx+PY1x+3T2015+ccx@8", "BUx+PY1x+3T2015+ccx@9"} <= set(courses)
    assert courses["BUx+PY1x"].title == "Principles of Physics"


@pytest.mark.parametrize(
    ("options", "key", "title", "runs"),
    [
        pytest.param({"include_hidden": True}, "BUx+PY1x", "Principles of Physics", 2, id="hidden"),
        pytest.param(
            {"include_invitation_only": True},
            "MITx+6.00.1x",
            "Introduction to Computer Science and Programming Using Python",
            2,
            id="invitation-only",
        ),
    ],
)
def test_a_kept_run_that_is_not_public_adds_a_run_but_not_the_course_fields(
    options: dict, key: str, title: str, runs: int
) -> None:
    course = _courses(**options)[key]
    assert len(course.runs) == runs
    assert course.title == title  # the newer, non-public run does not rename it
    assert course.url is not None and "1T2017" not in course.url and "3T2017" not in course.url


def test_a_public_piece_outranks_a_non_public_one_on_another_page() -> None:
    results = _results()
    hidden = [r for r in results if r["hidden"]]
    public = [r for r in results if r["id"] == "course-v1:BUx+PY1x+3T2015"]
    [alone] = map_runs(hidden, base_url=BASE, include_hidden=True)
    [course] = map_runs(public, base_url=BASE)
    assert isinstance(alone, CourseRecord) and isinstance(course, CourseRecord)
    assert alone.title == "Physics (staff rehearsal)"  # all it has, on its own page
    assert course.precedence > alone.precedence  # older, but public: its fields win
    # and above every precedence of earlier versions ("<start>|<run key>"), so a catalog a CCX
    # renamed takes the public run's fields back
    assert course.precedence > "2016-09-06T12:00:00|ccx-v1:BUx+PY1x+3T2015+ccx@8"
    assert alone.precedence < "2000-01-01T00:00:00|x"


@responses.activate
def test_left_out_runs_count_towards_the_declared_total_and_are_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    responses.get(FIRST, json=fixture_json("openedx", "courses_ccx_page.json"))
    with caplog.at_level(logging.INFO, logger="connectors.openedx"):
        [page] = _harvest()
    assert page.declared_total == page.source_count == 9
    assert not any(getattr(i, "reason", None) for i in page.items)  # nothing rejected
    lines = [r.getMessage() for r in caplog.records if "left out" in r.getMessage()]
    assert lines == [
        f"feed edx: {FIRST}: left out 3 custom courses (CCX), 1 hidden run, "
        "1 invitation-only run (see options.include_*)"
    ]


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
@responses.activate
def test_an_upgraded_catalog_renamed_by_a_ccx_gets_its_title_back(engine) -> None:
    renamed = CourseRecord(
        key="BUx+PY1x",
        title="Morckel AP1 Period 5",
        precedence="2016-09-06T12:00:00|ccx-v1:BUx+PY1x+3T2015+ccx@8",  # as earlier versions did
    )
    _ingest(engine, Page(items=(renamed,), cursor=None, url="https://x/p1", number=1, last=True))
    responses.get(FIRST, json=fixture_json("openedx", "courses_ccx_page.json"))
    for page in _harvest():
        _ingest(engine, page)
    with Session(engine) as s:
        titles = {key: title for key, title in s.execute(select(Course.key, Course.title))}
        statuses = set(s.scalars(select(Course.status)).all())
    assert titles["BUx+PY1x"] == "Principles of Physics"
    assert titles["BerkeleyX+CS169.1x"].startswith("Agile Development")
    assert not any("ccx@" in key for key in titles)
    assert statuses == {"active"}  # nothing left out counts as withdrawn


def _ingest(engine, page: Page) -> None:
    ingestor = Ingestor(engine, "vnu", harvests.start_run(engine, "vnu"))
    ingestor.apply(replace(page, last=True))


def test_html_in_short_description_is_stripped() -> None:
    rails = _courses()["BerkeleyX+CS169.1x"]
    assert rails.short_description == "Learn to build SaaS apps with Rails."
