"""`moocx check` as a new partner's admin uses it: a real OAI-PMH repository on loopback, a
dead endpoint, a wrong base_url — what the check says, how fast it gives up, and `--quiet`."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest

from scheduler.cli import run
from tests.support.loopback import LoopbackServer, Reply
from tests.support.oai_provider import OaiProvider, OaiRecord

INSTITUTION = """
[catalog]
url = "sqlite:///{db}"

[[institutions]]
id = "hou"
country = "VN"
timezone = "Asia/Ho_Chi_Minh"
names = {{ vi = "Trường Đại học Mở Hà Nội", en = "Hanoi Open University" }}
"""

FEED = """
[[feeds]]
id = "{id}"
institution = "hou"
connector = "oaipmh"
base_url = "{base_url}"
{options}
"""

RECORDS = [
    OaiRecord(
        "oai:hou.edu.vn:mooc/ECO101",
        "Kinh tế học vi mô",
        subjects=("Kinh tế học",),
        url="https://mooc.hou.edu.vn/courses/ECO101",
        sets=("mooc:eco",),
    ),
    OaiRecord("oai:hou.edu.vn:mooc/LAW200", deleted=True, sets=("mooc:law",)),
    OaiRecord("oai:hou.edu.vn:mooc/ENG105", "Tiếng Anh chuyên ngành", sets=("mooc:lang",)),
]
SETS = tuple((f"mooc:s{i}", f"Bộ môn {i}") for i in range(1, 8))


def _config(tmp_path: Path, *feeds: tuple[str, str, str]) -> str:
    text = INSTITUTION.format(db=tmp_path / "catalog.db")
    for feed_id, base_url, options in feeds:
        text += FEED.format(id=feed_id, base_url=base_url, options=options)
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_check_of_an_oai_pmh_repository_shows_identify_formats_sets_and_the_first_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with OaiProvider(RECORDS, formats=("oai_dc", "oai_lom"), sets=SETS) as oai:
        config = _config(tmp_path, ("hou-oai", oai.url, ""))
        assert run(["--config", config, "check"]) == 0
        verbs, url = oai.verbs(), oai.url
    out = capsys.readouterr().out
    assert f"hou-oai (oaipmh) {url}" in out
    assert "connection: ok" in out and "(4 requests)" in out
    assert "repository: HOU Open Courseware (OAI-PMH 2.0)" in out
    assert "granularity: YYYY-MM-DDThh:mm:ssZ; incremental runs send from= to the second" in out
    assert "deleted records: persistent; reported and kept" in out
    assert "earliest datestamp: 2015-09-01T00:00:00Z" in out
    assert "metadata formats: oai_dc, oai_lom (harvesting oai_dc)" in out
    assert (
        "sets: 7: mooc:s1 (Bộ môn 1), mooc:s2 (Bộ môn 2), mooc:s3 (Bộ môn 3), mooc:s4 (Bộ môn 4), "
        "mooc:s5 (Bộ môn 5) and 2 more"
    ) in out
    assert "items declared by the source: 3" in out
    assert "first page: 1 course, 0 rejected, 1 withdrawn; more pages follow" in out
    assert "sample: oai:hou.edu.vn:mooc/ECO101 — Kinh tế học vi mô" in out
    assert out.rstrip().endswith("checked 1 feed: 1 ok")
    assert verbs == ["ListRecords", "Identify", "ListMetadataFormats", "ListSets"]
    assert not (tmp_path / "catalog.db").exists()


def test_no_set_hierarchy_is_a_normal_answer_but_a_configured_set_is_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with OaiProvider(RECORDS, deleted_record="no", granularity="YYYY-MM-DD") as oai:
        config = _config(
            tmp_path,
            ("hou-oai", oai.url, ""),
            ("hou-eco", oai.url, '[feeds.options]\nset = "mooc:eco"'),
        )
        assert run(["--config", config, "check", "hou-oai"]) == 0
        plain = capsys.readouterr().out
        run(["--config", config, "check", "hou-eco"])
        with_set = capsys.readouterr().out
    assert "sets: none (noSetHierarchy: the repository does not use sets)" in plain
    assert "incremental runs send from= by day" in plain
    assert "deleted records: no; the repository does not report deletions" in plain
    assert "options.set 'mooc:eco' cannot match: no sets" in with_set


def test_a_metadata_prefix_the_repository_lacks_fails_and_the_formats_say_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with OaiProvider(RECORDS, sets=SETS[:2]) as oai:
        options = '[feeds.options]\nmetadata_prefix = "lom"'
        config = _config(tmp_path, ("hou-oai", oai.url, options))
        assert run(["--config", config, "check"]) == 1
    out = capsys.readouterr().out
    assert "metadata formats: oai_dc; options.metadata_prefix 'lom' is not among them" in out
    assert "error: " in out and "cannotDisseminateFormat" in out
    assert "sets: 2: mooc:s1 (Bộ môn 1), mooc:s2 (Bộ môn 2)" in out
    assert "checked 1 feed: 0 ok, 1 failed: hou-oai (unexpected answer)" in out


def test_a_refused_connection_is_one_readable_line_after_at_most_two_attempts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/oai"
    config = _config(tmp_path, ("hou-oai", url, ""))  # [http] max_retries stays 4, for sync
    assert run(["--config", config, "check"]) == 1
    captured = capsys.readouterr()
    errors = [line for line in captured.out.splitlines() if "error:" in line]
    assert errors == [
        f"  error: cannot connect to {url}?verb=ListRecords&metadataPrefix=oai_dc: "
        "connection refused (gave up after 2 attempts)"
    ]
    assert "connection: FAILED" in captured.out and "(2 requests)" in captured.out
    assert captured.err.count("retrying in") == 1
    assert "checked 1 feed: 0 ok, 1 failed: hou-oai (connection refused)" in captured.out
    for text in (captured.out, captured.err):
        assert "ConnectionPool" not in text and "Max retries" not in text
        assert "NewConnectionError" not in text
    assert "Identify" not in captured.out  # no diagnosis of an endpoint nobody answers


def test_sync_keeps_its_own_retries_and_stores_the_same_readable_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/oai"
    config = _config(tmp_path, ("hou-oai", url, ""))
    assert run(["--config", config, "sync", "--quiet"]) == 1
    captured = capsys.readouterr()
    assert captured.err.count("retrying in") == 4  # max_retries = 4: five attempts
    assert "connection refused (gave up after 5 attempts)" in captured.out
    run(["--config", config, "runs"])
    runs = capsys.readouterr().out
    assert (
        f"run 1: feed hou-oai: cannot connect to {url}?verb=ListRecords&metadataPrefix=oai_dc: "
        "connection refused (gave up after 5 attempts)"
    ) in runs
    assert "ConnectionPool" not in runs and "Max retries" not in runs


def test_an_html_page_at_base_url_says_it_is_not_the_oai_pmh_endpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = "<!DOCTYPE html><html><head><title>HOU - Trang chủ</title></head></html>".encode()
    with LoopbackServer() as portal:
        portal.route("/", Reply(200, page, {"Content-Type": "text/html; charset=utf-8"}))
        config = _config(tmp_path, ("hou-oai", portal.url("/"), ""))
        assert run(["--config", config, "check"]) == 1
        hits = portal.hits()
    out = capsys.readouterr().out
    assert 'answered an HTML page (HTTP 200, text/html, "HOU - Trang chủ"), not OAI-PMH XML' in out
    assert "base_url must be the repository's OAI-PMH endpoint" in out
    assert hits == 1  # Identify and the rest would only answer the same page


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        pytest.param(
            Reply(404, b"Not Found", {"Content-Type": "text/plain"}), "HTTP 404", id="404"
        ),
        pytest.param(
            Reply(200, b'{"courses": []}', {"Content-Type": "application/json"}),
            "answered JSON, not OAI-PMH XML",
            id="json",
        ),
        pytest.param(
            Reply(200, b'<rss version="2.0"><channel/></rss>', {"Content-Type": "text/xml"}),
            "is not an OAI-PMH response",
            id="rss",
        ),
    ],
)
def test_other_answers_that_are_not_oai_pmh_get_the_base_url_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], reply: Reply, expected: str
) -> None:
    with LoopbackServer() as portal:
        portal.route("/api", reply)
        config = _config(tmp_path, ("hou-oai", portal.url("/api"), ""))
        assert run(["--config", config, "check"]) == 1
    out = capsys.readouterr().out
    assert expected in out
    assert "base_url must be the repository's OAI-PMH endpoint" in out


def test_bad_verb_means_base_url_is_not_the_bare_endpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with OaiProvider(RECORDS) as oai:
        # The admin pasted a whole request URL; its verb and ours make an illegal one.
        config = _config(tmp_path, ("hou-oai", f"{oai.url}?verb=Identify", ""))
        assert run(["--config", config, "check"]) == 1
    out = capsys.readouterr().out
    assert "OAI-PMH error badVerb" in out
    assert "base_url must be the repository's OAI-PMH endpoint" in out


def test_quiet_prints_only_errors_and_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = f"http://127.0.0.1:{closed_port()}/oai"
    with OaiProvider(RECORDS, sets=SETS) as oai:
        config = _config(tmp_path, ("hou-oai", oai.url, ""), ("hou-old", dead, ""))
        assert run(["--config", config, "check", "--quiet"]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"hou-old (oaipmh) {dead}",
        f"  error: cannot connect to {dead}?verb=ListRecords&metadataPrefix=oai_dc: "
        "connection refused (gave up after 2 attempts)",
        "checked 2 feeds: 1 ok, 1 failed: hou-old (connection refused)",
    ]
    assert "retrying" not in captured.err
    assert logging.getLogger("connectors").level == logging.NOTSET  # restored for what follows


def test_without_quiet_every_feed_is_detailed_and_the_retry_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = f"http://127.0.0.1:{closed_port()}/oai"
    with OaiProvider(RECORDS) as oai:
        config = _config(tmp_path, ("hou-oai", oai.url, ""), ("hou-old", dead, ""))
        assert run(["--config", config, "check"]) == 1
    captured = capsys.readouterr()
    assert "sample: oai:hou.edu.vn:mooc/ECO101" in captured.out
    assert "hou-old (oaipmh)" in captured.out
    assert captured.err.count("retrying in") == 1


def test_a_silent_endpoint_is_given_up_after_two_read_timeouts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with LoopbackServer(slow_seconds=5.0) as silent:
        config = _config(tmp_path, ("hou-oai", silent.url("/slow"), ""))
        text = Path(config).read_text(encoding="utf-8")
        Path(config).write_text(text + "\n[feeds.http]\nread_timeout = 0.3\n", encoding="utf-8")
        assert run(["--config", config, "check"]) == 1
        assert silent.wait_for_hits(2, "/slow")
        hits, url = silent.hits("/slow"), silent.url("/slow")
    out = capsys.readouterr().out
    assert hits == 2
    assert (
        f"no answer from {url}?verb=ListRecords&metadataPrefix=oai_dc: "
        "timed out after 0.3 s (http.read_timeout) (gave up after 2 attempts)"
    ) in out
    assert "failed: hou-oai (timed out)" in out
