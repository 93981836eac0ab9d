"""The placeholders that keep a feed's URL credentials out of the catalog, and bring them back
for the connector (RELIABILITY.md K3; the end-to-end test is in tests/test_secrets_leak.py)."""

from __future__ import annotations

from connectors.records import CourseRecord, CourseRun, Page
from connectors.redact import url_credentials
from scheduler.stored_secrets import StoredSecrets


def test_credentials_are_found_in_query_strings_userinfo_and_relative_paths() -> None:
    found = url_credentials(
        [
            "https://harvester:pa55word@oai.example/oai?api_key=K3Y-1&verb=Identify",
            "/courses?access_token=t0ken+x&page_size=50&sign=2001",  # sign: XuetangX's course id
            "https://courses.example/api/courses/v1/courses/",
            "https://oai.example/oai?key=ab",  # too short to be a credential worth masking
        ]
    )
    assert found == ["pa55word", "K3Y-1", "t0ken+x", "t0ken x"]


def test_hide_and_reveal_are_inverse_for_raw_and_percent_encoded_spellings() -> None:
    secrets = StoredSecrets.of(["s3cret/key=", "t0ken"])
    cursor = {
        "next": "https://p.example/courses?token=t0ken&key=s3cret%2Fkey%3D&page=2",
        "validators": {"https://p.example/courses?token=t0ken": {"digest": "abc"}},
    }
    hidden = secrets.hide(cursor)
    assert hidden == {
        "next": "https://p.example/courses?token=***2&key=***q&page=2",
        "validators": {"https://p.example/courses?token=***2": {"digest": "abc"}},
    }
    assert secrets.reveal(hidden) == cursor
    rotated = StoredSecrets.of(["n3w/key=", "n3wt0ken"])
    assert rotated.reveal(hidden)["next"] == (
        "https://p.example/courses?token=n3wt0ken&key=n3w%2Fkey%3D&page=2"
    )


def test_hide_reaches_into_a_page_its_records_runs_and_raw_payloads() -> None:
    secrets = StoredSecrets.of(["t0ken"])
    record = CourseRecord(
        key="c1",
        title="Course",
        url="https://p.example/c1?token=t0ken",
        runs=(CourseRun(key="r1", url="https://p.example/r1?token=t0ken"),),
        raw={"links": ["https://p.example/c1?token=t0ken"], "n": 1},
    )
    untouched = CourseRecord(key="c2", title="Other")
    page = Page(
        items=(record, untouched),
        cursor={"next": "https://p.example/?token=t0ken&page=2"},
        url="https://p.example/?token=t0ken",
        number=1,
    )
    hidden = secrets.hide(page)
    assert "t0ken" not in repr(hidden) + repr(hidden.items[0].raw)
    assert hidden.url == "https://p.example/?token=***"
    assert hidden.items[0].runs[0].url == "https://p.example/r1?token=***"
    assert hidden.items[0].raw == {"links": ["https://p.example/c1?token=***"], "n": 1}
    assert hidden.items[1] is untouched
    assert StoredSecrets().hide(page) is page  # no credentials: nothing is copied
