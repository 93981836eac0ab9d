"""Secrets stay where they are used: on the wire to their own origin, nowhere else.

K2: a key in a URL's query string and a password in its userinfo, on a failing request over
real sockets with ``-vv`` (urllib3's DEBUG lines quote full URLs): not in stderr, the run's
stored error, ``moocx runs``, ``moocx check`` or the exception. K3: after a *successful*
authenticated sync (OAuth2 client credentials, a JWT the API checks), neither the client secret
nor the access token is in the catalog (the SQLite file's bytes, every PostgreSQL table's rows),
the JSON, the CSV or any file of the site. On SQLite and PostgreSQL, as the user runs it.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import socket
import subprocess
import traceback
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from sqlalchemy import create_engine, inspect, text

from connectors.errors import FeedError
from scheduler import logs
from scheduler.check import build_check_connector
from scheduler.cli import run
from scheduler.config import load_config
from scheduler.demo.server import DemoRequest, DemoServer, OpenEdxPlatform, Reply, load_sample
from tests.support.cli import ROOT, moocx
from tests.support.loopback import LoopbackServer
from tests.support.loopback import Reply as LoopbackReply

# -- K2: a key in a URL query string --------------------------------------------------------------

KEY, PASSWORD, TOKEN = "k2-QUERY-KEY-7f3a9", "k2-USERINFO-PW-91c2e", "k2-QUERY-TOKEN-55d0b"
ENV = {"OAI_KEY": KEY, "OAI_PASSWORD": PASSWORD, "MOOCHUB_TOKEN": TOKEN}
BASIC = base64.b64encode(f"harvester:{PASSWORD}".encode()).decode()  # the header requests sends
K2_SENTINELS = (KEY, PASSWORD, TOKEN, BASIC)

K2_CONFIG = """
[catalog]
url = "{catalog_url}"

[http]
max_retries = 1
backoff_base = 0

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[feeds]]
id = "vnu-oai"
institution = "vnu"
connector = "oaipmh"
base_url = "http://harvester:${{OAI_PASSWORD}}@127.0.0.1:{port}/oai?api_key=${{OAI_KEY}}"

[[feeds]]
id = "vnu-moochub"
institution = "vnu"
connector = "moochub"
base_url = "http://127.0.0.1:{port}/moochub"

[feeds.options]
path = "/courses?access_token=${{MOOCHUB_TOKEN}}&page_size=50"
"""


def free_port() -> int:
    """A port nothing listens on (bound, read, released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def moocx_process(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``moocx`` in its own process: stderr is exactly what the admin's terminal shows."""
    return moocx("--config", str(config), *args, env={**os.environ, **ENV})


def exception_texts(config: Path) -> list[str]:
    """Everything an error reporter could show of each feed's exception (message, repr,
    args, the traceback with its chain): the connectors built as the sync builds them."""
    loaded = load_config(config, env={**os.environ, **ENV})
    texts = []
    for feed in loaded.feeds:
        with pytest.raises(FeedError) as info:
            list(build_check_connector(loaded, feed.id).harvest(None))
        exc = info.value
        rendered = "".join(traceback.TracebackException.from_exception(exc).format())
        texts.append(f"{exc}\n{exc!r}\n{exc.args!r}\n{rendered}")
    return texts


def stored_errors(catalog_url: str) -> dict[str, str]:
    engine = create_engine(catalog_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT feed_id, error FROM harvest_runs")).all()
    finally:
        engine.dispose()
    return {feed: error for feed, error in rows}


@pytest.mark.parametrize("failure", ["http-500", "connection-refused"])
def test_k2_a_key_in_a_query_string_or_userinfo_shows_nowhere_when_the_request_fails(
    tmp_path: Path, catalog_url: str, failure: str
) -> None:
    """K2: a failing request whose URL carries a key (``?api_key=`` from base_url,
    ``?access_token=`` from a feed option, neither a configured secret) and a password in its
    userinfo: masked in urllib3's DEBUG lines, the messages, the stored error, ``moocx runs``,
    ``moocx check`` (plain and JSON lines) and the exception's text."""
    down = LoopbackReply(500, b"<html><title>Down</title></html>", {"Content-Type": "text/html"})
    with LoopbackServer() as server:
        server.route("/oai", down)
        server.route("/moochub/courses", down)
        port = server.port if failure == "http-500" else free_port()
        config = tmp_path / "config.toml"
        config.write_text(K2_CONFIG.format(catalog_url=catalog_url, port=port), "utf-8")

        sync = moocx_process(config, "-vv", "sync")
        runs = moocx_process(config, "runs")
        check = moocx_process(config, "-vv", "--log-format", "json", "check")
        exceptions = exception_texts(config)
        on_the_wire = " ".join(f"{r.target} {r.headers}" for r in server.requests)

    assert sync.returncode == 1, sync.stderr[-2000:]
    if failure == "http-500":  # the secrets really travelled: the test could see a leak
        assert KEY in on_the_wire and TOKEN in on_the_wire and BASIC in on_the_wire
        assert "urllib3.connectionpool" in sync.stderr and '"GET /oai?api_key=***&' in sync.stderr
    else:
        assert "Starting new HTTP connection" in sync.stderr  # urllib3's DEBUG lines are shown
    errors = stored_errors(catalog_url)
    assert set(errors) == {"vnu-oai", "vnu-moochub"}
    assert f"127.0.0.1:{port}/oai?api_key=***&verb=ListRecords" in errors["vnu-oai"]
    assert (
        f"127.0.0.1:{port}/moochub/courses?access_token=***&page_size=50" in errors["vnu-moochub"]
    )
    assert errors["vnu-oai"] in runs.stdout and errors["vnu-oai"] in sync.stdout
    assert '"level": "debug"' in check.stderr  # the JSON lines with urllib3's DEBUG
    shown = {
        "sync": sync.stdout + sync.stderr,
        "runs": runs.stdout + runs.stderr,
        "check": check.stdout + check.stderr,
        "stored errors": "\n".join(errors.values()),
        "exceptions": "\n".join(exceptions),
    }
    for where, output in shown.items():
        leaked = [s for s in K2_SENTINELS if s in output]
        assert not leaked, f"{where} shows {leaked}"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(
            'http://127.0.0.1:8000 "GET /oai?api_key=K&verb=ListRecords HTTP/1.1" 500 32',
            'http://127.0.0.1:8000 "GET /oai?api_key=***&verb=ListRecords HTTP/1.1" 500 32',
            id="urllib3-request-line",
        ),
        pytest.param(
            "Max retries exceeded with url: /c?page=2&token=T&access_token=A (Caused by X)",
            "Max retries exceeded with url: /c?page=2&token=***&access_token=*** (Caused by X)",
            id="requests-exception-text",
        ),
        pytest.param(
            "proxy http://moocx:hunter2@proxy.vnu.edu.vn:3128 refused",
            "proxy http://***@proxy.vnu.edu.vn:3128 refused",
            id="userinfo",
        ),
        pytest.param(
            "sent Authorization: JWT eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
            "sent Authorization: JWT ***",
            id="authorization-value",
        ),
        pytest.param(
            "GET /api/v1/lms/get_product_list/?page=3&sign=tsinghua080&key=&monkey=1",
            "GET /api/v1/lms/get_product_list/?page=3&sign=tsinghua080&key=***&monkey=1",
            id="only-secret-names",
        ),
        pytest.param(
            "fetched a JWT token from http://lms/oauth2/access_token, valid 3600 s",
            "fetched a JWT token from http://lms/oauth2/access_token, valid 3600 s",
            id="nothing-to-mask",
        ),
    ],
)
def test_k2_the_log_filter_masks_what_looks_like_a_credential(line: str, expected: str) -> None:
    """K2: the redaction filter masks query-string keys, userinfo and quoted credentials in
    any line, without a config naming them, and leaves everything else as it was."""
    assert logs.RedactSecrets().mask(line) == expected


def test_k2_the_log_filter_masks_tracebacks_and_json_fields() -> None:
    """K2: a configured secret and a query-string key in an exception's traceback and in an
    ``extra`` field of a JSON line are masked too (the formatters print what the filter left)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RedactSecrets([PASSWORD]))
    logger = logging.getLogger("tests.secrets_leak")
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"GET /c?api_key={KEY} with {PASSWORD}")
        except RuntimeError:
            logger.error("the run failed", exc_info=True, extra={"error": f"?token={TOKEN}"})
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert "RuntimeError: GET /c?api_key=*** with ***" in line["exception"]
    assert line["error"] == "?token=***"
    assert not [s for s in (KEY, TOKEN, PASSWORD) if s in stream.getvalue()]


# -- K3: secrets in exports and the catalog ------------------------------------------------------

CLIENT_SECRET = "k3-CLIENT-SECRET-3e81c0"
#: A JWT as Open edX issues it (header.payload.signature); the signature carries the sentinel.
ACCESS_TOKEN = (
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJtb29jeC1oYXJ2ZXN0ZXIifQ."
    "k3ACCESSTOKENsignature9f2d"
)
K3_SENTINELS = (CLIENT_SECRET, ACCESS_TOKEN, "k3ACCESSTOKENsignature9f2d")

K3_CONFIG = """
[catalog]
url = "{catalog_url}"

[[institutions]]
id = "vnu"
country = "VN"
timezone = "Asia/Ho_Chi_Minh"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[institutions]]
id = "tsinghua"
country = "CN"
timezone = "Asia/Shanghai"
names = {{ zh = "清华大学" }}

[[feeds]]
id = "vnu-openedx"
institution = "vnu"
connector = "openedx"
base_url = "{lms}"

[feeds.options]
page_size = 20

[feeds.auth]
client_id = "moocx-harvester"
client_secret = "${{VNU_CLIENT_SECRET}}"

[[exchange]]
id = "vnu-to-tsinghua"
from = "vnu"
to = "tsinghua"

[[exports]]
format = "json"
path = "exports/catalog.json"

[[exports]]
format = "csv"
path = "exports/offers-tsinghua.csv"
audience = "tsinghua"

[[exports]]
format = "site"
path = "exports/site-tsinghua"
audience = "tsinghua"
"""


class AuthenticatedLms:
    """VNU's Open edX behind OAuth2: a JWT for the right client credentials (client
    credentials grant, ``token_type=jwt``), the Courses API only for ``Authorization: JWT``
    with that token, 401 otherwise."""

    def __init__(self) -> None:
        self.platform = OpenEdxPlatform(load_sample("vnu_openedx_courses.json"))
        self.tokens_issued = 0
        self.pages_served = 0
        self.refused = 0

    def __call__(self, request: DemoRequest) -> Reply:
        if request.path == "/oauth2/access_token":
            form = parse_qs(request.body.decode())
            expected = {
                "grant_type": ["client_credentials"],
                "client_id": ["moocx-harvester"],
                "client_secret": [CLIENT_SECRET],
                "token_type": ["jwt"],
            }
            if request.method != "POST" or form != expected:
                return self._json(401, {"error": "invalid_client"})
            self.tokens_issued += 1
            token = {"access_token": ACCESS_TOKEN, "token_type": "JWT", "expires_in": 3600}
            return self._json(200, {**token, "scope": "read"})
        if request.headers.get("authorization") != f"JWT {ACCESS_TOKEN}":
            self.refused += 1
            return self._json(401, {"detail": "Authentication credentials were not provided."})
        self.pages_served += 1
        return self.platform(request)

    @staticmethod
    def _json(status: int, body: object) -> Reply:
        return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def catalog_dump(catalog_url: str, tmp_path: Path) -> dict[str, bytes]:
    """What an attacker with the catalog could read: on SQLite the database file's bytes (and
    its -wal / -shm files), on PostgreSQL every row of every table."""
    if catalog_url.startswith("sqlite"):
        return {p.name: p.read_bytes() for p in tmp_path.glob("catalog.db*")}
    engine = create_engine(catalog_url)
    try:
        with engine.connect() as conn:
            return {
                table: repr(conn.execute(text(f'SELECT * FROM "{table}"')).all()).encode()
                for table in inspect(engine).get_table_names()
            }
    finally:
        engine.dispose()


def test_k3_after_a_successful_authenticated_sync_no_secret_or_token_is_stored_or_exported(
    tmp_path: Path, catalog_url: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """K3: an OAuth2 client-credentials sync that works (the API checks the JWT on every
    page), then every export: the client secret and the access token are in no byte of the
    catalog (SQLite file, every PostgreSQL table), the JSON, the CSV, any file of the site or
    the output of ``-vv``."""
    monkeypatch.setenv("VNU_CLIENT_SECRET", CLIENT_SECRET)
    lms = AuthenticatedLms()
    config = tmp_path / "config.toml"
    with DemoServer({"lms": lms}) as server:
        config.write_text(K3_CONFIG.format(catalog_url=catalog_url, lms=server.url("lms")), "utf-8")
        assert run(["--config", str(config), "-vv", "sync"]) == 0, capsys.readouterr().err
    assert run(["--config", str(config), "export", "--all"]) == 0, capsys.readouterr().err
    out, err = capsys.readouterr()

    # The sync really was authenticated, and the data really landed: the search could fail.
    assert lms.tokens_issued == 1 and lms.refused == 0 and lms.pages_served == 5
    exported = json.loads((tmp_path / "exports" / "catalog.json").read_text("utf-8"))
    assert len(exported["courses"]) == 58
    site = tmp_path / "exports" / "site-tsinghua"
    site_files = [p for p in site.rglob("*") if p.is_file()]
    assert len(site_files) > 1 and (site / "index.html").is_file()
    assert "Giáo dục" in (tmp_path / "exports" / "offers-tsinghua.csv").read_text("utf-8-sig")

    searched = {
        f"catalog: {name}": data for name, data in catalog_dump(catalog_url, tmp_path).items()
    }
    assert any(b"Gi\xc3\xa1o d\xe1\xbb\xa5c" in data for data in searched.values())  # courses
    for path in (tmp_path / "exports").rglob("*"):
        if path.is_file():
            searched[str(path.relative_to(tmp_path))] = path.read_bytes()
    searched["moocx output"] = (out + err).encode()
    for where, data in searched.items():
        leaked = [s for s in K3_SENTINELS if s.encode() in data]
        assert not leaked, f"{where} holds {leaked}"


# -- K3: a key in a URL, after successful syncs -------------------------------------------------

URL_TOKEN, ROTATED_TOKEN = "k3-URL-TOKEN-c41f7e", "k3-ROTATED-TOKEN-80ad2"
OAI_KEY, OAI_PASSWORD = "k3-OAI-KEY-2b9d4", "k3-OAI-PASSWORD-e7a15"
URL_SENTINELS = (URL_TOKEN, ROTATED_TOKEN, OAI_KEY, OAI_PASSWORD)

URL_KEY_CONFIG = """
[catalog]
url = "{catalog_url}"

[http]
max_retries = 0

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[feeds]]
id = "vnu-moochub"
institution = "vnu"
connector = "moochub"
base_url = "{portal}"

[feeds.options]
path = "/courses?access_token=${{PORTAL_TOKEN}}&page_size=2"

[[feeds]]
id = "vnu-oai"
institution = "vnu"
connector = "oaipmh"
enabled = false
base_url = "http://harvester:${{OAI_PASSWORD}}@127.0.0.1:9/oai?api_key=${{OAI_KEY}}"

[[exports]]
format = "json"
path = "exports/catalog.json"
"""


class TokenPortal:
    """A MOOChub portal that takes its key in the query string, checks it on every request
    (401 otherwise) and echoes it in ``links.next``, as such portals do: two pages of two
    courses; page 2 answers 500 while ``down``."""

    def __init__(self) -> None:
        sample = json.loads((ROOT / "tests/fixtures/moochub/courses.json").read_bytes())
        good = sample["data"][:2]  # the sample's last two are rejected on purpose
        self.courses = good + [{**c, "id": f"{c['id']}-b"} for c in good]
        self.token = URL_TOKEN
        self.down = True
        self.pages: list[str] = []  # "1", "2", or "refused"

    def __call__(self, request: DemoRequest) -> Reply:
        if request.query.get("access_token") != [self.token]:
            self.pages.append("refused")
            return 401, {"Content-Type": "application/json"}, b'{"errors": [{"status": "401"}]}'
        page = request.query.get("page", ["1"])[0]
        self.pages.append(page)
        if page == "2" and self.down:
            return 500, {"Content-Type": "text/plain"}, b"temporarily down"
        start = 2 * (int(page) - 1)
        body: dict[str, object] = {"data": self.courses[start : start + 2], "links": {}}
        if page == "1":
            query = f"access_token={self.token}&page_size=2&page=2"
            body["links"] = {"next": f"{request.base}/courses?{query}"}
        return 200, {"Content-Type": "application/vnd.api+json"}, json.dumps(body).encode()


def test_k3_a_key_in_a_url_is_used_on_the_wire_and_stored_nowhere(
    tmp_path: Path, catalog_url: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """K3: a feed whose key is in the query string (and echoed in the source's next links)
    and one with a key and a password in its ``base_url``. A sync that fails on page 2, one
    that resumes from the saved next link, one whose pages are asked for again by their saved
    URLs (not modified), and one after the key was rotated all reach the portal with the key
    of the moment; the catalog and the export hold ``***`` where the key was, never the key."""
    monkeypatch.setenv("PORTAL_TOKEN", URL_TOKEN)
    monkeypatch.setenv("OAI_KEY", OAI_KEY)
    monkeypatch.setenv("OAI_PASSWORD", OAI_PASSWORD)
    portal = TokenPortal()
    config = tmp_path / "config.toml"
    with DemoServer({"portal": portal}) as server:
        text_ = URL_KEY_CONFIG.format(catalog_url=catalog_url, portal=server.url("portal"))
        config.write_text(text_, "utf-8")
        assert run(["--config", str(config), "sync"]) == 1  # page 2 is down
        portal.down = False
        assert run(["--config", str(config), "sync"]) == 0, capsys.readouterr().err
        assert run(["--config", str(config), "sync"]) == 0, capsys.readouterr().err
        assert run(["--config", str(config), "runs", "show", "3"]) == 0
        assert "pages 2 (2 not modified)" in capsys.readouterr().out  # asked for by saved URLs
        portal.token = ROTATED_TOKEN
        monkeypatch.setenv("PORTAL_TOKEN", ROTATED_TOKEN)
        assert run(["--config", str(config), "sync"]) == 0, capsys.readouterr().err
    assert run(["--config", str(config), "export", "--all"]) == 0
    out, err = capsys.readouterr()

    # Run 1 stopped at page 2; run 2 resumed there with the key put back into the saved next
    # link; run 3 asked for both pages by their saved URLs and found them as they were; run 4,
    # after the rotation, with the new key (the next link changed with it, so page 1 is new).
    assert portal.pages == ["1", "2", "2", "1", "2", "1", "2"]
    exported = json.loads((tmp_path / "exports" / "catalog.json").read_text("utf-8"))
    assert len(exported["courses"]) == 4
    dump = catalog_dump(catalog_url, tmp_path)
    stored = b"\n".join(dump.values())
    assert b"access_token=***&page_size=2&page=2" in stored  # the saved next link and page URL
    assert b"http://harvester:***@127.0.0.1:9/oai?api_key=***2" in stored  # the feed's base_url
    searched = {f"catalog: {name}": data for name, data in dump.items()}
    searched["catalog.json"] = (tmp_path / "exports" / "catalog.json").read_bytes()
    searched["moocx output"] = (out + err).encode()
    for where, data in searched.items():
        leaked = [s for s in URL_SENTINELS if s.encode() in data]
        assert not leaked, f"{where} holds {leaked}"
