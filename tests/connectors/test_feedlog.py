"""Every line about a feed starts with its id, written in one place (connectors/feedlog.py)."""

from __future__ import annotations

import logging

import pytest

from connectors.feedlog import FeedLog, feed_prefix

LOGGER = "connectors.test_feedlog"


def test_the_prefix_names_the_feed_and_is_empty_without_one() -> None:
    assert feed_prefix("vnu-openedx") == "feed vnu-openedx: "
    assert feed_prefix("") == ""


@pytest.mark.parametrize(
    ("feed_id", "args", "expected"),
    [
        pytest.param("vnu", ("503", 2.0), "feed vnu: HTTP 503; retrying in 2.0 s", id="lazy-args"),
        pytest.param("", ("503", 2.0), "HTTP 503; retrying in 2.0 s", id="no-feed-no-prefix"),
        pytest.param("a%s", ("503", 2.0), "feed a%s: HTTP 503; retrying in 2.0 s", id="percent-id"),
    ],
)
def test_lines_carry_the_feed_id(
    caplog: pytest.LogCaptureFixture, feed_id: str, args: tuple[object, ...], expected: str
) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER):
        FeedLog(logging.getLogger(LOGGER), feed_id).warning("HTTP %s; retrying in %.1f s", *args)
    [record] = caplog.records
    assert record.getMessage() == expected
    assert record.name == LOGGER  # the module's own logger: levels and filters apply as before


def test_a_line_without_arguments_keeps_its_percent_signs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER):
        FeedLog(logging.getLogger(LOGGER), "a%b").info("100% done")
    assert caplog.records[0].getMessage() == "feed a%b: 100% done"


def test_the_record_points_at_the_caller(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER):
        FeedLog(logging.getLogger(LOGGER), "vnu").info("sync started")
    record = caplog.records[0]
    assert record.funcName == "test_the_record_points_at_the_caller"
    assert record.filename == "test_feedlog.py"


def test_a_connectors_log_is_its_modules_logger_with_the_feed_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from connectors.base import FeedContext
    from connectors.oaipmh import OaiPmhConnector, OaiPmhOptions

    connector = OaiPmhConnector(
        FeedContext("hou-oai", "https://oai.hou.invalid/oai"), OaiPmhOptions()
    )
    try:
        with caplog.at_level(logging.WARNING, logger="connectors.oaipmh"):
            assert connector._from_argument("not a date") is None
    finally:
        connector.close()
    [record] = caplog.records
    assert record.name == "connectors.oaipmh"
    assert record.getMessage() == "feed hou-oai: unreadable from='not a date'; full harvest"
    assert record.filename == "oaipmh.py"
