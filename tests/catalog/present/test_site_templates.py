"""How the site is rendered: every page from the templates, each compiled once per site, and
the language the caller gives the site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import lxml.html

from catalog.present.site import write_site
from catalog.present.site.i18n import STRINGS
from tests.catalog.present.test_site import GENERATED, INSTITUTIONS, make_course, sample_courses
from tests.support.documents import documents


def test_each_template_is_compiled_once_per_site(tmp_path: Path, monkeypatch) -> None:
    compiled: list[str | None] = []
    compile_ = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: Any, name: str | None = None, *a: Any, **k: Any):
        compiled.append(name)
        return compile_(self, source, name, *a, **k)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    courses = [make_course(f"X+C{n}", f"Course {n}") for n in range(40)]
    write_site(
        tmp_path / "site",
        institutions=INSTITUTIONS,
        courses=documents(courses),
        audience="vnu",
        generated_at=GENERATED,
    )
    assert len(list((tmp_path / "site" / "courses").iterdir())) == 40
    assert sorted(compiled) == sorted(set(compiled))
    assert set(compiled) == {
        "base.html",
        "course.html",
        "course_main.html",
        "index.html",
        "offer_card.html",
    }


def test_the_caller_gives_the_sites_language(tmp_path: Path) -> None:
    """vnu's entry says Vietnam; the caller's language wins, and a language the site has no
    strings for leaves the entry's."""
    for language, expected in (("en", "en"), ("zh", "zh"), ("fr", "vi"), (None, "vi")):
        out = tmp_path / f"site-{language}"
        write_site(
            out,
            institutions=INSTITUTIONS,
            courses=documents(sample_courses()[:1]),
            audience="vnu",
            generated_at=GENERATED,
            language=language,
        )
        for page in (out / "index.html", next((out / "courses").iterdir())):
            doc = lxml.html.parse(str(page)).getroot()
            assert doc.get("lang") == expected, (language, page.name)
        label = lxml.html.parse(str(out / "index.html")).getroot().xpath('//label[@for="q"]')
        assert label[0].text == STRINGS[expected]["search_label"]
