"""`/site/{audience}/…`: the exported student sites as static files — the right types, the
folder's index, and nothing outside the site's folder whatever the path says."""

from __future__ import annotations

import http.client
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
import requests

from tests.scheduler.web.conftest import Node

SECRET = "client_secret = do-not-serve-me"


def get(node: Node, path: str) -> tuple[int, dict[str, str], bytes]:
    """``GET path`` sent byte for byte as written: ``..`` and ``%2e`` are not tidied away."""
    conn = http.client.HTTPConnection(urlsplit(node.url).netloc, timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_the_site_is_served_with_its_types_and_its_index(node: Node) -> None:
    site = node.directory / "site-vnu"
    index = requests.get(f"{node.url}/site/vnu/", timeout=10)
    assert index.status_code == 200
    assert index.headers["Content-Type"] == "text/html; charset=utf-8"
    assert index.content == (site / "index.html").read_bytes()
    assert index.headers["X-Content-Type-Options"] == "nosniff"
    for path, kind in (("assets/style.css", "text/css"), ("assets/app.js", "text/javascript")):
        response = requests.get(f"{node.url}/site/vnu/{path}", timeout=10)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith(kind)
        assert response.content == (site / path).read_bytes()
    page = next((site / "courses").iterdir()).name
    course = requests.get(f"{node.url}/site/vnu/courses/{page}", timeout=10)
    assert course.status_code == 200 and course.headers["Content-Type"].startswith("text/html")
    head = requests.head(f"{node.url}/site/vnu/assets/style.css", timeout=10)
    assert head.status_code == 200 and not head.content
    assert head.headers["Content-Length"] == str((site / "assets/style.css").stat().st_size)


def test_a_site_without_its_slash_redirects_to_it(node: Node) -> None:
    status, _, _ = get(node, "/site/tsinghua")
    assert status == 301
    response = requests.get(f"{node.url}/site/tsinghua", timeout=10)
    assert response.url == f"{node.url}/site/tsinghua/"
    assert response.headers["Content-Type"].startswith("text/html")


TRAVERSALS = [
    "/site/vnu/../config.toml",
    "/site/vnu/../../config.toml",
    "/site/vnu/assets/../../config.toml",
    "/site/vnu/%2e%2e/config.toml",
    "/site/vnu/%2E%2E/config.toml",
    "/site/vnu/%2e%2e%2fconfig.toml",
    "/site/vnu/..%2fconfig.toml",
    "/site/vnu/..%5cconfig.toml",
    "/site/vnu/..\\config.toml",
    "/site/vnu/%252e%252e/config.toml",
    "/site/vnu//etc/passwd",
    "/site/vnu/%2fetc%2fpasswd",
    "/site/vnu/./index.html",
    "/site/vnu/.moocx-site",
    "/site/vnu/leak.toml",  # a symlink out of the site
    "/site/vnu/data/leak/config.toml",  # a symlinked folder out of the site
    "/site/vnu/index.html%00.css",
    "/site/../config.toml",
    "/site/%2e%2e/config.toml",
    "/site/vnu-secret/",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_nothing_outside_the_site_is_served(start_node: Callable[..., Node], path: str) -> None:
    node = start_node()
    (node.directory / "config.toml").write_text(
        (node.directory / "config.toml").read_text(encoding="utf-8") + f"\n# {SECRET}\n",
        encoding="utf-8",
    )
    (node.directory / "site-vnu" / "leak.toml").symlink_to(node.directory / "config.toml")
    (node.directory / "site-vnu" / "data" / "leak").symlink_to(node.directory)
    status, headers, body = get(node, path)
    assert status in (301, 400, 404), (path, status)
    assert SECRET.encode() not in body and b"root:" not in body
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_no_site_is_served_when_web_site_is_off(start_node: Callable[..., Node]) -> None:
    node = start_node(web="\n[web]\nsite = false\n")
    assert requests.get(f"{node.url}/site/vnu/", timeout=10).status_code == 404
    assert requests.get(f"{node.url}/", timeout=10).json()["sites"] == []


def test_only_published_audiences_sites_are_served(start_node: Callable[..., Node]) -> None:
    node = start_node(audiences=["vnu"])
    assert requests.get(f"{node.url}/site/vnu/", timeout=10).status_code == 200
    assert requests.get(f"{node.url}/site/tsinghua/", timeout=10).status_code == 404
