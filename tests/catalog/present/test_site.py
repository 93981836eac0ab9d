"""The static catalog site without a browser: folding, sanitising, escaping, JSON-LD, the search
index, the interface strings, file:// safety and the all-or-nothing swap of the output folder.

The browser itself is driven in test_site_browser.py, on the same sample courses (defined here).
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import lxml.html
import pytest

from catalog.present.site import SiteError, fold, write_site
from catalog.present.site.build import MARKER
from catalog.present.site.i18n import LANGUAGES, STRINGS, default_language
from catalog.present.site.index import COLUMNS
from catalog.present.site.safety import page_slug, plain_text, safe_url, sanitize_html, script_json
from tests.support.documents import documents

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "html_xss"
TEMPLATES = Path(__file__).resolve().parents[3] / "catalog" / "present" / "site" / "templates"
ASSETS = Path(__file__).resolve().parents[3] / "catalog" / "present" / "site" / "assets"
SITE_CODE = Path(__file__).resolve().parents[3] / "catalog" / "present" / "site"
GENERATED = datetime(2026, 11, 25, 3, 28, tzinfo=UTC)

INSTITUTIONS = [
    {
        "id": "vnu",
        "names": {
            "vi": "Đại học Quốc gia Hà Nội",
            "zh": "越南河内国家大学",
            "en": "Vietnam National University, Hanoi",
        },
        "country": "VN",
    },
    {
        "id": "tsinghua",
        "names": {"vi": "Đại học Thanh Hoa", "zh": "清华大学", "en": "Tsinghua University"},
        "country": "CN",
    },
    {
        "id": "hnue",
        "names": {
            "vi": "Trường Đại học Sư phạm Hà Nội",
            "zh": "河内师范大学",
            "en": "Hanoi National University of Education",
        },
        "country": "VN",
    },
]

ISCED = {
    "01": {"vi": "Giáo dục", "zh": "教育", "en": "Education"},
    "06": {
        "vi": "Công nghệ thông tin và truyền thông",
        "zh": "信息与通信技术",
        "en": "Information and Communication Technologies",
    },
    "02": {"vi": "Nghệ thuật và nhân văn", "zh": "人文与艺术", "en": "Arts and humanities"},
}


def _iso(moment: datetime, hours: int = 0) -> str:
    from datetime import timezone

    return moment.astimezone(timezone(timedelta(hours=hours))).isoformat()


def make_course(key: str, title: str, **fields: Any) -> dict[str, Any]:
    """A course document as catalog.present.documents yields it, offered to VNU students."""
    now = fields.pop("now", GENERATED)
    institution = fields.pop("institution", "tsinghua")
    hours = 8 if institution == "tsinghua" else 7
    start = fields.pop("start", now + timedelta(days=40))
    window = fields.pop("window", (now - timedelta(days=5), now + timedelta(days=20)))
    run_key = f"course-v1:{key}+2026_T1"
    codes = fields.pop("isced", ["06"])
    doc: dict[str, Any] = {
        "id": f"{institution}-feed:{key}",
        "institution": institution,
        "feed": f"{institution}-feed",
        "key": key,
        "title": title,
        "language": "en",
        "short_description": "",
        "description": None,
        "url": f"https://courses.example.edu/{key}/about",
        "image_url": f"https://courses.example.edu/{key}/image.png",
        "organization": "TsinghuaX" if institution == "tsinghua" else "HNUEx",
        "subjects": [],
        "subjects_isced": [{"code": code, "labels": ISCED[code]} for code in codes],
        "level": "Introductory",
        "effort": "4 giờ/tuần",
        "pacing": "instructor",
        "status": "active",
        "is_free": True,
        "certificate": False,
        "runs": [
            {
                "key": run_key,
                "start": _iso(start),
                "end": _iso(start + timedelta(days=90)),
                "enrollment_start": _iso(start - timedelta(days=30)),
                "enrollment_end": _iso(start + timedelta(days=14)),
                "pacing": "instructor",
            }
        ],
        "offers": [
            {
                "audience": "vnu",
                "offering": institution,
                "run": run_key,
                "rule": f"{institution}-to-vnu",
                "term": "2026-2027 HK1",
                "application_start": _iso(window[0], hours),
                "application_end": _iso(window[1], hours),
                "open_now": window[0] <= now <= window[1],
                "seats": 30,
                "notes": "Đăng ký qua Phòng Đào tạo",
                "credits": {
                    "host": 2.0,
                    "host_system": "xuefen" if institution == "tsinghua" else "tin_chi",
                    "home": 2.0,
                    "home_system": "tin_chi",
                    "source": "computed",
                },
                "equivalence": None,
            }
        ],
        "first_seen": _iso(now),
        "updated_at": _iso(now),
    }
    doc.update(fields)
    return doc


def sample_courses(now: datetime = GENERATED) -> list[dict[str, Any]]:
    """Vietnamese, Chinese and English courses, one not yet open and one withdrawn."""
    return [
        make_course(
            "HNUEx+EDU1001",
            "Giáo dục học đại cương",
            now=now,
            institution="hnue",
            language="vi",
            isced=["01"],
            short_description="Những vấn đề cơ bản của <b>giáo dục học</b> cho sinh viên sư phạm.",
            description='<p>Khóa học <a href="https://hnue.example.vn/edu">giới thiệu</a>.</p>',
            start=now + timedelta(days=60),
        ),
        make_course(
            "HNUEx+STEM2001",
            "Giao duc STEM cho giao vien pho thong",  # typed without diacritics, starts earlier
            now=now,
            institution="hnue",
            language="vi",
            isced=["01"],
            start=now + timedelta(days=10),
        ),
        make_course(
            "TsinghuaX+AI3001",
            "人工智能原理与应用",
            now=now,
            language="zh",
            organization="清华大学计算机系",
            short_description="介绍人工智能的基本原理、方法与典型应用。",
            subjects=["计算机"],
            certificate=True,
            is_free=False,
        ),
        make_course(
            "TsinghuaX+LIT1001",
            "中国古代文学",
            now=now,
            language="zh-CN",
            isced=["02"],
            pacing="self",
        ),
        make_course(
            "TsinghuaX+DS2002",
            "Data Structures and Algorithms",
            now=now,
            short_description="Arrays, trees, graphs and the algorithms that use them.",
            window=(now + timedelta(days=30), now + timedelta(days=60)),
        ),
        make_course(
            "TsinghuaX+ML4SG",
            "Machine Learning for Social Good",
            now=now,
            status="withdrawn",
        ),
    ]


def build(tmp_path: Path, courses: Any = None, *, audience: str = "vnu") -> Path:
    out = tmp_path / "site"
    write_site(
        out,
        institutions=INSTITUTIONS,
        courses=documents(sample_courses() if courses is None else courses),
        audience=audience,
        generated_at=GENERATED,
    )
    return out


def read_index(site: Path, name: str = "index") -> dict[str, Any]:
    """``data/index.js`` (or ``data/first.js``) as data, its courses as ``courses``: one dict
    per course, ``{column: value}``, in the order the courses came."""
    variable = {"index": "MOOCX_INDEX", "first": "MOOCX_FIRST"}[name]
    text = (site / "data" / f"{name}.js").read_text(encoding="utf-8")
    assert text.startswith(f"window.{variable}=") and text.endswith(";\n")
    index = json.loads(text[len(f"window.{variable}=") : -2])
    size = len(index["slug"])
    assert all(len(index[column]) == size for column in COLUMNS), "one value per course"
    index["courses"] = [{column: index[column][i] for column in COLUMNS} for i in range(size)]
    return index


def course_page(site: Path, course_id: str) -> Path:
    return site / "courses" / f"{page_slug(course_id)}.html"


# ---------------------------------------------------------------- folding


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        pytest.param("Giáo dục", "giao duc", id="vietnamese-lowercase"),
        pytest.param("GIÁO DỤC", "giao duc", id="vietnamese-uppercase"),
        pytest.param("giao duc", "giao duc", id="already-folded"),
        pytest.param("Đại học Quốc gia", "dai hoc quoc gia", id="d-with-stroke"),
        pytest.param(unicodedata.normalize("NFD", "Giáo dục"), "giao duc", id="decomposed-input"),
        pytest.param("Nhập môn Trí tuệ nhân tạo", "nhap mon tri tue nhan tao", id="stacked-marks"),
        pytest.param("人工智能原理与应用", "人工智能原理与应用", id="han-unchanged"),
        pytest.param("Ｄａｔａ　Ｓｃｉｅｎｃｅ", "data science", id="fullwidth-ime-input"),
        pytest.param("  Machine\tLearning\n ", "machine learning", id="whitespace-collapsed"),
        pytest.param("Café Crème", "cafe creme", id="french"),
        pytest.param("", "", id="empty"),
        pytest.param(None, "", id="none"),
    ],
)
def test_fold(text: str | None, folded: str) -> None:
    assert fold(text) == folded


def test_fold_makes_every_spelling_of_a_vietnamese_query_meet() -> None:
    spellings = ["giao duc", "Giao Duc", "giáo dục", "GIÁO DỤC", "giáo duc"]
    assert {fold(s) for s in spellings} == {"giao duc"}
    assert fold("giáo dục") in fold("Giáo dục học đại cương")
    assert fold("人工智能") in fold("人工智能原理与应用")


# ---------------------------------------------------------------- sanitising and URLs


def test_description_keeps_the_allowed_markup_and_marks_links() -> None:
    cleaned = sanitize_html(
        '<h1>Title</h1><p>See <a href="https://x.example/a?b=1&c=2" title="t" target="_blank">'
        'this</a> <em>now</em></p><ul><li>one</li></ul><a href="mailto:a@b.example">mail</a>'
    )
    assert "<h1>" not in cleaned and "Title" in cleaned
    assert (
        '<a href="https://x.example/a?b=1&amp;c=2" title="t" rel="noopener noreferrer nofollow">'
        in cleaned
    )
    assert "<em>now</em>" in cleaned and "<li>one</li>" in cleaned
    assert 'href="mailto:a@b.example"' in cleaned
    assert "target" not in cleaned


@pytest.mark.parametrize("href", ["/relative", "../up", "//evil.example/x", "x.html"])
def test_description_denies_relative_links(href: str) -> None:
    assert "href" not in sanitize_html(f'<a href="{href}">x</a>')


def test_description_without_text_is_dropped() -> None:
    assert sanitize_html("<script>alert(1)</script><p> </p>") == ""
    assert sanitize_html(None) == ""


def _words_by_the_parser(value: str) -> str:
    """plain_text as it was before its parser-free path: always through nh3."""
    from catalog.present.site.safety import _TEXT_ONLY

    if "<" in value or "&" in value:
        value = html.unescape(_TEXT_ONLY.clean(value))
    return re.sub(r"\s+", " ", value).strip()


def test_plain_text_finds_the_words_the_parser_finds() -> None:
    """Simple markup skips nh3; the words must be the same as nh3's, for any mix of the plain
    tags, text, spaces and stray ``>`` — and anything else still goes to the parser."""
    import random

    tags = ["p", "br", "b", "i", "em", "strong", "span", "div", "ul", "li", "h3", "code", "P"]
    forms = ["<{}>", "</{}>", "<{} />", "<{}/>", "</{} >"]
    bits = ["Giáo dục", "人工智能", " ", "\n", "\t", "a > b", "x", "\r\n", "\xa0", "đ"]
    hostile = ["<table>", "<td>", "<script>", "x</script>", "<!-- c -->", "&amp;", "<a href=x>",
               "<textarea>", "<p title='>'>", "\x00", "<", "<b", "<svg>", "<pre>"]  # fmt: skip
    rng = random.Random(7)
    for _ in range(3000):
        parts = [
            rng.choice(forms).format(rng.choice(tags)) if rng.random() < 0.5 else rng.choice(bits)
            for _ in range(rng.randint(1, 10))
        ]
        if rng.random() < 0.2:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(hostile))
        value = "".join(parts)
        assert plain_text(value) == _words_by_the_parser(value), value


def test_plain_text_keeps_the_words_only() -> None:
    assert (
        plain_text("<p>Một <b>hai</b></p>\n<script>x()</script> ba &amp; bốn") == "Một hai ba & bốn"
    )
    assert plain_text("a < b") == "a < b"


@pytest.mark.parametrize(
    "url",
    ["https://courses.example.edu/x/about", "http://example.org/?q=giáo dục".replace(" ", "%20")],
)
def test_http_urls_are_kept(url: str) -> None:
    assert safe_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example/x",
        "/relative/path",
        "ftp://example.org/file",
        "https://",
        'https://x.example/"onmouseover="alert(1)',
        "https://x.example/\x00",
        "ht\ttps://x.example/",
        None,
        42,
    ],
)
def test_other_urls_are_refused(url: Any) -> None:
    assert safe_url(url) is None


def test_json_in_a_script_cannot_close_it_and_round_trips() -> None:
    value = {"title": "</script><script>alert(1)</script> & <!-- \u2028\u2029"}
    text = script_json(value)
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == value


def test_page_names_are_safe_and_distinct() -> None:
    names = {
        page_slug(i)
        for i in ["vnu:UETx+INT1001", "vnu:uetx+int1001", "thu:人工智能", "thu:数据结构", "a/../b"]
    }
    assert len(names) == 5
    assert all(re.fullmatch(r"[a-z0-9-]{1,80}", n) for n in names)


# ---------------------------------------------------------------- the built site


def test_site_layout_and_stats(tmp_path: Path) -> None:
    out = tmp_path / "site"
    stats = write_site(
        out,
        institutions=INSTITUTIONS,
        courses=documents(iter(sample_courses())),
        audience="vnu",
        generated_at=GENERATED,
    )
    assert stats.courses == 6 and stats.pages == 7
    assert stats.index_bytes == (out / "data" / "index.js").stat().st_size
    assert len(list((out / "courses").glob("*.html"))) == 6
    for name in ("index.html", "assets/app.js", "assets/style.css", "data/i18n.js", MARKER):
        assert (out / name).is_file()
    assert not list(tmp_path.glob(".site.*")), "no temporary folder left behind"


def test_search_index_is_compact_and_folded(tmp_path: Path) -> None:
    site = build(tmp_path)
    index = read_index(site)
    tables = index["tables"]
    rows = {row["title"]: row for row in index["courses"]}
    vi = rows["Giáo dục học đại cương"]
    assert vi["hay"].split("\n") == [
        "giao duc hoc dai cuong",
        "hnuex",
        fold("Những vấn đề cơ bản của giáo dục học cho sinh viên sư phạm."),
    ]
    assert tables["institution"][vi["institution"]] == "hnue"
    assert tables["language"][vi["language"]] == "vi"
    assert tables["subjects"][vi["subjects"]] == ["01"]
    assert tables["organization"][vi["organization"]] == "HNUEx"
    assert (site / "courses" / f"{vi['slug']}.html").is_file()
    ai = rows["人工智能原理与应用"]
    assert ai["hay"].split("\n")[2].startswith("计算机 介绍人工智能")
    assert tables["credits"][ai["credits"]] == [2.0, "xuefen", 2.0, "tin_chi"]
    assert [tables["term"][t] for t in tables["terms"][ai["terms"]]] == ["2026-2027 HK1"]
    assert tables["language"][rows["中国古代文学"]["language"]] == "zh", "the primary subtag"
    assert rows["Machine Learning for Social Good"]["flags"] & 4, "withdrawn flag"
    assert ai["flags"] == 2, "certificate, not free"
    (window,) = tables["windows"][rows["Data Structures and Algorithms"]["windows"]]
    start, end, open_at_build = window
    assert start > GENERATED.timestamp() and end > start and open_at_build == 0
    assert index["ui"] == "vi" and index["audience"] == "vnu"
    assert sorted(tables["language"]) == ["en", "vi", "zh"]
    assert sorted(tables["institution"]) == ["hnue", "tsinghua"]
    assert tables["subject"] == ["01", "02", "06"]
    assert len(tables["organization"]) == 3, "each organisation stored once"
    assert "description" not in json.dumps(index), "descriptions stay on the course pages"


def test_listed_start_is_the_next_offered_run(tmp_path: Path) -> None:
    course = make_course("X+1", "T")
    upcoming = course["runs"][0]
    past = {**upcoming, "key": "old", "start": "2024-02-01T00:00:00+00:00"}
    older = {**upcoming, "key": "older", "start": "2023-02-01T00:00:00+00:00"}
    course["runs"] = [older, past, upcoming]
    course["offers"] = [
        {**course["offers"][0], "run": key} for key in ("older", "old", upcoming["key"])
    ]
    ended = {**course, "id": "x:ended", "runs": [older, past], "offers": course["offers"][:2]}
    site = build(tmp_path, [course, ended])
    index = read_index(site)
    rows, tables = index["courses"], index["tables"]
    assert tables["start"][rows[0]["start"]] == upcoming["start"][:10]
    assert tables["start"][rows[1]["start"]] == "2024-02-01", "all started: the latest"
    months = [tables["month"][m] for m in tables["months"][rows[0]["months"]]]
    assert sorted(months) == ["2023-02", "2024-02", upcoming["start"][:7]]


def test_search_text_is_capped(tmp_path: Path) -> None:
    course = make_course("X+1", "T", short_description="dài " * 500)
    site = build(tmp_path, [course])
    assert len(read_index(site)["courses"][0]["hay"].split("\n")[2]) <= 200


def test_a_course_twice_gets_one_page(tmp_path: Path) -> None:
    courses = sample_courses()
    out = tmp_path / "site"
    stats = write_site(
        out,
        institutions=INSTITUTIONS,
        courses=documents([*courses, courses[0]]),
        audience="vnu",
        generated_at=GENERATED,
    )
    assert stats.courses == 6 and len(list((out / "courses").iterdir())) == 6


def test_two_ids_with_one_slug_get_two_pages(tmp_path: Path, monkeypatch) -> None:
    """Pages are created exclusively: an id whose slug is taken by another course gets
    ``-2``, and the same course again is still found to be a duplicate."""
    import catalog.present.site.build as build_module

    monkeypatch.setattr(build_module, "page_slug", lambda _course_id: "same")
    courses = sample_courses()[:3]
    out = tmp_path / "site"
    stats = write_site(
        out,
        institutions=INSTITUTIONS,
        courses=documents([*courses, courses[1], courses[2]]),
        audience="vnu",
        generated_at=GENERATED,
    )
    assert stats.courses == 3 and stats.pages == 4
    assert sorted(p.name for p in (out / "courses").iterdir()) == [
        "same-2.html",
        "same-3.html",
        "same.html",
    ]
    rows = read_index(out)["courses"]
    assert [row["slug"] for row in rows] == ["same", "same-2", "same-3"]
    for row, course in zip(rows, courses, strict=True):
        doc = lxml.html.parse(str(out / "courses" / f"{row['slug']}.html")).getroot()
        (script,) = doc.xpath('//script[@type="application/ld+json"]')
        assert json.loads(script.text)["identifier"] == course["id"]


def test_interface_strings_exist_in_every_language() -> None:
    keys = {lang: set(STRINGS[lang]) for lang in LANGUAGES}
    assert keys["vi"] == keys["zh"] == keys["en"]
    assert all(STRINGS[lang][k].strip() for lang in LANGUAGES for k in keys[lang])
    assert (
        STRINGS["vi"]["search_label"]
        != STRINGS["zh"]["search_label"]
        != STRINGS["en"]["search_label"]
    )
    used = set()
    writers = [SITE_CODE / "pages.py", SITE_CODE / "offer_cards.py"]  # write the course pages
    for source in [*TEMPLATES.glob("*.html"), *writers]:
        text = source.read_text(encoding="utf-8")
        used |= set(re.findall(r'data-i18n="([a-z_]+)"', text))
        used |= set(re.findall(r'\bt\("([a-z_]+)"', text))
        used |= set(re.findall(r'"([a-z_]+)"\|t\b', text))  # "back"|t in a template
    app = "".join(p.read_text(encoding="utf-8") for p in sorted(ASSETS.glob("*.js")))
    used |= set(re.findall(r'tr\("([a-z_]+)"', app))
    assert used and not used - keys["en"], f"strings missing: {used - keys['en']}"


@pytest.mark.parametrize("audience", ["vnu", "tsinghua", "mit"])
def test_every_string_a_page_shows_is_translated(tmp_path: Path, audience: str) -> None:
    """Each ``data-i18n`` key on every page is in data/i18n.js, in every language, and the page
    shows its text in the site's language, never the bare key."""
    courses = sample_courses()
    courses[2]["offers"][0]["equivalence"] = {
        "status": "approved",
        "home_course": "INT3401",
        "valid_terms": ["2026-2027 HK1"],
    }
    courses[2].update(
        mode="blended",
        credits=3.0,
        modified=_iso(GENERATED),
        expires=_iso(GENERATED + timedelta(days=400)),
    )
    courses[2]["runs"][0].update(
        url="https://x.example/run",
        availability="current",
        price="9.99",
        currency="EUR",
        payment_frequency="monthly",
    )
    site = build(tmp_path, courses, audience=audience)
    text = (site / "data" / "i18n.js").read_text(encoding="utf-8")
    strings = json.loads(text[len("window.MOOCX_I18N=") : -2])["strings"]
    ui = default_language(audience, INSTITUTIONS)
    seen = set()
    for page in [site / "index.html", *sorted((site / "courses").glob("*.html"))]:
        doc = lxml.html.parse(str(page)).getroot()
        for node in doc.xpath("//*[@data-i18n]"):
            key = node.get("data-i18n")
            seen.add(key)
            assert all(key in strings[lang] for lang in LANGUAGES), (page.name, key)
            if node.get("data-i18n-args") is None and node.tag != "title":
                assert node.text_content() == strings[ui][key], (page.name, key)
    assert {"facts", "offers", "runs", "about", "equivalence", "seats"} <= seen
    new_fields = {"f_mode", "mode.blended", "f_credits", "f_expires", "f_modified", "run_link"}
    assert new_fields | {"run_price", "price_monthly", "availability.current"} <= seen


def test_i18n_file_carries_institution_and_subject_names(tmp_path: Path) -> None:
    site = build(tmp_path)
    text = (site / "data" / "i18n.js").read_text(encoding="utf-8")
    data = json.loads(text[len("window.MOOCX_I18N=") : -2])
    assert data["languages"] == ["vi", "zh", "en"]
    assert data["strings"]["zh"]["inst.tsinghua"] == "清华大学"
    assert data["strings"]["vi"]["isced.01"] == "Giáo dục"
    assert data["strings"]["en"]["credit.xuefen"]


@pytest.mark.parametrize(
    ("audience", "lang"), [("vnu", "vi"), ("tsinghua", "zh"), ("hnue", "vi"), ("mit", "en")]
)
def test_the_site_opens_in_the_audiences_language(tmp_path: Path, audience: str, lang: str) -> None:
    assert default_language(audience, INSTITUTIONS) == lang
    site = build(tmp_path, audience=audience)
    doc = lxml.html.parse(str(site / "index.html")).getroot()
    assert doc.get("lang") == lang
    assert doc.xpath('//label[@for="q"]')[0].text == STRINGS[lang]["search_label"]


def test_every_input_has_a_label(tmp_path: Path) -> None:
    doc = lxml.html.parse(str(build(tmp_path) / "index.html")).getroot()
    labelled = {label.get("for") for label in doc.iter("label")}
    controls = [*doc.iter("input"), *doc.iter("select")]
    assert controls and all(c.get("id") in labelled for c in controls)
    assert doc.xpath('//meta[@name="viewport"]')
    assert [h.tag for h in doc.iter("h1", "h2")] == ["h1", "h2"]


def test_course_page_shows_the_offer_and_without_an_audience_zone_keeps_each_offset(
    tmp_path: Path,
) -> None:
    courses = sample_courses()
    courses[2]["offers"][0]["equivalence"] = {
        "status": "approved",
        "home_course": "INT3401",
        "valid_terms": ["2026-2027 HK1"],
    }
    site = build(tmp_path, courses)
    text = course_page(site, courses[2]["id"]).read_text(encoding="utf-8")
    start = datetime.fromisoformat(courses[2]["offers"][0]["application_start"])
    assert f"{start:%Y-%m-%d %H:%M} UTC+08:00" in text
    doc = lxml.html.fromstring(text)
    assert doc.xpath("//h1")[0].text == "人工智能原理与应用"
    assert doc.xpath("//h1")[0].get("lang") == "zh"
    facts = " ".join(doc.xpath('//section[@class="offer"]')[0].itertext())
    assert "30" in facts and "INT3401" in facts and "Đã được công nhận" in facts
    assert "tín chỉ" in facts and "学分" in facts
    link = doc.xpath('//a[@class="platform"]')[0]
    assert link.get("href") == courses[2]["url"]
    assert link.get("rel") == "noopener noreferrer"
    vi_page = course_page(site, courses[0]["id"]).read_text(encoding="utf-8")
    assert "UTC+07:00" in vi_page


#: INSTITUTIONS as ``moocx export`` passes them when documents carry each one's zone.
ZONES = {"vnu": "Asia/Ho_Chi_Minh", "tsinghua": "Asia/Shanghai", "hnue": "Asia/Ho_Chi_Minh"}
ZONED = [{**inst, "timezone": ZONES[inst["id"]]} for inst in INSTITUTIONS]
_LABEL = re.compile(r"UTC(?:[+-]\d\d:\d\d)?")


def build_zoned(tmp_path: Path, courses: list[dict[str, Any]], audience: str = "vnu") -> Path:
    out = tmp_path / f"site-{audience}"
    write_site(
        out,
        institutions=ZONED,
        courses=documents(courses),
        audience=audience,
        generated_at=GENERATED,
    )
    return out


@pytest.mark.parametrize(("audience", "label"), [("vnu", "UTC+07:00"), ("tsinghua", "UTC+08:00")])
def test_every_time_on_a_course_page_is_in_the_audiences_zone(
    tmp_path: Path, audience: str, label: str
) -> None:
    """Application windows come in the offering institution's zone (+08:00 for Tsinghua) and
    runs in UTC; the student reads them all in their own zone, with its offset."""
    course = make_course("TsinghuaX+AI3001", "人工智能原理与应用", language="zh")
    for offer in course["offers"]:
        offer["audience"] = audience
    site = build_zoned(tmp_path, [course], audience)
    doc = lxml.html.parse(str(course_page(site, course["id"]))).getroot()
    shown = " ".join([*doc.xpath("//main")[0].itertext(), *doc.xpath("//footer")[0].itertext()])
    assert set(_LABEL.findall(shown)) == {label}
    zone = ZoneInfo(ZONES[audience])
    run = course["runs"][0]
    for value in (
        course["offers"][0]["application_start"],
        course["offers"][0]["application_end"],
        run["start"],
        run["end"],
        run["enrollment_start"],
    ):
        assert f"{datetime.fromisoformat(value).astimezone(zone):%Y-%m-%d %H:%M} {label}" in shown
    assert f"{GENERATED.astimezone(zone):%Y-%m-%d %H:%M} {label}" in shown, "the footer too"
    card = " ".join(doc.xpath('//section[@class="offer"]')[0].itertext())
    start = datetime.fromisoformat(run["start"]).astimezone(zone)
    assert f"{start:%Y-%m-%d %H:%M} {label}" in card, "the offered run's start, in the card"


def test_the_listed_start_and_month_are_dates_in_the_audiences_zone(tmp_path: Path) -> None:
    course = make_course("X+1", "T", start=datetime(2027, 2, 28, 20, 0, tzinfo=UTC))
    zoned = read_index(build_zoned(tmp_path, [course]))
    plain = read_index(build(tmp_path, [course]))
    for index, day in ((zoned, "2027-03-01"), (plain, "2027-02-28")):  # 03:00 in Hanoi
        tables, [row] = index["tables"], index["courses"]
        assert tables["start"][row["start"]] == day
        assert [tables["month"][m] for m in tables["months"][row["months"]]] == [day[:7]]


def _term_course() -> dict[str, Any]:
    """A course with three runs offered in one term, the second of them also in another term."""
    course = make_course("TsinghuaX+DS2002", "Data Structures and Algorithms")
    [first] = course["runs"]
    starts = [GENERATED + timedelta(days=d) for d in (40, 70, 100)]
    course["runs"] = [
        {**first, "key": f"run-{n}", "start": moment.isoformat()} for n, moment in enumerate(starts)
    ]
    offer = course["offers"][0]
    course["offers"] = [{**offer, "run": f"run-{n}"} for n in (2, 0, 1)]
    course["offers"].append({**offer, "run": "run-1", "term": "2026-2027 HK2", "seats": 5})
    return course


def test_the_runs_a_term_offers_are_one_card(tmp_path: Path) -> None:
    course = _term_course()
    site = build(tmp_path, [course])
    doc = lxml.html.parse(str(course_page(site, course["id"]))).getroot()
    first, second = doc.xpath('//section[@class="offer"]')
    assert first.xpath("h3")[0].text == "2026-2027 HK1"
    items = first.xpath('.//ul[@class="offered-runs"]/li')
    assert [li.xpath("code")[0].text for li in items] == ["run-0", "run-1", "run-2"]
    assert first.xpath('.//dt[@data-i18n="offered_runs"]')
    assert second.xpath("h3")[0].text == "2026-2027 HK2"
    assert [c.text for c in second.xpath(".//dd/code")] == ["run-1"]
    assert second.xpath('.//dt[@data-i18n="offered_run"]')
    assert "5" in " ".join(second.itertext())
    offered = doc.xpath('//tr[@class="offered"]/th/code')
    assert [c.text for c in offered] == ["run-0", "run-1", "run-2"], "the runs table marks all"


@pytest.mark.parametrize("audience", ["vnu", "tsinghua", "mit"])
def test_a_course_without_runs_has_a_card_saying_the_platform_sets_its_dates(
    tmp_path: Path, audience: str
) -> None:
    course = make_course("OAI+PHY1001", "Vật lý đại cương", runs=[])
    offer = course["offers"][0]
    offer.update(run=None, whole_course=True, audience=audience)
    site = build(tmp_path, [course], audience=audience)
    doc = lxml.html.parse(str(course_page(site, course["id"]))).getroot()
    [card] = doc.xpath('//section[@class="offer"]')
    [whole] = card.xpath('.//dd[@class="whole-course"]/span')
    ui = default_language(audience, INSTITUTIONS)
    assert whole.get("data-i18n") == "whole_course"
    assert whole.text == STRINGS[ui]["whole_course"]
    assert not doc.xpath('//section[@aria-labelledby="runs-h"]')
    [row] = read_index(site)["courses"]
    assert row["flags"] & 8 and row["start"] == -1 and row["months"] == -1
    assert row["terms"] >= 0 and row["windows"] >= 0, "the term and open-now filters see it"


def test_notes_are_the_audiences_with_every_language_for_the_switch(tmp_path: Path) -> None:
    by_language = {"vi": "Nộp đơn qua VNU-IC", "zh": "请通过国际处申请", "en": "Apply via VNU-IC"}
    plain = make_course("X+1", "Plain notes")
    given = make_course("X+2", "Notes per language")
    given["offers"][0].update(notes=by_language["vi"], notes_by_language=by_language)
    odd = make_course("X+3", "Notes of a strange shape")
    odd["offers"][0].update(notes="<b>x</b>", notes_by_language=["not", "a", "dict"])
    site = build(tmp_path, [plain, given, odd])

    def notes(course: dict[str, Any]) -> Any:
        doc = lxml.html.parse(str(course_page(site, course["id"]))).getroot()
        [dd] = doc.xpath('//dd[@class="notes"]')
        return dd

    assert notes(plain).text == plain["offers"][0]["notes"]
    assert notes(plain).get("data-notes") is None
    assert notes(given).text == by_language["vi"]
    assert json.loads(notes(given).get("data-notes")) == by_language
    assert notes(odd).text == "<b>x</b>" and notes(odd).get("data-notes") is None


def test_the_site_opens_in_the_language_the_audience_institution_names() -> None:
    institutions = [{**INSTITUTIONS[0], "language": "en"}, INSTITUTIONS[1]]
    assert default_language("vnu", institutions) == "en"
    assert default_language("tsinghua", institutions) == "zh"
    assert default_language("vnu", [{**INSTITUTIONS[0], "language": "fr"}]) == "vi"


def test_an_empty_site_is_written_whole(tmp_path: Path) -> None:
    site = build(tmp_path, [])
    for name in ("index", "first"):
        index = read_index(site, name)
        assert index["n"] == 0 and index["courses"] == []
    assert not list((site / "courses").iterdir())


def test_withdrawn_course_is_marked(tmp_path: Path) -> None:
    courses = sample_courses()
    site = build(tmp_path, courses)
    doc = lxml.html.parse(str(course_page(site, courses[5]["id"]))).getroot()
    assert doc.xpath('//p[@class="notice withdrawn"]')
    assert "Đã ngừng cung cấp" in doc.xpath('//p[@class="notice withdrawn"]')[0].text_content()


def test_course_json_ld(tmp_path: Path) -> None:
    courses = sample_courses()
    site = build(tmp_path, courses)
    doc = lxml.html.parse(str(course_page(site, courses[0]["id"]))).getroot()
    (script,) = doc.xpath('//script[@type="application/ld+json"]')
    data = json.loads(script.text)
    assert data["@context"] == "https://schema.org" and data["@type"] == "Course"
    assert data["name"] == "Giáo dục học đại cương"
    assert data["description"] == "Khóa học giới thiệu."
    assert data["courseCode"] == "HNUEx+EDU1001" and data["inLanguage"] == "vi"
    assert data["provider"]["name"] == "Trường Đại học Sư phạm Hà Nội"
    assert data["url"].startswith("https://")
    (instance,) = data["hasCourseInstance"]
    assert instance["@type"] == "CourseInstance" and instance["courseMode"] == "online"
    assert instance["startDate"] == courses[0]["runs"][0]["start"]
    assert instance["endDate"] == courses[0]["runs"][0]["end"]
    (offer,) = data["offers"]
    assert offer["category"] == "Free" and offer["availabilityStarts"].endswith("+07:00")


def _course_ld(course: dict[str, Any], provider: str | None) -> dict[str, Any]:
    """The JSON-LD a course page carries, built the plain way (as a dict) for comparison."""
    description = plain_text(course.get("description")) or plain_text(
        course.get("short_description")
    )
    doc: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Course",
        "name": str(course.get("title") or course.get("key") or ""),
        "description": description[:5000],
        "courseCode": course.get("key"),
        "identifier": course.get("id"),
        "inLanguage": course.get("language"),
        "url": safe_url(course.get("url")),
        "image": safe_url(course.get("image_url")),
        "educationalLevel": course.get("level"),
        "isAccessibleForFree": course.get("is_free"),
        "provider": {"@type": "CollegeOrUniversity", "name": provider or course["institution"]},
    }
    if course.get("organization"):
        doc["provider"]["department"] = {"@type": "Organization", "name": course["organization"]}
    subjects = [(s.get("labels") or {}).get("en") for s in course.get("subjects_isced") or []]
    if any(subjects or course.get("subjects") or []):
        doc["about"] = [str(s) for s in subjects or course["subjects"] if s]
    offers = []
    for offer in course.get("offers") or []:
        item = {"@type": "Offer", "name": offer.get("term")}
        if course.get("is_free") is not None:
            item["category"] = "Free" if course["is_free"] else "Paid"
        item["availabilityStarts"] = offer.get("application_start")
        item["availabilityEnds"] = offer.get("application_end")
        if offer.get("seats") is not None:
            item["inventoryLevel"] = {"@type": "QuantitativeValue", "value": offer["seats"]}
        offers.append({k: v for k, v in item.items() if v is not None})
    if offers:
        doc["offers"] = offers
    mode = course.get("mode") or "online"
    runs = [
        {"@type": "CourseInstance", "courseMode": mode, "identifier": r.get("key"),
         "startDate": r.get("start"), "endDate": r.get("end"), "url": safe_url(r.get("url")),
         "offers": _instance_offer(r)}
        for r in course.get("runs") or []
    ]  # fmt: skip
    doc["hasCourseInstance"] = [{k: v for k, v in r.items() if v is not None} for r in runs] or [
        {"@type": "CourseInstance", "courseMode": mode}
    ]
    return {k: v for k, v in doc.items() if v not in (None, "")}


def _instance_offer(run: dict[str, Any]) -> dict[str, Any] | None:
    """A run's price as its instance's Offer; how often it is paid when more than once."""
    if run.get("price") is None:
        return None
    amount = {"price": run["price"]}
    if run.get("currency") is not None:
        amount["priceCurrency"] = run["currency"]
    offer: dict[str, Any] = {"@type": "Offer", **amount}
    if run.get("payment_frequency") not in (None, "one-time"):
        offer["priceSpecification"] = {
            "@type": "UnitPriceSpecification",
            **amount,
            "unitText": run["payment_frequency"],
        }
    return offer


def test_json_ld_is_the_whole_course(tmp_path: Path) -> None:
    """The JSON-LD, written piece by piece, is the object a plain dict gives — for every
    sample course (some sharing offers) and every hostile payload, key order included."""
    courses = [*sample_courses(), *(hostile_course(f.read_text("utf-8")) for f in PAYLOADS)]
    for n, course in enumerate(courses):
        course["id"] = f"{course['id']}#{n}"
    courses[1]["is_free"] = None
    courses[3]["runs"], courses[3]["offers"] = [], []
    courses[3]["mode"] = "onsite"  # a runless course's one instance has the course's mode
    courses[2]["mode"] = "blended"
    courses[2]["runs"][0].update(url="https://x.example/run", price="9.99", currency="EUR",
                                 payment_frequency="monthly")  # fmt: skip
    courses[0]["runs"][0].update(url="javascript:alert(1)", price="49.00", currency="USD")
    courses[4]["runs"][0].update(price="5", payment_frequency="one-time")
    site = build(tmp_path, courses)
    names = {i["id"]: i["names"]["vi"] for i in INSTITUTIONS}
    for course in courses:
        doc = lxml.html.parse(str(course_page(site, course["id"]))).getroot()
        (script,) = doc.xpath('//script[@type="application/ld+json"]')
        assert "<" not in script.text and ">" not in script.text
        got = json.loads(script.text)
        expected = _course_ld(course, names.get(course["institution"]))
        assert got == expected
        assert list(got) == list(expected)


def test_plain_text_fields_are_escaped(tmp_path: Path) -> None:
    course = make_course("X+1", "<b>Bold</b> & </title>", organization="<i>Org</i>")
    site = build(tmp_path, [course])
    text = course_page(site, course["id"]).read_text(encoding="utf-8")
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;/title&gt;" in text
    assert "&lt;i&gt;Org&lt;/i&gt;" in text
    assert "<b>Bold" not in text and "<i>Org" not in text


def test_unsafe_urls_are_not_rendered(tmp_path: Path) -> None:
    course = make_course("X+1", "T", url="javascript:alert(1)", image_url="data:image/png,x")
    site = build(tmp_path, [course])
    doc = lxml.html.parse(str(course_page(site, course["id"]))).getroot()
    assert not doc.xpath('//a[@class="platform"]')
    data = json.loads(doc.xpath('//script[@type="application/ld+json"]')[0].text)
    assert "url" not in data and "image" not in data


# ---------------------------------------------------------------- file:// safety


def test_scripts_never_use_the_network() -> None:
    scripts = sorted(ASSETS.glob("*.js"))
    assert {p.stem for p in scripts} == set(SCRIPT_FILES)
    app = "".join(p.read_text(encoding="utf-8") for p in scripts)
    for word in ("fetch(", "XMLHttpRequest", "import(", "WebSocket", "EventSource", "sendBeacon"):
        assert word not in app
    assert "innerHTML" not in app and "insertAdjacentHTML" not in app and "eval(" not in app
    css = (ASSETS / "style.css").read_text(encoding="utf-8")
    assert "url(" not in css and "@import" not in css and "@font-face" not in css


def test_pages_reference_only_local_assets(tmp_path: Path) -> None:
    site = build(tmp_path)
    for page in [site / "index.html", *sorted((site / "courses").glob("*.html"))]:
        doc = lxml.html.parse(str(page)).getroot()
        for node in doc.iter():
            if not isinstance(node.tag, str):
                continue
            for attr in ("src", "srcset", "poster", "data", "background"):
                value = node.get(attr)
                assert value is None or "//" not in value, (page.name, node.tag, value)
        for link in doc.iter("link"):
            # the stylesheet, and the audience's Atom feed (issue 19): both files of the site
            assert link.get("rel") in ("stylesheet", "alternate") and "//" not in link.get("href")
            assert (page.parent / link.get("href")).is_file(), (page.name, link.get("href"))
            if link.get("rel") == "alternate":
                assert link.get("type") == "application/atom+xml"
        assert not doc.xpath("//img|//iframe|//object|//embed|//video|//audio")
        # external links exist only as ordinary, user-followed links
        for a in doc.iter("a"):
            href = a.get("href") or ""
            if "//" in href:
                assert href.startswith("https://") or href.startswith("http://")
                assert "noopener" in (a.get("rel") or "")
        csp = doc.xpath('//meta[@http-equiv="Content-Security-Policy"]')[0].get("content")
        assert "connect-src 'none'" in csp and "img-src 'none'" in csp


# ---------------------------------------------------------------- writing the folder


def test_streaming_writes_each_page_before_reading_the_next(tmp_path: Path) -> None:
    out = tmp_path / "site"

    def courses() -> Iterator[dict[str, Any]]:
        written: list[str] = []
        for course in sample_courses():
            if written:
                (tmp_dir,) = tmp_path.glob(".site.tmp-*")
                assert (tmp_dir / "courses" / f"{page_slug(written[-1])}.html").is_file()
            written.append(course["id"])
            yield course

    write_site(
        out,
        institutions=INSTITUTIONS,
        courses=documents(courses()),
        audience="vnu",
        generated_at=GENERATED,
    )


def test_a_new_export_replaces_the_old_site_whole(tmp_path: Path) -> None:
    site = build(tmp_path)
    (site / "courses" / "stale.html").write_text("old", encoding="utf-8")
    build(tmp_path, sample_courses()[:2])
    assert not (site / "courses" / "stale.html").exists()
    assert len(read_index(site)["courses"]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_failed_export_leaves_the_old_site_intact(tmp_path: Path) -> None:
    site = build(tmp_path)
    before = (site / "index.html").read_text(encoding="utf-8")

    def broken() -> Iterator[dict[str, Any]]:
        yield from sample_courses()[:3]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        build(tmp_path, broken())
    assert (site / "index.html").read_text(encoding="utf-8") == before
    assert len(read_index(site)["courses"]) == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_folder_that_is_not_a_site_is_never_replaced(tmp_path: Path) -> None:
    documents = tmp_path / "site"
    documents.mkdir()
    (documents / "thesis.docx").write_text("precious", encoding="utf-8")
    with pytest.raises(SiteError, match="not written by moocx"):
        build(tmp_path)
    assert (documents / "thesis.docx").read_text(encoding="utf-8") == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_an_empty_folder_is_used(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    assert (build(tmp_path) / "index.html").is_file()


# ---------------------------------------------------------------- hostile payloads

PAYLOADS = sorted(FIXTURES.glob("*.html"))
SCRIPT_FILES = ["core", "state", "strings", "search", "results", "loading", "filters", "app"]
OWN_SCRIPTS = {
    "index.html": ["data/i18n.js", "data/first.js", *(f"assets/{s}.js" for s in SCRIPT_FILES)],
    "course": [
        "../data/i18n.js",
        *(f"../assets/{s}.js" for s in ("core", "state", "strings", "app")),
    ],
}
FORBIDDEN = ("base", "iframe", "form", "svg", "math", "style", "object", "embed", "frame", "img")
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "data", "srcset", "poster", "background")


def _compact(value: str) -> str:
    return re.sub(r"\s+", "", html.unescape(html.unescape(value)).lower())


def hostile_course(payload: str) -> dict[str, Any]:
    course = make_course(
        payload,
        payload,
        description=payload,
        short_description=payload,
        organization=payload,
        url=payload,
        image_url=payload,
        level=payload,
        effort=payload,
        subjects=[payload],
    )
    course["subjects_isced"] = [{"code": "06", "labels": dict.fromkeys(LANGUAGES, payload)}]
    course["offers"][0].update(
        notes=payload, term=payload, notes_by_language=dict.fromkeys(LANGUAGES, payload)
    )
    course["offers"][0]["equivalence"] = {
        "status": payload,
        "home_course": payload,
        "valid_terms": [payload],
    }
    return course


@pytest.mark.parametrize("fixture", PAYLOADS, ids=[p.stem for p in PAYLOADS])
def test_hostile_payload_never_reaches_the_page(tmp_path: Path, fixture: Path) -> None:
    payload = fixture.read_text(encoding="utf-8")
    course = hostile_course(payload)
    site = build(tmp_path, [course])
    pages = {"index.html": site / "index.html", "course": course_page(site, course["id"])}
    for kind, page in pages.items():
        doc = lxml.html.parse(str(page)).getroot()
        scripts = doc.xpath("//script")
        external = [s.get("src") for s in scripts if s.get("src") is not None]
        assert external == OWN_SCRIPTS[kind], (kind, external)
        assert all(not (s.text or "").strip() for s in scripts if s.get("src"))
        inline = [s for s in scripts if s.get("src") is None]
        if kind == "course":
            (ld,) = inline
            assert ld.get("type") == "application/ld+json"
            data = json.loads(ld.text)
            assert data["@type"] == "Course" and data["name"] == payload  # round-trips (H5)
        else:
            assert not inline
        for node in doc.iter():
            if not isinstance(node.tag, str):
                continue
            assert node.tag not in FORBIDDEN, (kind, node.tag)
            if node.tag == "meta":
                assert (node.get("http-equiv") or "").lower() != "refresh"
            if node.tag == "link":  # the stylesheet and the audience's Atom feed (issue 19)
                assert node.get("href") in (
                    "assets/style.css",
                    "../assets/style.css",
                    "feeds/vnu.atom",
                    "../feeds/vnu.atom",
                )
            for name, value in node.attrib.items():
                assert not name.lower().startswith("on"), (kind, node.tag, name)
                if name in URL_ATTRIBUTES:
                    compact = _compact(value)
                    for scheme in ("javascript:", "vbscript:", "data:"):
                        assert scheme not in compact, (kind, node.tag, name, value)
        assert not [n for n in doc.iter() if isinstance(n.tag, str) and n.get("style")]
    for name in ("index", "first"):
        index_js = (site / "data" / f"{name}.js").read_text(encoding="utf-8")
        assert "<" not in index_js and ">" not in index_js
        index = read_index(site, name)
        assert index["courses"][0]["title"] == payload
        assert index["tables"]["organization"] == [payload]
