"""Effort texts as platforms send them → the one form the catalog shows (in the course's
language), or None."""

from __future__ import annotations

import logging

import pytest
import responses

from connectors.base import FeedContext
from connectors.effort import describe_effort, parse_effort
from connectors.http import HttpSettings
from connectors.openedx import OpenEdxConnector, OpenEdxOptions
from connectors.records import CourseRecord
from tests.conftest import fixture_json

# Real-world values: edX and its Studio HH:MM hint, VNU, XuetangX-style Chinese, K-MOOC codes.
TABLE = [
    ("2:00", "2 hours per week"),  # courses.edx.org; Studio's "Hours of Effort per Week"
    ("02:00", "2 hours per week"),
    ("1:30", "1 hour 30 minutes per week"),
    ("0:45", "45 minutes per week"),
    ("0:00", None),
    ("4-6 hours/week", "4–6 hours per week"),
    ("6–18 hours per week", "6–18 hours per week"),
    ("3 hours per week", "3 hours per week"),
    ("3 hours a week", "3 hours per week"),
    ("3 hrs/wk", "3 hours per week"),
    ("2 hours weekly", "2 hours per week"),
    ("1 hour per day", "1 hour per day"),
    ("30 minutes per day", "30 minutes per day"),
    ("90-120 minutes per week", "90–120 minutes per week"),
    ("60 minutes per week", "1 hour per week"),
    ("10 hours", "10 hours"),  # a total: no period is said, none is added
    ("5h", "5 hours"),
    ("6 hours.", "6 hours"),
    ("about 5 hours", "5 hours"),
    ("2 giờ/tuần", "2 hours per week"),
    ("1,5 giờ/tuần", "1.5 hours per week"),
    ("每周3小时", "3 hours per week"),
    ("每周 2-3 小时", "2–3 hours per week"),
    ("3-4小时/周", "3–4 hours per week"),
    ("3小时每周", "3 hours per week"),
    ("주당 3시간", "3 hours per week"),
    ("１０ hours", "10 hours"),  # full-width digits
    ("09:08@07#04:03$06:05", None),  # K-MOOC's encoded value
    ("", None),
    ("   ", None),
    ("TBD", None),
    ("Self-paced", None),
    ("6-4 hours", None),  # backwards: a typo whose meaning is not certain
    ("200 hours per week", None),  # more than a week holds
    ("3 hours per week, 6 weeks", None),
]


#: The same efforts said in the course's language (its BCP 47 tag): Vietnamese, Chinese, else
#: English.
IN_LANGUAGE = [
    ("2 giờ/tuần", "vi", "2 giờ mỗi tuần"),
    ("2:00", "vi", "2 giờ mỗi tuần"),
    ("0:45", "vi", "45 phút mỗi tuần"),
    ("4-6 hours/week", "vi", "4–6 giờ mỗi tuần"),
    ("1 hour per day", "vi-VN", "1 giờ mỗi ngày"),
    ("10 hours", "vi", "10 giờ"),
    ("每周 2-3 小时", "zh", "每周2–3小时"),
    ("1:30", "zh-Hans", "每周1小时30分钟"),
    ("30 minutes per day", "zh", "每天30分钟"),
    ("5h", "zh-TW", "5小时"),
    ("2 giờ/tuần", "en", "2 hours per week"),
    ("2 giờ/tuần", "de", "2 hours per week"),
    ("TBD", "vi", None),
]


@pytest.mark.parametrize(("text", "language", "expected"), IN_LANGUAGE)
def test_effort_is_said_in_the_courses_language(
    text: str, language: str, expected: str | None
) -> None:
    assert parse_effort(text, language) == expected


@pytest.mark.parametrize(("text", "expected"), TABLE, ids=[t or "empty" for t, _ in TABLE])
def test_effort_table(text: str, expected: str | None) -> None:
    assert parse_effort(text) == expected


@pytest.mark.parametrize("value", [None, 3, 2.5, ["2:00"], {"hours": 2}])
def test_values_that_are_not_text_say_nothing(value: object) -> None:
    assert parse_effort(value) is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((4, 6), "4–6 hours per week"),
        ((8, 8), "8 hours per week"),
        ((1, None), "1 hour per week"),
        ((0, None), None),
    ],
)
def test_describe_effort_is_the_form_discovery_uses(args: tuple, expected: str | None) -> None:
    assert describe_effort(*args) == expected


@responses.activate
def test_openedx_feed_shows_understood_effort_and_logs_the_rest_once_per_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = "https://courses.edx.org/api/courses/v1/courses/?page_size=100"
    page_json = fixture_json("openedx", "courses_ccx_page.json")
    responses.get(url, json=page_json)
    feed = FeedContext(feed_id="edx", base_url="https://courses.edx.org", http=HttpSettings())
    with caplog.at_level(logging.INFO, logger="connectors.openedx"):
        [page] = list(OpenEdxConnector(feed, OpenEdxOptions()).harvest(None))
    courses = {i.key: i for i in page.items if isinstance(i, CourseRecord)}
    assert courses["MITx+6.00.1x"].effort == "2 hours per week"
    assert courses["BerkeleyX+CS169.1x"].effort == "12 hours per week"
    assert courses["BUx+PY1x"].effort == "6–8 hours per week"
    kmooc = courses["KMOOC+KM001"]
    assert kmooc.effort is None
    assert kmooc.raw[0]["effort"] == "09:08@07#04:03$06:05"  # the raw value is kept
    assert [r.getMessage() for r in caplog.records if "effort" in r.getMessage()] == [
        f"feed edx: {url}: effort of 1 course(s) not understood "
        "(e.g. '09:08@07#04:03$06:05'); shown as unknown"
    ]  # an INFO line: the source's own text, kept in its record, is no fault of the feed
