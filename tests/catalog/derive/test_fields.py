"""Detailed fields: a student's query in Vietnamese, Chinese or English names the ISCED-F 2013
detailed field, and course titles in every language are classified into the same fields."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from catalog.derive.fields import LANGUAGES, DetailedFields, load_fields
from catalog.derive.fold import fold
from catalog.derive.subjects import load_subjects

ROOT = Path(__file__).parents[3]
DEMO = ROOT / "scheduler" / "demo" / "data"
BROAD_DATA = tomllib.loads(
    (ROOT / "catalog" / "derive" / "data" / "isced_f_2013.toml").read_text("utf-8")
)


@pytest.fixture(scope="module")
def fields() -> DetailedFields:
    return load_fields()


def demo_titles() -> list[str]:
    """The demo's course titles as its two sources serve them (XuetangX and a VNU Open edX)."""
    xuetangx = json.loads((DEMO / "tsinghua_xuetangx_courses.json").read_text("utf-8"))
    openedx = json.loads((DEMO / "vnu_openedx_courses.json").read_text("utf-8"))
    names = [p["name"] for p in xuetangx["products"]] + [c["name"] for c in openedx]
    return list(dict.fromkeys(names))


def found_by(fields: DetailedFields, query: str) -> set[str]:
    """The demo titles a query finds through the fields it names (what search will do)."""
    wanted = set(fields.fields_of_query(query))
    return {t for t in demo_titles() if wanted & set(fields.fields_of_text(t))}


# ----------------------------------------------------------------------------- the queries


def test_vat_ly_finds_the_chinese_physics_courses(fields: DetailedFields) -> None:
    assert fields.fields_of_query("vật lý") == ("0533",)
    assert fields.fields_of_text("大学物理（电磁学）") == ("0533",)
    assert {"大学物理", "大学物理（电磁学）", "Cơ - Nhiệt", "Điện - Quang"} <= found_by(
        fields, "vật lý"
    )


def test_kinh_te_finds_macroeconomics_in_chinese(fields: DetailedFields) -> None:
    assert fields.fields_of_query("kinh tế") == ("0311",)
    assert fields.fields_of_text("宏观经济学") == ("0311",)
    assert {"宏观经济学", "Kinh tế học vĩ mô", "Kinh tế học vi mô", "Econometrics"} <= found_by(
        fields, "kinh tế"
    )


def test_physics_finds_both_languages(fields: DetailedFields) -> None:
    assert fields.fields_of_query("physics") == ("0533",)
    assert {"大学物理（电磁学）", "Cơ - Nhiệt"} <= found_by(fields, "physics")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        pytest.param("vat ly", "0533", id="folded-vi"),
        pytest.param("VẬT LÝ", "0533", id="upper-vi"),
        pytest.param("Vat Li", "0533", id="vat-li-spelling"),
        pytest.param("物理", "0533", id="zh"),
        pytest.param("物理学", "0533", id="zh-label"),
        pytest.param("Physics", "0533", id="en-label"),
        pytest.param("kinh te", "0311", id="folded-kinh-te"),
        pytest.param("kinh te hoc", "0311", id="vi-label-folded"),
        pytest.param("经济学", "0311", id="zh-economics"),
        pytest.param("macroeconomics", "0311", id="en-keyword"),
        pytest.param("giáo trình vật lý đại cương", "0533", id="query-containing-keyword"),
        pytest.param("lap trinh", "0613", id="folded-programming"),
        pytest.param("程序设计", "0613", id="zh-programming"),
        pytest.param("0533", "0533", id="the-code-itself"),
    ],
)
def test_queries_name_fields_in_every_language(
    fields: DetailedFields, query: str, code: str
) -> None:
    assert fields.fields_of_query(query) == (code,)


def test_queries_naming_nothing_name_no_field(fields: DetailedFields) -> None:
    for query in ["", "   ", None, "lý", "học", "学", "introduction", "đại cương", "9999"]:
        assert fields.fields_of_query(query) == (), query
    assert fields.fields_of_text(42) == ()  # type: ignore[arg-type]  # a malformed category


# ----------------------------------------------------------------------------- course titles


@pytest.mark.parametrize(
    ("title", "codes"),
    [
        ("宏观经济学", ("0311",)),  # the longest keyword, once
        ("概率论与数理统计", ("0542",)),
        ("计算机网络原理", ("0612",)),
        ("C++语言程序设计基础", ("0613",)),
        ("工程图学", ("0715",)),
        ("运动与健康", ("1014",)),
        ("Cơ - Nhiệt", ("0533",)),  # words a keyword joins, across the source's punctuation
        ("Xác suất thống kê", ("0542",)),
        ("Luật kinh doanh", ("0421",)),
        ("Tín hiệu và hệ thống", ("0714",)),
        ("Khoa học môi trường đại cương", ("0521",)),
        ("Tâm lý học đại cương", ("0313",)),
        ("Fintech and the Digital Economy", ("0412", "0311")),  # in the order named
        ("Giáo dục học đại cương (lớp bồi dưỡng giáo viên)", ("0111", "0113")),
        ("Vật lý trị liệu", ("0915",)),  # physiotherapy, not physics
        ("Cơ học đất", ("0732",)),
        ("物理化学", ("0531",)),
        ("生物化学", ("0512",)),
        ("Metaphysics", ("0223",)),
        ("机器学习 and economics", ("0613", "0311")),  # two scripts, text order
        ("economics 机器学习", ("0311", "0613")),
        ("python编程", ("0613",)),  # Han next to a word is a word break
    ],
)
def test_titles_are_classified(fields: DetailedFields, title: str, codes: tuple) -> None:
    assert fields.fields_of_text(title) == codes


@pytest.mark.parametrize(
    ("title", "not_code"),
    [
        pytest.param("Vật liệu xây dựng", "0533", id="vat-lieu-is-not-vat-li"),
        pytest.param("Lý luận chính trị", "0533", id="ly-alone-is-no-keyword"),
        pytest.param("Art history", "0213", id="art-is-no-keyword"),
        pytest.param("Artificial Intelligence", "0213", id="art-inside-a-word"),
        pytest.param("Thương mại điện tử", "0533", id="dien-tu-folds-like-dien-tu"),
        pytest.param("Kỹ thuật điện tử", "0533", id="electronics-is-not-electromagnetism"),
        pytest.param("Quản lý tài nguyên nước", "0413", id="quan-ly-alone"),
        pytest.param("Xây dựng ứng dụng web", "0732", id="xay-dung-means-build"),
        pytest.param("Xây dựng thương hiệu", "0732", id="brand-building"),
        pytest.param("Môi trường lập trình Python", "0521", id="programming-environment"),
        pytest.param("Python for Beginners", "0231", id="for-beginners"),
        pytest.param("Chinese Culture and Society", "0231", id="nationality-adjective"),
        pytest.param("Data Mining", "0724", id="data-mining-is-not-mining"),
        pytest.param("Software Architecture", "0731", id="software-architecture"),
        pytest.param("Kiến trúc máy tính", "0731", id="computer-architecture-vi"),
        pytest.param("Tiếng Hàn Quốc cơ sở", "0715", id="han-is-not-welding"),
        pytest.param("Khoa học sau đại học", "0613", id="hoc-sau-is-not-deep-learning"),
        pytest.param("An toàn thông tin", "0541", id="an-toan-is-not-toan"),
        pytest.param("Đồng ý và từ chối", "0917", id="dong-y-means-agree"),
        pytest.param("Mathematics education", "0541", id="longest-wins"),
        pytest.param("Newton's Laws of Motion", "0421", id="laws-of-physics"),
        pytest.param("Climate Change and Disaster Risk Management", "0413", id="management"),
    ],
)
def test_no_false_positives(fields: DetailedFields, title: str, not_code: str) -> None:
    assert not_code not in fields.fields_of_text(title)


def test_folded_titles_give_the_same_fields(fields: DetailedFields) -> None:
    for title in demo_titles():
        assert fields.fields_of_folded(fold(title)) == fields.fields_of_text(title), title


def test_every_demo_title_of_a_subject_gets_a_field(fields: DetailedFields) -> None:
    unclassified = [t for t in demo_titles() if not fields.fields_of_text(t)]
    assert unclassified == ["Phương pháp nghiên cứu khoa học"]  # research methods: no one field


# ----------------------------------------------------------------------------- the data


def test_every_field_speaks_three_languages(fields: DetailedFields) -> None:
    assert len(fields.codes) >= 70
    for code in fields.codes:
        field = fields.field(code)
        for language in LANGUAGES:
            assert field.labels[language].strip(), (code, language)
            assert field.keywords[language], (code, language)


def test_codes_are_isced_f_detailed_codes(fields: DetailedFields) -> None:
    narrow = BROAD_DATA["narrow"]
    detailed = {c for c in narrow if len(c) == 4}
    for code in fields.codes:
        assert re.fullmatch(r"\d{4}", code), code
        assert fields.broad(code) in load_subjects().codes, code
        assert code[:3] in narrow, code
        if code in narrow:
            assert fields.label(code, "en") == narrow[code], code
    required = {c for c in detailed if c[:2] in {"01", "02", "03", "04", "05", "06", "07", "09"}}
    assert required <= set(fields.codes)


def test_keywords_are_specific(fields: DetailedFields) -> None:
    generic = {"hoc", "ly", "li", "co", "dien tu", "toan", "xay dung", "quan ly", "introduction"}
    for code in fields.codes:
        for language, keywords in fields.field(code).keywords.items():
            for keyword in keywords:
                folded = fold(keyword)
                assert folded not in generic, (code, keyword)
                assert len(folded) >= 2, (code, keyword)
                if language == "vi" and " " not in folded:  # one syllable is never enough
                    assert len(folded) >= 6, (code, keyword)


def test_labels(fields: DetailedFields) -> None:
    assert fields.label("0533", "vi") == "Vật lý học"
    assert fields.label("0533", "zh-Hans") == "物理学"
    assert fields.label("0533", "de") == "Physics"
    assert fields.broad("0533") == "05"
    assert fields.broad("1014") == "10"
    with pytest.raises(ValueError, match="not an ISCED-F 2013 detailed field"):
        fields.label("9999", "en")


# ----------------------------------------------------------------------------- bad data

FIELD = """
[fields."0533"]
en = "Physics"
vi = "Vật lý học"
zh = "物理学"
keywords.en = ["physics"]
keywords.vi = ["vật lý"]
keywords.zh = ["物理"]
"""


def test_a_field_without_keywords_in_a_language_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'0533' needs keywords.zh"):
        DetailedFields.from_toml(FIELD.replace('keywords.zh = ["物理"]', ""))


ELECTRONICS = """
[fields."0714"]
en = "Electronics and automation"
vi = "Điện tử và tự động hóa"
zh = "电子与自动化"
keywords.en = ["electronics"]
keywords.vi = ["KEYWORD"]
keywords.zh = ["电子"]
"""


def test_a_keyword_folding_like_another_fields_is_refused() -> None:
    both = DetailedFields.from_toml(FIELD + ELECTRONICS.replace("KEYWORD", "kỹ thuật điện tử"))
    assert both.fields_of_text("Vật lý và kỹ thuật điện tử") == ("0533", "0714")
    with pytest.raises(ValueError, match="folds like a keyword of 0533"):
        DetailedFields.from_toml(FIELD + ELECTRONICS.replace("KEYWORD", "Vat Ly"))


def test_a_keyword_mixing_scripts_is_refused() -> None:
    with pytest.raises(ValueError, match="not one Chinese or word phrase"):
        DetailedFields.from_toml(FIELD.replace('["物理"]', '["stem教育"]'))
