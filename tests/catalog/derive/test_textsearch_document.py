"""Search folding and the document text, as pure functions: the same rule as the static site."""

from __future__ import annotations

import unicodedata

import pytest

from catalog.store.textsearch import document_text, fold, lower


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        pytest.param("giao duc", "giao duc", id="plain"),
        pytest.param("Giao Duc", "giao duc", id="capitals"),
        pytest.param("giáo dục", "giao duc", id="accents"),
        pytest.param("GIÁO DỤC", "giao duc", id="accented-capitals"),
        pytest.param("Đại học", "dai hoc", id="capital-d-bar"),
        pytest.param("đường", "duong", id="d-bar-and-horn"),
        pytest.param("Nguyễn Thị Ánh Tuyết", "nguyen thi anh tuyet", id="name"),
        pytest.param("Hoá học", "hoa hoc", id="old-accent-placement"),
        pytest.param("Hóa học", "hoa hoc", id="new-accent-placement"),
        pytest.param("Tiếng Việt ơ ư ă â ê ô", "tieng viet o u a a e o", id="all-vowel-marks"),
        pytest.param(unicodedata.normalize("NFD", "Giáo dục"), "giao duc", id="decomposed-input"),
        pytest.param("  giáo \t dục\n học ", "giao duc hoc", id="whitespace-collapsed"),
        pytest.param("giáo\u00a0dục\u3000học", "giao duc hoc", id="nbsp-and-ideographic-space"),
        pytest.param("人工智能原理与应用", "人工智能原理与应用", id="chinese-unchanged"),
        pytest.param("機器學習", "機器學習", id="traditional-chinese-unchanged"),
        pytest.param("ＡＩ１０１　人工智能", "ai101 人工智能", id="fullwidth-from-chinese-ime"),
        pytest.param("ﬁnance ²", "finance 2", id="compatibility-forms"),
        pytest.param("がく", "かく", id="kana-voicing-is-a-mark-too"),
        pytest.param("한국어", unicodedata.normalize("NFKD", "한국어"), id="hangul-as-jamo"),
        pytest.param("Machine Learning", "machine learning", id="english"),
        pytest.param("Café Müller Ærø", "cafe muller ærø", id="letters-not-marks-stay"),
        pytest.param("İstanbul", "istanbul", id="dotted-capital-i"),
        pytest.param("AI人工智能 Đ", "ai人工智能 d", id="mixed"),
        pytest.param("", "", id="empty"),
        pytest.param("   ", "", id="blank"),
        pytest.param(None, "", id="none"),
        pytest.param("a\ufeffb\u2028c", "a b c", id="javascript-whitespace"),
    ],
)
def test_fold(typed: str | None, folded: str) -> None:
    assert fold(typed) == folded


def test_fold_is_idempotent_and_all_spellings_of_a_word_agree() -> None:
    spellings = ["giao duc", "Giao Duc", "giáo dục", "GIÁO DỤC", "Giáo  dục", "giáo dục"]
    assert {fold(s) for s in spellings} == {"giao duc"}
    for s in [*spellings, "Đại học", "人工智能"]:
        assert fold(fold(s)) == fold(s)


def test_fold_agrees_with_the_static_site() -> None:
    """The site folds in JavaScript and in catalog/derive/fold.py; a query must find the same."""
    site = pytest.importorskip("catalog.derive.fold")
    samples = [
        "Giáo dục học đại cương", "ĐẠI HỌC", "ＡＩ１０１　人工智能", "ﬁnance ²", "İstanbul",
        "がく", "한국어", "a\ufeffb\u2028c\u3000d", "Hoá học", "  ", "Ærø", "人工智能原理与应用",
    ]  # fmt: skip
    assert [fold(s) for s in samples] == [site.fold(s) for s in samples]


def test_lower_keeps_accents_but_ignores_case_and_spacing() -> None:
    assert lower("GIÁO  DỤC") == "giáo dục"
    assert lower(unicodedata.normalize("NFD", "Giáo dục")) == "giáo dục"
    assert lower("Giao duc") != lower("Giáo dục")


def test_document_text_folds_every_field_and_adds_subject_labels_in_three_languages() -> None:
    doc = document_text(
        "Nhập môn Trí tuệ nhân tạo", "UETx", ["Computer Science"], "Tác tử và tìm kiếm"
    )
    for part in ("nhap mon tri tue nhan tao", "uetx", "computer science", "tac tu va tim kiem"):
        assert part in doc
    for label in ("cong nghe thong tin va truyen thong", "信息与通信技术", "information and"):
        assert label in doc


def test_document_text_uses_the_config_subject_mapping() -> None:
    assert "giao duc" not in document_text("x", subjects=["Lehramt"])
    assert "giao duc" in document_text("x", subjects=["Lehramt"], subject_mapping={"Lehramt": "01"})


def test_the_mark_table_is_exactly_the_unicode_category_m_of_this_python() -> None:
    from catalog.derive.marks import MARKS_14, UNICODE_VERSION, mark_class, scan_marks

    assert mark_class() == scan_marks()
    if unicodedata.unidata_version == UNICODE_VERSION:
        assert scan_marks() == MARKS_14


def test_fold_agrees_with_the_character_by_character_rule_on_every_code_point() -> None:
    """The fast fold (translate table, skipped steps) against the rule as the docstring says it."""
    import re

    spaces = re.compile(
        "[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+"
    )

    def by_the_rule(value: str) -> str:
        decomposed = unicodedata.normalize("NFKD", value.lower())
        bare = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
        return spaces.sub(" ", bare.replace("đ", "d")).strip(" ")

    points = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    for start in range(0, len(points), 37):
        chunk = "".join(points[start : start + 37]) + "  Giáo\u3000dục "
        assert fold(chunk) == by_the_rule(chunk), repr(chunk)


def test_document_text_folded_part_by_part_is_the_fold_of_the_whole() -> None:
    """The cached, part-by-part fold against its definition, on awkward generated parts."""
    import random

    from catalog.derive.subjects import load_subjects

    def by_definition(title, organization, subjects, short, mapping) -> str:
        catalog = load_subjects()
        names = [s for s in subjects if s.strip()]
        labels = [
            label for code in catalog.map(names, mapping) for label in catalog.labels(code).values()
        ]
        parts = [title, organization or "", *names, *labels, short or ""]
        return fold(" | ".join(p for p in parts if p.strip()))

    rng = random.Random(1)
    letters = "aΣσ ΑΒ\u0301\ufeff\u3000 ếĐ清|x"
    subjects = ["Khoa học máy tính", "计算机", "Education", "Giáo dục", " ", "\u0301"]
    for _ in range(5000):
        title = "".join(rng.choice(letters) for _ in range(rng.randint(1, 8)))
        organization = rng.choice([None, "", "VNU", "Đại học\u0301", "\ufeff", "ΟΔΟΣ"])
        names = tuple(rng.sample(subjects, rng.randint(0, 3)))
        short = rng.choice([None, "", "Σ abc", "\u0301", title])
        mapping = rng.choice([None, {"Giáo dục": "01"}])
        assert document_text(
            title, organization, names, short, subject_mapping=mapping
        ) == by_definition(title, organization, names, short, mapping)
