"""The site's search index as data: columns that agree with each other, search text folded by
the page's own rule, the default order the page used to sort at load, and ``data/first.js`` as
the first page of ``data/index.js``.

The same index in a real browser (the order checked against JavaScript's own sort) is in
test_site_browser.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from catalog.present.site import fold
from catalog.present.site.index import FIRST_PAGE, SEARCH_TEXT_MAX
from tests.catalog.present.test_site import ASSETS, GENERATED, build, make_course, read_index

#: Titles whose folded forms order differently by code point and by UTF-16 code unit (U+E000
#: and U+FFFD sort after a surrogate pair in JavaScript, before it in Python).
TITLES = [
    "Giáo dục học đại cương",
    "Giao duc STEM",
    "giáo dục học đại cương",
    "人工智能原理与应用",
    "人工智能",
    "Data Structures",
    "data structures",
    "Ｄａｔａ　Ｓｃｉｅｎｃｅ",
    "Đại số tuyến tính",
    "\U00020000 Ext B",
    "\ue000 private use",
    "\ufffd replacement",
    "",
]


def many_courses(n: int, now: Any = GENERATED) -> Iterator[dict[str, Any]]:
    """``n`` courses with few distinct start dates (ties ordered by title, then position),
    some without any run, some withdrawn, titles in Vietnamese, Chinese and beyond U+FFFF."""
    for i in range(n):
        fields: dict[str, Any] = {
            "now": now,
            "start": now + timedelta(days=10 * (i % 4)),
            "language": ("vi", "zh", "en")[i % 3],
            "organization": ("HNUEx", "清华大学", "Đại học Sư phạm")[i % 3],
            "short_description": f"Khoá học số {i} về giáo dục và 人工智能",
        }
        if i % 7 == 3:
            fields["status"] = "withdrawn"
        course = make_course(
            f"X+{i:04d}", TITLES[i % len(TITLES)] + ("" if i % 5 else " nâng cao"), **fields
        )
        if i % 11 == 5:
            course["runs"], course["offers"] = [], []
        yield course


def old_start_order(courses: list[dict[str, Any]], tables: dict[str, Any]) -> list[int]:
    """What assets/app.js used to compute at load: withdrawn last, dated first, by start date,
    by folded title as JavaScript compares strings (UTF-16 code units), stable."""

    def key(i: int) -> tuple[Any, ...]:
        row = courses[i]
        start = tables["start"][row["start"]] if row["start"] >= 0 else ""
        units = fold(row["title"]).encode("utf-16-be", "surrogatepass")
        return (row["flags"] & 4, 0 if start else 1, start, units, i)

    return sorted(range(len(courses)), key=key)


def test_the_default_order_is_the_one_the_page_used_to_sort(tmp_path: Path) -> None:
    site = build(tmp_path, list(many_courses(140)))
    index = read_index(site)
    assert index["n"] == 140 and sorted(index["order"]) == list(range(140))
    assert index["order"] == old_start_order(index["courses"], index["tables"])
    by_title = [index["courses"][i]["title"] for i in index["order"]]
    assert by_title.index("\ue000 private use") > by_title.index("\U00020000 Ext B"), "UTF-16"
    withdrawn = [index["courses"][i]["flags"] & 4 for i in index["order"]]
    assert withdrawn == sorted(withdrawn), "withdrawn last"


def test_first_js_is_the_first_page_of_the_index(tmp_path: Path) -> None:
    site = build(tmp_path, list(many_courses(140)))
    index, first = read_index(site), read_index(site, "first")
    assert first["n"] == index["n"] == 140
    assert first["tables"] == index["tables"]
    assert first["courses"] == [index["courses"][i] for i in index["order"][:FIRST_PAGE]]
    assert first["order"] == list(range(FIRST_PAGE))
    for key in ("v", "audience", "ui", "generated_at"):
        assert first[key] == index[key]


def test_a_small_catalog_is_whole_in_first_js(tmp_path: Path) -> None:
    site = build(tmp_path, list(many_courses(7)))
    index, first = read_index(site), read_index(site, "first")
    assert first["courses"] == [index["courses"][i] for i in index["order"]]


def test_search_text_is_folded_as_the_page_folds(tmp_path: Path) -> None:
    courses = list(many_courses(30))
    site = build(tmp_path, courses)
    index = read_index(site)
    organizations = index["tables"]["organization"]
    for course, row in zip(courses, index["courses"], strict=True):
        title, organization, text = row["hay"].split("\n")
        shown = course["title"] or course["key"]  # a course without a title shows its key
        assert row["title"] == shown and title == fold(shown)
        assert organization == fold(organizations[row["organization"]])
        assert text == fold(course["short_description"])[:SEARCH_TEXT_MAX].rstrip(" ")


def test_repeated_values_and_sets_are_stored_once(tmp_path: Path) -> None:
    site = build(tmp_path, list(many_courses(60)))
    tables = read_index(site)["tables"]
    assert len(tables["windows"]) == 1, "one application window for every offer"
    assert tables["subjects"] == [["06"]]
    assert len(tables["start"]) == 4 and tables["terms"] == [[0]]
    assert len(tables["organization"]) == 3


def test_the_first_page_is_as_long_as_the_pages_page() -> None:
    core = (ASSETS / "core.js").read_text(encoding="utf-8")
    assert re.search(r"M\.PAGE = (\d+);", core).group(1) == str(FIRST_PAGE)


def test_no_scratch_file_is_left(tmp_path: Path) -> None:
    site = build(tmp_path, list(many_courses(40)))
    assert sorted(p.name for p in (site / "data").iterdir()) == ["first.js", "i18n.js", "index.js"]
    assert sorted(p.name for p in site.iterdir() if p.is_file()) == [".moocx-site", "index.html"]
