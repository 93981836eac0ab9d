"""``[publish]`` and ``[web]``: what they take, the one line each mistake gets, and ``moocx web``
refusing to start without a node to publish as."""

from __future__ import annotations

import re
import signal
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from scheduler.cli import run
from scheduler.config import ConfigError, parse_config
from tests.scheduler.web.conftest import publish_section
from tests.support.cli import start_moocx

INSTITUTIONS = {
    "institutions": [
        {"id": "vnu", "names": {"vi": "Đại học Quốc gia Hà Nội"}},
        {"id": "tsinghua", "names": {"zh": "清华大学"}},
    ],
    "feeds": [
        {"id": "vnu-oai", "institution": "vnu", "connector": "oaipmh",
         "base_url": "https://oai.vnu.example/oai"},
    ],
}  # fmt: skip
PUBLISH = {
    "node_id": "mooc.vnu.edu.vn",
    "base_url": "https://mooc.vnu.edu.vn/exchange/",
    "repository_name": "VNU course exchange",
    "admin_email": "exchange@vnu.edu.vn",
    "institutions": ["vnu"],
}


def config(publish: dict | None = None, web: dict | None = None):
    data: dict = dict(INSTITUTIONS)
    if publish is not None:
        data["publish"] = publish
    if web is not None:
        data["web"] = web
    return parse_config(data, env={})


def mistakes(publish: dict | None = None, web: dict | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config(publish, web)
    return caught.value.errors


def test_publish_and_its_defaults() -> None:
    loaded = config(PUBLISH)
    settings = loaded.publish_settings(b"key")
    assert settings.base_url == "https://mooc.vnu.edu.vn/exchange"  # no trailing slash
    assert settings.oai_url == "https://mooc.vnu.edu.vn/exchange/oai"
    assert settings.admin_emails == ("exchange@vnu.edu.vn",)
    assert settings.institutions == ("vnu",)
    assert settings.audiences is None
    assert (settings.page_size, settings.token_lifetime) == (200, timedelta(days=2))
    assert settings.token_key == b"key"
    assert (loaded.web.listen, loaded.web.threads) == ("127.0.0.1:8080", 8)
    assert loaded.web.site is True and loaded.web.cors_origins == ["*"]


def test_several_admins_audiences_and_a_lifetime() -> None:
    loaded = config(
        {**PUBLISH, "admin_email": ["a@vnu.edu.vn", "b@vnu.edu.vn"], "audiences": ["tsinghua"],
         "page_size": 50, "token_lifetime": "3d"}
    )  # fmt: skip
    settings = loaded.publish_settings(b"")
    assert settings.admin_emails == ("a@vnu.edu.vn", "b@vnu.edu.vn")
    assert settings.audiences == ("tsinghua",)
    assert settings.publishes_audience("tsinghua") and not settings.publishes_audience("vnu")
    assert (settings.page_size, settings.token_lifetime) == (50, timedelta(days=3))


def test_the_feeds_know_this_nodes_identities() -> None:
    loaded = config(PUBLISH)
    assert loaded.feed_context(loaded.feed("vnu-oai")).home == (
        "https://mooc.vnu.edu.vn/exchange",
        "oai:mooc.vnu.edu.vn:",
    )
    unpublished = config()
    assert unpublished.feed_context(unpublished.feed("vnu-oai")).home == ()
    with pytest.raises(ConfigError, match=r"\[publish\]: missing"):
        unpublished.publish_settings(b"")


@pytest.mark.parametrize(
    ("change", "line"),
    [
        ({"node_id": "VNU exchange"},
         "publish.node_id: 'VNU exchange' is not a domain name (the OAI-PMH repository "
         "identifier), e.g. mooc.vnu.edu.vn"),
        ({"node_id": "localhost"},
         "publish.node_id: 'localhost' is not a domain name (the OAI-PMH repository "
         "identifier), e.g. mooc.vnu.edu.vn"),
        ({"base_url": "mooc.vnu.edu.vn"},
         "publish.base_url: 'mooc.vnu.edu.vn' is not an http(s) URL"),
        ({"base_url": "https://mooc.vnu.edu.vn/exchange?x=1"},
         "publish.base_url: 'https://mooc.vnu.edu.vn/exchange?x=1' has a query or fragment; "
         "give the service's root URL only"),
        ({"base_url": "https://admin:pw@mooc.vnu.edu.vn"},
         "publish.base_url: 'https://admin:pw@mooc.vnu.edu.vn' holds credentials; a public URL "
         "must not"),
        ({"admin_email": "exchange at vnu"},
         "publish.admin_email: 'exchange at vnu' is not an e-mail address"),
        ({"admin_email": []}, "publish.admin_email: give at least one e-mail address"),
        ({"institutions": ["vnu", "tsinghu"]},
         "publish.institutions[1]: unknown institution 'tsinghu' (did you mean 'tsinghua'?); "
         "[[institutions]] ids: vnu, tsinghua"),
        ({"audiences": ["hou"]},
         "publish.audiences[0]: unknown institution 'hou'; [[institutions]] ids: vnu, tsinghua"),
        ({"page_size": 5000}, "publish.page_size: Input should be less than or equal to 1000"),
        ({"page_size": 5}, "publish.page_size: Input should be greater than or equal to 10"),
        ({"token_lifetime": "12h"},
         "publish.token_lifetime: a resumption token must stay valid for at least 24h "
         "(harvesters resume large lists the next day)"),
        ({"node": "x.y"}, "publish.node: unknown key (did you mean 'node_id'?)"),
        ({"repository_name": None}, "publish.repository_name: missing (required)"),
    ],
)  # fmt: skip
def test_a_publish_mistake_is_one_line(change: dict, line: str) -> None:
    publish = {**PUBLISH, **change}
    publish = {k: v for k, v in publish.items() if v is not None}
    assert mistakes(publish) == [line]


@pytest.mark.parametrize(
    ("web", "line"),
    [
        ({"listen": "8080"},
         "web.listen: '8080' is not HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)"),
        ({"listen": "0.0.0.0:99999"},
         "web.listen: '0.0.0.0:99999' is not HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)"),
        ({"threads": 0}, "web.threads: Input should be greater than or equal to 1"),
        ({"cors_origins": ["https://a.example/path"]},
         "web.cors_origins: 'https://a.example/path' is not an origin: write * or "
         "scheme://host[:port], no path"),
        ({"sites": True}, "web.sites: unknown key (did you mean 'site'?)"),
    ],
)  # fmt: skip
def test_a_web_mistake_is_one_line(web: dict, line: str) -> None:
    assert mistakes(PUBLISH, web) == [line]


def test_ipv6_listen_is_accepted() -> None:
    assert config(PUBLISH, {"listen": "[::1]:8081"}).web.listen == "[::1]:8081"


def write(tmp_path: Path, publish: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        '[catalog]\nurl = "sqlite:///catalog.db"\n\n[[institutions]]\nid = "vnu"\n'
        'names = { vi = "Đại học Quốc gia Hà Nội" }\n' + publish,
        encoding="utf-8",
    )
    return path


def test_moocx_web_without_publish_exits_2(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "")
    assert run(["--config", str(path), "web"]) == 2
    assert "[publish]: missing" in capsys.readouterr().err
    assert not (tmp_path / "catalog.db").exists()


def test_moocx_web_publishing_nobody_exits_2(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, publish_section("http://127.0.0.1:8080", institutions=[]))
    assert run(["--config", str(path), "web"]) == 2
    assert "publish.institutions: empty, so nothing would be published" in capsys.readouterr().err


def test_moocx_web_serves_until_sigterm(tmp_path: Path) -> None:
    path = write(tmp_path, publish_section("https://mooc.vnu.test", institutions=["vnu"]))
    process = start_moocx("--config", str(path), "web", "--listen", "127.0.0.1:0", "--threads", "2")
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"at (http://127\.0\.0\.1:\d+) ", line)
        assert found, line
        assert "/oai" in line and "/healthz" in line and "publishing vnu" in line
        url = found.group(1)
        assert requests.get(f"{url}/healthz", timeout=10).text.strip() == "ok"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    with sqlite3.connect(tmp_path / "catalog.db") as db:  # migrated, its token key made
        assert db.execute("SELECT count(*) FROM node_secrets").fetchone() == (1,)


def test_moocx_web_on_an_address_in_use_says_so_in_one_line(tmp_path: Path, capsys) -> None:
    import socket

    path = write(tmp_path, publish_section("https://mooc.vnu.test", institutions=["vnu"]))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert run(["--config", str(path), "web", "--listen", f"127.0.0.1:{port}"]) == 1
    err = capsys.readouterr().err
    assert f"moocx web: cannot listen on 127.0.0.1:{port}: Address already in use" in err
    assert "--listen or [web] listen" in err and "Traceback" not in err
