"""MOOChub as real servers send it (issue 18): Moodle's plugin dialect, string booleans,
implausible workloads, course modes, payment frequencies, Person publishers, expiry, and run
keys from the date the source wrote."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
import responses

from connectors.base import FeedContext
from connectors.http import HttpSettings
from connectors.moochub import MoochubConnector, MoochubOptions, map_course, map_items
from connectors.records import CourseRecord, Rejected
from tests.conftest import fixture_json

MOODLE = "https://moodle.ki-campus.org"
PATH = "/local/open_api/moochub.php"
BASE = "https://mooc.vnu.edu.vn/bridges/moochub"


def _minimal(**attributes: object) -> dict:
    return {"id": "c1", "type": "Course", "attributes": {"name": "Khoá học", **attributes}}


def _map(**attributes: object) -> CourseRecord:
    return map_course(_minimal(**attributes), base_url=BASE, feed_id="hub")


def _warnings(caplog: pytest.LogCaptureFixture, when: str = "call") -> list[str]:
    """Warnings logged in a test phase: "setup" for what the served-feed fixture harvested."""
    records = caplog.get_records(when)  # type: ignore[arg-type]
    return [r.getMessage() for r in records if r.levelno == logging.WARNING]


# -- a served Moodle local/open_api feed, from the user's side ---------------------------------


@pytest.fixture
def moodle_courses(caplog: pytest.LogCaptureFixture) -> dict[str, CourseRecord]:
    """The KI-Campus Moodle plugin's page, harvested over (mocked) HTTP."""
    with responses.RequestsMock() as mock:
        mock.get(
            f"{MOODLE}{PATH}",
            json=fixture_json("moochub", "local_open_api_courses.json"),
            content_type="application/vnd.api+json",
        )
        feed = FeedContext(feed_id="ki-moodle", base_url=MOODLE, http=HttpSettings(max_retries=0))
        with caplog.at_level(logging.WARNING, logger="connectors.moochub_mapping"):
            [page] = list(MoochubConnector(feed, MoochubOptions(path=PATH)).harvest(None))
    assert not [i for i in page.items if isinstance(i, Rejected)]
    return {i.key: i for i in page.items if isinstance(i, CourseRecord)}


def test_the_moodle_plugin_s_url_and_abstract_land_as_url_and_description(
    moodle_courses: dict[str, CourseRecord],
) -> None:
    ki = moodle_courses["17"]
    assert ki.url == "https://moodle.ki-campus.org/course/view.php?id=17"
    assert ki.runs[0].url == ki.url
    assert ki.description.startswith("<p>Was ist <strong>Künstliche Intelligenz</strong>?")
    assert ki.short_description.startswith("Was ist Künstliche Intelligenz? Der Kurs")
    assert all(c.url and c.description for c in moodle_courses.values())


def test_string_booleans_set_free_and_anything_else_is_unknown_with_a_warning(
    moodle_courses: dict[str, CourseRecord], caplog: pytest.LogCaptureFixture
) -> None:
    assert [moodle_courses[k].is_free for k in ("17", "23")] == [True, False]
    # "ja" says nothing: its price of 120 EUR for the complete course decides.
    assert moodle_courses["31"].is_free is False
    assert (
        "feed ki-moodle: course 31: isAccessibleForFree 'ja' is not a boolean; left unknown"
        in _warnings(caplog, "setup")
    )


def test_a_workload_of_1080_hours_a_week_is_dropped_with_one_warning(
    moodle_courses: dict[str, CourseRecord], caplog: pytest.LogCaptureFixture
) -> None:
    assert moodle_courses["17"].effort is None
    assert [moodle_courses[k].effort for k in ("23", "31")] == ["8 h/day", "3 h/week"]
    dropped = [w for w in _warnings(caplog, "setup") if "workload" in w]
    assert dropped == [
        "feed ki-moodle: course 17: workload 1080 h/week is more than the 40 a learner can "
        "spend; dropped"
    ]


def test_course_mode_is_kept_and_a_record_of_achievement_is_a_certificate(
    moodle_courses: dict[str, CourseRecord],
) -> None:
    modes = {k: (c.mode, c.pacing) for k, c in moodle_courses.items()}
    assert modes == {
        "17": ("online", "self"),
        "23": ("onsite", None),
        "31": ("blended", "instructor"),
    }
    assert moodle_courses["17"].certificate is True
    assert moodle_courses["17"].runs[0].certificate is True


def test_a_monthly_price_keeps_its_frequency_and_an_unknown_one_is_other(
    moodle_courses: dict[str, CourseRecord], caplog: pytest.LogCaptureFixture
) -> None:
    [workshop] = moodle_courses["23"].runs
    assert (workshop.price, workshop.currency, workshop.payment_frequency) == (
        "9.99",
        "EUR",
        "monthly",
    )
    assert {r.payment_frequency for r in moodle_courses["31"].runs} == {"other"}
    assert moodle_courses["17"].runs[0].payment_frequency is None  # no offer
    assert (
        "feed ki-moodle: course 31: offer paymentFrequency 'every semester' is not a MOOChub "
        "frequency; stored as 'other'" in _warnings(caplog, "setup")
    )


def test_a_person_publisher_is_never_the_organisation(
    moodle_courses: dict[str, CourseRecord],
) -> None:
    organisations = {k: c.organization for k, c in moodle_courses.items()}
    assert organisations == {
        "17": "KI-Campus",  # the creator of type Organization
        "23": "Universität Potsdam",
        "31": "Stifterverband",  # the provider
    }


def test_expires_is_the_latest_of_its_dates(moodle_courses: dict[str, CourseRecord]) -> None:
    expires = {k: c.expires for k, c in moodle_courses.items()}
    assert expires == {
        "17": None,
        "23": datetime(2024, 3, 31, 21, 59, 59, tzinfo=UTC),
        "31": datetime(2099, 3, 31, 21, 59, 59, tzinfo=UTC),
    }


def test_run_keys_take_the_date_the_source_wrote(moodle_courses: dict[str, CourseRecord]) -> None:
    [ki] = moodle_courses["17"].runs
    assert (ki.key, ki.start) == ("17@2016-10-15", datetime(2016, 10, 14, 22, tzinfo=UTC))
    assert [r.key for r in moodle_courses["31"].runs] == ["31@2025-04-01", "31@2025-10-01"]


# -- each class, field by field ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "key"),
    [
        pytest.param("2016-10-15T00:00:00+02:00", "c1@2016-10-15", id="offset-east"),
        pytest.param("2016-10-14T20:00:00-05:00", "c1@2016-10-14", id="offset-west"),
        pytest.param("2016-10-14T23:00:00Z", "c1@2016-10-14", id="utc-z-unchanged"),
        pytest.param("2016-10-14T23:00:00+00:00", "c1@2016-10-14", id="utc-offset-unchanged"),
        pytest.param("2016-10-14T23:00:00", "c1@2016-10-14", id="no-offset-unchanged"),
        pytest.param("2016-10-14T23:00:00.000", "c1@2016-10-14", id="no-offset-millis"),
    ],
)
def test_a_run_key_is_the_start_s_written_date(start: str, key: str) -> None:
    assert _map(startDate=[start]).runs[0].key == key


def test_the_moodle_fixture_s_plus_eight_start_keeps_its_local_day() -> None:
    raw = fixture_json("moochub", "get_moochub_courses.json")["data"][0]
    [run] = map_course(raw, base_url="https://x.test").runs
    assert (run.key, run.start) == ("42@2025-02-24", datetime(2025, 2, 23, 16, tzinfo=UTC))
    assert run.payment_frequency == "one-time"


def test_one_instant_written_twice_is_one_run_named_by_the_first_spelling() -> None:
    course = _map(startDate=["2016-10-15T00:00:00+02:00", "2016-10-14T22:00:00Z"])
    assert [r.key for r in course.runs] == ["c1@2016-10-15"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(True, True, id="json-true"),
        pytest.param(False, False, id="json-false"),
        pytest.param("True", True, id="string-True"),
        pytest.param(" false ", False, id="string-false-spaces"),
        pytest.param("1", True, id="string-1"),
        pytest.param("0", False, id="string-0"),
        pytest.param(1, True, id="number-1"),
        pytest.param(None, None, id="null"),
    ],
)
def test_is_accessible_for_free_spellings(value: object, expected: bool | None) -> None:
    assert _map(isAccessibleForFree=value).is_free is expected


@pytest.mark.parametrize("value", ["yes", "", 2, 1.5, ["true"]])
def test_other_is_accessible_for_free_values_are_unknown_and_warned(
    value: object, caplog: pytest.LogCaptureFixture
) -> None:
    assert _map(isAccessibleForFree=value).is_free is None
    [warning] = _warnings(caplog)
    assert warning.startswith("feed hub: course c1: isAccessibleForFree")


def test_access_the_standard_field_wins_over_is_accessible_for_free() -> None:
    assert _map(access=["paid"], isAccessibleForFree="true").is_free is False


def test_standard_url_and_description_win_over_the_moodle_aliases() -> None:
    course = _map(
        url="https://a.test/course",
        uniformResourceLocator="https://b.test/course",
        description="<p>Long</p>",
        abstract="Short",
    )
    assert (course.url, course.description, course.short_description) == (
        "https://a.test/course",
        "<p>Long</p>",
        "Short",
    )


@pytest.mark.parametrize(
    ("workload", "effort"),
    [
        pytest.param(40, "40 h/week", id="v2-40-hours-a-week-is-the-limit"),
        pytest.param(41, None, id="v2-41-hours-a-week"),
        pytest.param({"timeValue": 12, "timeUnit": "h/day"}, "12 h/day", id="12-hours-a-day"),
        pytest.param({"timeValue": 13, "timeUnit": "h/day"}, None, id="13-hours-a-day"),
        pytest.param({"timeValue": 161, "timeUnit": "h/month"}, None, id="161-hours-a-month"),
        pytest.param({"timeValue": 90, "timeUnit": "min/week"}, "1.5 h/week", id="minutes"),
        pytest.param({"timeValue": 3, "timeUnit": "h/year"}, None, id="unknown-unit"),
        pytest.param({"timeValue": 120}, "120 h", id="no-unit-is-a-total"),
        pytest.param({"timeValue": 1080}, None, id="total-over-500-hours"),
    ],
)
def test_workload_bounds(
    workload: object, effort: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    assert _map(workload=workload).effort == effort
    warnings = _warnings(caplog)
    assert len(warnings) == (0 if effort else 1)
    assert all(w.startswith("feed hub: course c1: workload") for w in warnings)


@pytest.mark.parametrize(
    ("modes", "mode"),
    [
        pytest.param(["online"], "online", id="online"),
        pytest.param(["onsite"], "onsite", id="onsite"),
        pytest.param(["On-Site"], "onsite", id="on-site-spelling"),
        pytest.param(["blended", "synchronous"], "blended", id="blended"),
        pytest.param(["online", "onsite"], "blended", id="online-and-onsite"),
        pytest.param(["synchronous"], None, id="pacing-says-nothing-of-the-place"),
        pytest.param("MOOC", None, id="v2-MOOC"),
        pytest.param(None, None, id="null"),
    ],
)
def test_mode_from_course_mode(modes: object, mode: str | None) -> None:
    assert _map(courseMode=modes).mode == mode


def test_an_unknown_course_mode_is_ignored_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert _map(courseMode=["online", "hybrid-ish"]).mode == "online"
    [warning] = _warnings(caplog)
    assert warning == "feed hub: course c1: courseMode hybrid-ish not understood; ignored"


@pytest.mark.parametrize(
    ("offer", "frequency"),
    [
        pytest.param({"paymentFrequency": "monthly"}, "monthly", id="schema"),
        pytest.param({"payment_frequency": "yearly"}, "yearly", id="xikolo-snake-case"),
        pytest.param({"paymentFrequency": "Half Yearly"}, "half-yearly", id="spelling"),
        pytest.param({"paymentFrequency": "by semester"}, "by semester", id="by-semester"),
        pytest.param({"paymentFrequency": "fortnightly"}, "other", id="unknown-is-other"),
        pytest.param({}, None, id="absent"),
    ],
)
def test_payment_frequency_of_the_run_s_offer(offer: dict, frequency: str | None) -> None:
    course = _map(offer=[{"price": 9.99, "priceCurrency": "EUR", "category": "course", **offer}])
    assert course.runs[0].payment_frequency == frequency


@pytest.mark.parametrize(
    ("attributes", "organization"),
    [
        pytest.param({"publisher": {"type": "Person", "name": "P"}}, None, id="person-only"),
        pytest.param(
            {
                "publisher": {"type": "Person", "name": "P"},
                "creator": [{"type": "Person", "name": "Q"}, {"type": "Organization", "name": "O"}],
            },
            "O",
            id="creator-organization",
        ),
        pytest.param(
            {"publisher": {"type": "Person", "name": "P"}, "moocProvider": {"name": "M"}},
            "M",
            id="v2-leftover-provider",
        ),
        pytest.param({"publisher": {"name": "U"}}, "U", id="untyped-publisher-kept"),
        pytest.param(
            {"publisher": [{"type": "Person", "name": "P"}, {"type": "Organization", "name": "O"}]},
            "O",
            id="publisher-list",
        ),
    ],
)
def test_the_organisation_is_never_a_person(attributes: dict, organization: str | None) -> None:
    assert _map(**attributes).organization == organization


@pytest.mark.parametrize(
    ("expires", "expected"),
    [
        pytest.param(["2021-01-31T22:30:00Z"], datetime(2021, 1, 31, 22, 30, tzinfo=UTC), id="one"),
        pytest.param(
            ["2030-01-01T00:00:00Z", "2021-01-31T22:30:00Z"],
            datetime(2030, 1, 1, tzinfo=UTC),
            id="latest-of-several",
        ),
        pytest.param("2021-01-31T22:30:00Z", datetime(2021, 1, 31, 22, 30, tzinfo=UTC), id="str"),
        pytest.param([], None, id="empty"),
    ],
)
def test_expires(expires: object, expected: datetime | None) -> None:
    assert _map(expires=expires).expires == expected


def test_an_unparseable_expires_rejects_the_course_naming_the_field() -> None:
    [rejected] = map_items([_minimal(expires=["soon"])], base_url=BASE)
    assert isinstance(rejected, Rejected)
    assert rejected.reason == "expires: unparseable date 'soon'"


def test_a_run_keyed_anew_names_its_former_utc_key() -> None:
    """Earlier versions keyed runs by the start's UTC date: the record names that key, so the
    catalog renames the stored run instead of listing the session twice."""
    run = _map(startDate=["2016-10-15T00:00:00+02:00"]).runs[0]
    assert (run.key, run.former_keys) == ("c1@2016-10-15", ("c1@2016-10-14",))
    for same_day in ("2016-10-15T00:00:00Z", "2016-10-15T12:00:00+02:00"):
        assert _map(startDate=[same_day]).runs[0].former_keys == ()
