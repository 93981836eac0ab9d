"""Subjects: the ISCED-F broad fields, their labels, and each source's categories mapped to them."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from catalog.derive.subjects import SubjectCatalog, load_subjects, normalise
from tests.conftest import FIXTURES

EXPECTED = tomllib.loads((FIXTURES / "subjects" / "expected_codes.toml").read_text("utf-8"))
DEMO = Path(__file__).parents[3] / "scheduler" / "demo" / "data"


def cases(family: str) -> list:
    return [
        pytest.param(name, code, id=f"{family}:{name}") for name, code in EXPECTED[family].items()
    ]


@pytest.fixture(scope="module")
def subjects() -> SubjectCatalog:
    return load_subjects()


# ----------------------------------------------------------------------------- the fields


def test_the_eleven_broad_fields_have_vietnamese_chinese_and_english_labels(subjects) -> None:
    assert subjects.codes == tuple(f"{n:02d}" for n in range(11))
    for code in subjects.codes:
        labels = subjects.labels(code)
        assert set(labels) == {"vi", "zh", "en"}
        assert all(label.strip() for label in labels.values())
    assert subjects.labels("06") == {
        "vi": "Công nghệ thông tin và truyền thông",
        "zh": "信息与通信技术",
        "en": "Information and Communication Technologies",
    }
    assert subjects.labels("01")["vi"] == "Giáo dục"
    assert subjects.labels("05")["zh"] == "自然科学、数学和统计"


def test_labels_are_stored_composed_so_they_compare_equal_to_typed_text(subjects) -> None:
    import unicodedata

    for code in subjects.codes:
        for label in subjects.labels(code).values():
            assert unicodedata.is_normalized("NFC", label)


def test_a_narrow_code_gives_its_broad_field_and_an_unknown_code_is_an_error(subjects) -> None:
    assert subjects.broad("0613") == "06"
    assert subjects.broad("061") == "06"
    assert subjects.labels("0912")["en"] == "Health and welfare"
    with pytest.raises(ValueError, match="'11'"):
        subjects.labels("11")
    with pytest.raises(ValueError, match="'0699'"):
        subjects.broad("0699")


def test_label_in_a_language_falls_back_to_english(subjects) -> None:
    assert subjects.label("06", "zh-Hans") == "信息与通信技术"
    assert subjects.label("06", "vi") == "Công nghệ thông tin và truyền thông"
    assert subjects.label("06", "de") == "Information and Communication Technologies"


def test_load_subjects_reads_the_data_file_once() -> None:
    assert load_subjects() is load_subjects()


# ----------------------------------------------------------------------------- source families


@pytest.mark.parametrize(("category", "code"), cases("edx"))
def test_edx_subject_names(subjects, category: str, code: str) -> None:
    assert subjects.map([category]) == ([code] if code else [])


@pytest.mark.parametrize(("category", "code"), cases("xuetangx"))
def test_xuetangx_classify_names(subjects, category: str, code: str) -> None:
    assert subjects.map([category]) == ([code] if code else [])


@pytest.mark.parametrize(("category", "code"), cases("moochub"))
def test_moochub_keywords_in_english_and_german(subjects, category: str, code: str) -> None:
    assert subjects.map([category]) == ([code] if code else [])


@pytest.mark.parametrize(("category", "code"), cases("vi"))
def test_vietnamese_categories_with_and_without_diacritics(subjects, category, code) -> None:
    assert subjects.map([category]) == ([code] if code else [])


def test_every_classify_name_of_the_demo_platform_is_mapped(subjects) -> None:
    products = json.loads((DEMO / "tsinghua_xuetangx_courses.json").read_text("utf-8"))
    names = {n for p in products["products"] for n in p.get("classify_name") or []}
    assert names
    assert subjects.unmapped(names) == []


def test_whole_words_only_for_alphabetic_names(subjects) -> None:
    # "art" is a name, "artificial" is not "art"; "toan" alone would catch "an toàn" (safety).
    assert subjects.map(["Artificial Intelligence"]) == ["06"]
    assert subjects.map(["Startups"]) == []
    assert subjects.map(["An toàn lao động"]) == []


def test_one_code_per_field_in_the_order_first_found(subjects) -> None:
    assert subjects.map(["计算机", "人工智能", "Computer Science", "数学", "计算机"]) == [
        "06",
        "05",
    ]
    assert subjects.map([]) == []


def test_blank_and_non_text_categories_are_skipped(subjects) -> None:
    assert subjects.map(["", "   ", "·", None, 42, "Math"]) == ["05"]  # type: ignore[list-item]
    assert subjects.unmapped(["", "  ", "·"]) == []


def test_entries_give_the_export_shape(subjects) -> None:
    assert subjects.entries(["Computer Science"]) == [
        {"code": "06", "labels": subjects.labels("06")}
    ]


def test_normalise_folds_case_accents_punctuation_and_and() -> None:
    assert normalise("Economics & Finance") == normalise("economics and finance")
    assert normalise("Giáo dục") == normalise("GIAO DUC") == "giao duc"
    assert normalise("经管·会计") == normalise("经管・会计") == "经管 会计"
    assert normalise("Đại số") == "dai so"
    assert normalise("Python编程") == "python 编程"


# ----------------------------------------------------------------------------- config overrides


def test_an_extra_mapping_adds_a_category(subjects) -> None:
    assert subjects.map(["Quantencomputing"]) == []
    assert subjects.map(["Quantencomputing"], {"Quantencomputing": "05"}) == ["05"]


def test_an_extra_mapping_overrides_a_default(subjects) -> None:
    assert subjects.map(["Economics & Finance"]) == ["03"]
    assert subjects.map(["Economics & Finance"], {"economics and finance": "04"}) == ["04"]


def test_an_extra_mapping_is_matched_folded_and_inside_longer_categories(subjects) -> None:
    extra = {"Thiết kế đồ họa": "02", "量子": "05"}
    assert subjects.map(["thiet ke do hoa"], extra) == ["02"]
    assert subjects.map(["Nhập môn thiết kế đồ họa"], extra) == ["02"]
    assert subjects.map(["量子计算"], extra) == ["05"]


def test_an_extra_mapping_may_name_a_narrow_code_or_ignore_a_category(subjects) -> None:
    assert subjects.map(["Robotik"], {"Robotik": "0714"}) == ["07"]
    assert subjects.map(["Tuần lễ định hướng"], {"Tuần lễ định hướng": ""}) == []
    assert subjects.unmapped(["Tuần lễ định hướng"], {"Tuần lễ định hướng": ""}) == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        pytest.param({"Robotik": "11"}, "'11'", id="unknown-broad-code"),
        pytest.param({"Robotik": "0799"}, "'0799'", id="unknown-detailed-code"),
        pytest.param({"Robotik": "engineering"}, "'engineering'", id="a-name-not-a-code"),
        pytest.param({"Robotik": 7}, "must be a string", id="not-text"),
        pytest.param({"···": "07"}, "not a category name", id="no-letters"),
    ],
)
def test_an_extra_mapping_with_an_unknown_code_is_refused(subjects, extra, message) -> None:
    with pytest.raises(ValueError, match=message):
        subjects.map(["Robotik"], extra)
    with pytest.raises(ValueError, match=message):
        subjects.check_extra(extra)


def test_check_extra_normalises_names_and_codes(subjects) -> None:
    assert subjects.check_extra({"Thiết kế": "0212", "Tag": ""}) == {"thiet ke": "02", "tag": ""}


# ----------------------------------------------------------------------------- unmapped


def test_unknown_categories_are_reported_once_each_in_order(subjects) -> None:
    categories = [
        "Computer Science",
        "Quantencomputing",
        "国家精品",
        "星际旅行",
        "Quantencomputing",
    ]
    assert subjects.unmapped(categories) == ["Quantencomputing", "星际旅行"]


def test_a_category_the_config_maps_is_no_longer_unmapped(subjects) -> None:
    assert subjects.unmapped(["星际旅行"], {"星际旅行": "05"}) == []


# ----------------------------------------------------------------------------- the data file


def test_conflicting_names_in_the_data_are_refused() -> None:
    data = """
[fields."01"]
en = "Education"
vi = "Giáo dục"
zh = "教育"
[fields."02"]
en = "Arts"
vi = "Nghệ thuật"
zh = "艺术"
[mappings.a]
"Giáo dục" = "01"
[mappings.b]
"giao duc" = "02"
"""
    with pytest.raises(ValueError, match="'giao duc'"):
        SubjectCatalog.from_toml(data)


def test_a_field_without_a_label_is_refused() -> None:
    with pytest.raises(ValueError, match="'01'"):
        SubjectCatalog.from_toml('[fields."01"]\nen = "Education"\nvi = "Giáo dục"\n')


def test_a_mapping_to_an_unknown_code_in_the_data_is_refused() -> None:
    data = '[fields."01"]\nen = "E"\nvi = "G"\nzh = "教"\n[mappings.x]\n"Math" = "05"\n'
    with pytest.raises(ValueError, match="'Math'"):
        SubjectCatalog.from_toml(data)


# ----------------------------------------------------------------------------- signature


def test_the_signature_names_the_data_and_the_extra_mapping(subjects) -> None:
    plain = subjects.signature()
    assert plain == subjects.signature({}) == load_subjects().signature(None)
    assert plain.startswith("isced-f-2013 ")
    extra = subjects.signature({"Lehramt": "01"})
    assert extra != plain
    assert subjects.signature({"lehramt": "0113"}) == extra  # the same mapping, normalised
    assert subjects.signature({"Lehramt": "02"}) != extra
    both = {"Lehramt": "01", "Kunst": "02"}
    assert subjects.signature(both) == subjects.signature(dict(reversed(both.items())))


def test_other_subject_data_signs_differently() -> None:
    text = (Path(__file__).parents[3] / "catalog/derive/data/isced_f_2013.toml").read_text("utf-8")
    changed = SubjectCatalog.from_toml(text + '\n[mappings.extra_test]\n"Lehramt" = "01"\n')
    assert changed.signature() != load_subjects().signature()


def test_a_bad_extra_mapping_has_no_signature(subjects) -> None:
    with pytest.raises(ValueError, match="Lehramt"):
        subjects.signature({"Lehramt": "99"})
