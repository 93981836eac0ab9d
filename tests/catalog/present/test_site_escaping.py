"""The site's autoescape without a Markup per value (catalog/present/site/escaping.py) writes
exactly what Jinja2's own autoescape writes: for each kind of value, and for whole sites of
hostile courses rendered both ways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest
from markupsafe import Markup, escape

import catalog.present.site.templating as templating
from catalog.present.site import write_site
from catalog.present.site.escaping import _escape_replacing, escape_text
from tests.catalog.present.test_site import GENERATED, INSTITUTIONS, make_course, sample_courses
from tests.support.documents import documents


class _Html:
    def __html__(self) -> str:
        return "<b>as it is</b>"


class _Text(str):
    """A str subclass without ``__html__``: escaped like text."""


HOSTILE = "<script>alert('x')</script> & \"quotes\" ＜全角＞ Đại học 清华"


@pytest.mark.parametrize(
    "value",
    [HOSTILE, "", "plain", Markup("<i>safe</i>"), _Html(), 42, 3.5, None, _Text("<a&b>")],
    ids=["hostile", "empty", "plain", "markup", "__html__", "int", "float", "none", "subclass"],
)
def test_each_value_is_written_as_markupsafe_writes_it(value: Any) -> None:
    assert escape_text(value) == str(escape(value))
    assert type(escape_text(value)) is str


def test_the_fallback_escapes_like_markupsafe() -> None:
    assert _escape_replacing(HOSTILE) == str(escape(HOSTILE))


def _site(out: Path) -> dict[str, bytes]:
    hostile = make_course(
        "X+<b>1",
        HOSTILE,
        organization=HOSTILE,
        effort='"2\'h" <per> week & more',
        level="<Intro>",
    )
    write_site(
        out,
        institutions=INSTITUTIONS,
        courses=documents([hostile, *sample_courses()]),
        audience="vnu",
        generated_at=GENERATED,
    )
    return {
        str(path.relative_to(out)): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file() and path.name != ".moocx-site"
    }


def test_a_site_is_the_same_bytes_as_jinjas_own_autoescape_writes(
    tmp_path: Path, monkeypatch
) -> None:
    def compiled() -> str:
        return str(templating.environment().compile("{{ x }}", raw=True))

    assert "escape_text(" in compiled()
    ours = _site(tmp_path / "ours")
    monkeypatch.setattr(
        templating._SiteEnvironment, "code_generator_class", jinja2.Environment.code_generator_class
    )
    assert "escape_text(" not in compiled() and "escape(" in compiled()
    theirs = _site(tmp_path / "jinja")
    assert ours.keys() == theirs.keys() and len(ours) > 5
    for name, content in ours.items():
        assert content == theirs[name], name
    page = next(v for k, v in ours.items() if k.startswith("courses/")).decode("utf-8")
    assert "<script>alert" not in page
