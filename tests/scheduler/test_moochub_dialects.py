"""Issue 18 from the admin's side: a Moodle ``local/open_api`` MOOChub feed, `moocx sync`, and
what lands in the catalog — URL and description from the plugin's field names, free from string
booleans, no absurd workload, the course mode, the price's frequency, no Person as organisation,
the expiry date, and run keys on the day the source wrote."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import responses
from sqlalchemy import create_engine, text

from scheduler.cli import run
from tests.conftest import fixture_json

MOODLE = "https://moodle.ki-campus.org"
PATH = "/local/open_api/moochub.php"

CONFIG = """
[catalog]
url = "{catalog_url}"

[http]
max_retries = 0

[[institutions]]
id = "ki-campus"
country = "DE"
names = {{ en = "KI-Campus" }}

[[feeds]]
id = "ki-moodle"
institution = "ki-campus"
connector = "moochub"
base_url = "{base}"

[feeds.options]
path = "{path}"
"""


def _rows(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(text(sql)).all()]
    engine.dispose()
    return found


def _utc(value: datetime | str | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite gives it back naive or as text)."""
    if value is None:
        return None
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@responses.activate
def test_a_moodle_open_api_feed_lands_with_every_dialect_field(
    tmp_path: Path, catalog_url: str
) -> None:
    responses.get(
        f"{MOODLE}{PATH}",
        json=fixture_json("moochub", "local_open_api_courses.json"),
        content_type="application/vnd.api+json",
    )
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(catalog_url=catalog_url, base=MOODLE, path=PATH), "utf-8")
    assert run(["--config", str(config), "sync", "--quiet"]) == 0

    courses = {
        key: rest
        for key, *rest in _rows(
            catalog_url,
            "SELECT key, url, description IS NOT NULL, is_free, effort, mode, organization, "
            "certificate, expires FROM courses ORDER BY key",
        )
    }
    assert {k: tuple(v[:-1]) for k, v in courses.items()} == {
        "17": (
            "https://moodle.ki-campus.org/course/view.php?id=17",
            True,
            True,
            None,  # 1080 h/week dropped
            "online",
            "KI-Campus",
            True,
        ),
        "23": (
            "https://moodle.ki-campus.org/course/view.php?id=23",
            True,
            False,
            "8 h/day",
            "onsite",
            "Universität Potsdam",
            None,
        ),
        "31": (
            "https://moodle.ki-campus.org/course/view.php?id=31",
            True,
            False,
            "3 h/week",
            "blended",
            "Stifterverband",
            None,
        ),
    }
    assert {k: _utc(v[-1]) for k, v in courses.items()} == {
        "17": None,
        "23": datetime(2024, 3, 31, 21, 59, 59, tzinfo=UTC),
        "31": datetime(2099, 3, 31, 21, 59, 59, tzinfo=UTC),
    }
    runs = _rows(
        catalog_url,
        "SELECT r.key, r.price, r.currency, r.payment_frequency FROM course_runs r ORDER BY r.key",
    )
    assert runs == [
        ("17@2016-10-15", None, None, None),
        ("23@2024-02-01", "9.99", "EUR", "monthly"),
        ("31@2025-04-01", "120.00", "EUR", "other"),
        ("31@2025-10-01", "120.00", "EUR", "other"),
    ]
