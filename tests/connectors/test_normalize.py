"""The shared normalisers' fast paths give exactly what their general rule gives.

``absolute_url``, ``clean_text`` and ``is_http_url`` run for every field of every record, so each
has a shortcut for the common shape; these tests hold each shortcut to the rule it skips, over
generated inputs full of the characters that make the difference.
"""

from __future__ import annotations

import random
import unicodedata
from urllib.parse import urljoin, urlsplit

import pytest

from connectors import normalize
from connectors.normalize import absolute_url, clean_text
from connectors.records import is_http_url

BASES = [
    "https://courses.vnu.edu.vn",
    "https://courses.vnu.edu.vn/",
    "http://127.0.0.1:8080/lms/x",
    "https://a.example/c?q=1",
    "https://a.example#f",
    "HTTP://Upper.example",
    "https://user@host.example/",
    "https://host.example/a;b",
]


def _samples(alphabet: str, prefix: str, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        prefix + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9)))
        for _ in range(count)
    ]


@pytest.mark.parametrize("base", BASES)
def test_absolute_url_is_urljoin(base: str) -> None:
    paths = [
        "/courses/course-v1:VNUx+INT1001+2025_T2/about",
        "/asset-v1:VNUx+INT1001+type@asset+block@cover.jpg",
        *_samples("/.a?#%\\ :@b;\t\u00e4", "/", 20_000, seed=len(base)),
    ]
    for path in paths:
        if path.strip():
            expected = urljoin(base if base.endswith("/") else base + "/", path.strip())
            assert absolute_url(base, path) == expected, (base, path)


def _clean_by_the_rule(value: str) -> str | None:
    text = unicodedata.normalize("NFC", normalize._CONTROL.sub("", value))
    lines = [normalize._SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line) or None


def test_clean_text_is_its_rule() -> None:
    alphabet = "ab Ế\u0301e\u00a0\u3000\t\n\r\x00\x85\u2028\u200b\x1c\x7f\u1680清"
    for value in ["Nhập môn Trí tuệ nhân tạo", "", " ", *_samples(alphabet, "", 50_000, seed=7)]:
        assert clean_text(value) == _clean_by_the_rule(value), repr(value)


def test_is_http_url_is_urlsplit() -> None:
    def by_urlsplit(value: str) -> bool:
        try:
            parts = urlsplit(value)
        except ValueError:
            return False
        return parts.scheme in ("http", "https") and bool(parts.hostname)

    alphabet = "htps:/.a[]@?#:0 \tH-_~%"
    for prefix in ("http://", "https://", "", "http:/", "HTTP://", " https://"):
        for value in _samples(alphabet, prefix, 20_000, seed=len(prefix)):
            assert is_http_url(value) == by_urlsplit(value), repr(value)
