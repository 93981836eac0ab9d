"""Search: the index's DDL, then the index and search on both databases (folding and the
document text: test_textsearch_document.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text, update

from catalog.store import harvests, schema
from catalog.store.db import make_engine, read_only
from catalog.store.ingest import Ingestor
from catalog.store.models import Course
from catalog.store.textsearch import (
    FTS_TABLE,
    INDEX_TABLE,
    SearchHit,
    ddl_statements,
    drop_statements,
    has_fts,
    refresh_index,
    search,
    trigram_available,
)
from connectors.records import CourseRecord, Page
from connectors.records import CourseRun as Run

# ----------------------------------------------------------------------------- DDL


def test_ddl_for_an_unknown_database_is_refused() -> None:
    with pytest.raises(ValueError, match="mysql"):
        ddl_statements("mysql")


def test_sqlite_here_has_the_trigram_tokenizer() -> None:
    import sqlite3

    assert sqlite3.sqlite_version_info >= (3, 34)
    assert trigram_available()
    assert any("trigram" in s for s in ddl_statements("sqlite"))
    assert not any("fts5" in s for s in ddl_statements("sqlite", trigram=False))


# ----------------------------------------------------------------------------- the database

T0 = datetime(2025, 9, 8, 1, 0, tzinfo=UTC)


def record(key: str, title: str, **fields: object) -> CourseRecord:
    return CourseRecord(
        key=key,
        title=title,
        runs=(Run(key=f"{key}-2025", start=T0),),
        url=f"https://courses.example.edu/{key}",
        **fields,  # type: ignore[arg-type]
    )


VNU = [
    record("UETx+EDU1001", "Giáo dục học đại cương", language="vi", subjects=("Giáo dục",)),
    record("UEdx+STEM01", "Giáo dục STEM trong trường phổ thông", language="vi"),
    record("UEdx+PSY2001", "Tâm lý học giáo dục", language="vi", organization="UEd"),
    record("OLDx+EDU01", "Giao duc va phat trien", language="vi"),  # a feed without accents
    record(
        "USSHx+RES01",
        "Phương pháp nghiên cứu khoa học",
        language="vi",
        short_description="Dành cho sinh viên ngành giáo dục và xã hội học.",
    ),
    record("UETx+INT1001", "Nhập môn Trí tuệ nhân tạo", language="vi", organization="UETx"),
    record("UETx+MAT1041", "Đại số tuyến tính", language="vi"),
    record("UETx+DS101", "Introduction to Data Science", language="en"),
    record("UETx+ML201", "Machine Learning Foundations", language="en-US"),
    record("UETx+CPP01", "Lập trình C++ [nâng cao]*?", language="vi"),
]
TSINGHUA = [
    record("THU08091000", "人工智能原理与应用", language="zh", subjects=("计算机", "人工智能")),
    record("THU00001", "数据结构与算法", language="zh-Hans", subjects=("计算机",)),
    record("THU00002", "教育心理学", language="zh", subjects=("教育",)),
    record("THU00003", "Introduction to Machine Learning", language="en", organization="清华大学"),
    record("THU00004", "100% 纯中文: 50_50", language="zh"),
    record("THU00005", "学习方法与学习心理", language="zh"),
]


@pytest.fixture(params=["trigram", "plain"])
def catalog(request: pytest.FixtureRequest, catalog_url: str):
    """A catalog with VNU and Tsinghua courses and the search index (with / without trigrams)."""
    engine = make_engine(catalog_url)
    schema.upgrade(engine)
    harvests.register(
        engine,
        [
            harvests.InstitutionInfo("vnu", {"vi": "ĐHQGHN"}, "VN", "Asia/Ho_Chi_Minh"),
            harvests.InstitutionInfo("tsinghua", {"zh": "清华大学"}, "CN", "Asia/Shanghai"),
        ],
        [
            harvests.FeedInfo("vnu-openedx", "vnu", "openedx", "https://courses.vnu.edu.vn"),
            harvests.FeedInfo("thu-xuetangx", "tsinghua", "xuetangx", "https://www.xuetangx.com"),
        ],
    )
    with engine.begin() as conn:
        # Migration 0006 made the default index; rebuild it as this case wants, the way a
        # migration runs statements (Alembic's op.execute wraps a string in text()).
        for statement in drop_statements(engine.dialect.name):
            conn.execute(text(statement))
        for statement in ddl_statements(engine.dialect.name, trigram=request.param == "trigram"):
            conn.execute(text(statement))
        conn.execute(text("CREATE TABLE test_offers (course_id INTEGER, audience VARCHAR(64))"))
    for feed, records in (("vnu-openedx", VNU), ("thu-xuetangx", TSINGHUA)):
        run_id = harvests.start_run(engine, feed)
        Ingestor(engine, feed, run_id).apply(
            Page(items=tuple(records), cursor=None, url="https://x/p1", number=1, last=True)
        )
    with engine.begin() as conn:
        assert refresh_index(conn) == len(VNU) + len(TSINGHUA)
    engine.mode = request.param  # type: ignore[attr-defined]
    yield engine
    engine.dispose()


OFFERS = "SELECT course_id FROM test_offers WHERE audience = :audience"


def find(engine, query: str, **filters: object) -> list[SearchHit]:
    with read_only(engine) as conn:
        return search(conn, query, offers_sql=OFFERS, **filters)  # type: ignore[arg-type]


def titles(engine, query: str, **filters: object) -> list[str]:
    return [hit.title for hit in find(engine, query, **filters)]


def course_pk(engine, key: str) -> int:
    with read_only(engine) as conn:
        return conn.execute(text("SELECT id FROM courses WHERE key = :k"), {"k": key}).scalar_one()


def test_the_index_is_where_the_mode_says(catalog) -> None:
    with read_only(catalog) as conn:
        if conn.dialect.name == "sqlite":
            assert has_fts(conn) is (catalog.mode == "trigram")
        else:
            assert not has_fts(conn)
            indexes = conn.execute(
                text("SELECT indexname FROM pg_indexes WHERE tablename = :t"), {"t": INDEX_TABLE}
            ).scalars()
            assert (f"ix_{INDEX_TABLE}_folded_trgm" in set(indexes)) is (catalog.mode == "trigram")


@pytest.mark.parametrize("query", ["giao duc", "Giao Duc", "giáo dục", "GIÁO DỤC"])
def test_vietnamese_is_found_with_or_without_diacritics(catalog, query: str) -> None:
    found = titles(catalog, query)
    assert "Giáo dục học đại cương" in found
    assert {"Giáo dục STEM trong trường phổ thông", "Tâm lý học giáo dục"} <= set(found)
    assert "Giao duc va phat trien" in found


def test_the_title_as_typed_ranks_first(catalog) -> None:
    hits = find(catalog, "Giáo dục")
    assert hits[0].title == "Giáo dục học đại cương"  # as typed, and the title starts with it
    tiers = {hit.title: hit.tier for hit in hits}
    assert tiers["Giáo dục học đại cương"] == 0
    assert tiers["Tâm lý học giáo dục"] == 0
    assert tiers["Giao duc va phat trien"] == 1  # only the folded title matches
    assert tiers["Phương pháp nghiên cứu khoa học"] == 3  # the description
    assert tiers["教育心理学"] == 3  # its subject's Vietnamese label is "Giáo dục"
    assert [hit.tier for hit in hits] == sorted(hit.tier for hit in hits)


def test_each_hit_says_how_it_matched_and_a_prefix_is_not_called_exact(catalog) -> None:
    """Tier 0 (the title holds the query as typed) is told apart: the title is the query,
    starts with it, or holds it; the ranking stays the tiers'."""
    labels = {hit.title: hit.match for hit in find(catalog, "Giáo dục")}
    assert labels["Giáo dục học đại cương"] == "title-prefix"
    assert labels["Tâm lý học giáo dục"] == "title-as-typed"
    assert labels["Giao duc va phat trien"] == "title"
    assert labels["Phương pháp nghiên cứu khoa học"] == "other"
    [exact] = find(catalog, "đại số TUYẾN  tính")
    assert (exact.title, exact.tier, exact.match) == ("Đại số tuyến tính", 0, "title-exact")
    assert find(catalog, "giao duc va")[0].match == "title-prefix"
    assert find(catalog, "tuyen tinh")[0].match == "title"
    hits = find(catalog, "hoc dai cuong giao")
    assert (hits[0].title, hits[0].match) == ("Giáo dục học đại cương", "title-words")


def test_without_diacritics_every_folded_title_match_ranks_before_other_fields(catalog) -> None:
    hits = find(catalog, "giao duc")
    assert (hits[0].title, hits[0].tier) == ("Giao duc va phat trien", 0)  # exactly as typed
    assert [h.title for h in hits[1:4]] == [
        "Giáo dục học đại cương",  # titles starting with the query, shorter first
        "Giáo dục STEM trong trường phổ thông",
        "Tâm lý học giáo dục",
    ]
    assert all(h.tier == 1 for h in hits[1:4])
    assert {h.title for h in hits[4:]} == {"Phương pháp nghiên cứu khoa học", "教育心理学"}
    assert all(h.tier == 3 for h in hits[4:])


def test_d_bar_matches_d(catalog) -> None:
    assert titles(catalog, "dai so") == ["Đại số tuyến tính"]
    assert titles(catalog, "Đại số") == ["Đại số tuyến tính"]


def test_a_chinese_substring_finds_the_longer_title(catalog) -> None:
    assert titles(catalog, "人工智能")[0] == "人工智能原理与应用"
    assert titles(catalog, "原理与应用") == ["人工智能原理与应用"]


def test_a_two_character_chinese_query_falls_back_to_like(catalog) -> None:
    assert titles(catalog, "智能") == ["人工智能原理与应用"]
    assert titles(catalog, "算法") == ["数据结构与算法"]


def test_english_words_match_in_any_order(catalog) -> None:
    found = titles(catalog, "machine learning")
    assert set(found) == {"Machine Learning Foundations", "Introduction to Machine Learning"}
    assert found[0] == "Machine Learning Foundations"  # starts with the query
    assert titles(catalog, "learning machine")[0] in found


def test_every_word_must_match(catalog) -> None:
    assert titles(catalog, "machine tuyến") == []
    assert titles(catalog, "data science") == ["Introduction to Data Science"]


def test_organisation_and_subject_labels_are_searched(catalog) -> None:
    assert titles(catalog, "清华大学") == ["Introduction to Machine Learning"]
    ict = set(titles(catalog, "信息与通信技术"))
    assert {"人工智能原理与应用", "数据结构与算法"} <= ict


def test_short_and_one_letter_queries_work(catalog) -> None:
    assert "Tâm lý học giáo dục" in titles(catalog, "ly")
    assert titles(catalog, "ai", institution="vnu") == [  # "đại" folds to "dai"
        "Đại số tuyến tính",
        "Giáo dục học đại cương",
    ]


def test_like_wildcards_and_quotes_in_the_query_are_literal(catalog) -> None:
    assert titles(catalog, "100%") == ["100% 纯中文: 50_50"]
    assert titles(catalog, "%") == ["100% 纯中文: 50_50"]
    assert titles(catalog, "0_5") == ["100% 纯中文: 50_50"]
    assert titles(catalog, "_") == ["100% 纯中文: 50_50"]
    assert titles(catalog, '"giao') == []
    assert titles(catalog, "giao OR duc") == []  # FTS5 syntax is not interpreted
    assert titles(catalog, "NEAR(giao duc)") == []


def test_glob_wildcards_and_brackets_in_the_query_are_literal(catalog) -> None:
    """``*``, ``?`` and ``[`` in a query are characters, in the trigram table and out of it."""
    cpp = ["Lập trình C++ [nâng cao]*?"]
    assert titles(catalog, "[nang") == cpp
    assert titles(catalog, "c++ [nâng cao]*?") == cpp
    assert titles(catalog, "cao]*?") == cpp
    assert titles(catalog, "gi?o") == []  # as a wildcard, ? would find every "giao"
    assert titles(catalog, "[gx]iao") == []  # as a class, [gx] would too
    assert titles(catalog, "gi*duc") == []  # as a wildcard, * would find "giao duc"


def test_every_trigram_of_a_term_is_not_enough_the_term_itself_must_be_there(catalog) -> None:
    """The trigram table has no positions: "方法与学习方法" shares all its trigrams with
    "学习方法与学习心理" without being in it, and must not find it."""
    assert titles(catalog, "方法与学习") == ["学习方法与学习心理"]
    assert titles(catalog, "方法与学习方法") == []
    assert titles(catalog, "学习心理 方法与") == ["学习方法与学习心理"]


def test_an_empty_query_finds_nothing(catalog) -> None:
    assert find(catalog, "") == []
    assert find(catalog, "   ") == []


def test_filter_by_offering_institution(catalog) -> None:
    assert titles(catalog, "machine learning", institution="tsinghua") == [
        "Introduction to Machine Learning"
    ]
    assert titles(catalog, "machine learning", institution="vnu") == [
        "Machine Learning Foundations"
    ]
    assert titles(catalog, "machine learning", institution="kit") == []


def test_filter_by_language_and_its_primary_subtag(catalog) -> None:
    assert titles(catalog, "machine learning", language="en") == titles(catalog, "machine learning")
    assert titles(catalog, "machine learning", language="en-US") == ["Machine Learning Foundations"]
    assert set(titles(catalog, "计算机", language="zh")) == {"人工智能原理与应用", "数据结构与算法"}
    assert titles(catalog, "计算机", language="ZH-hans") == ["数据结构与算法"]
    assert titles(catalog, "人工智能", language="vi") == []


def test_filter_by_audience(catalog) -> None:
    with catalog.begin() as conn:
        conn.execute(
            text("INSERT INTO test_offers VALUES (:c, 'vnu')"),
            {"c": course_pk(catalog, "THU00003")},
        )
    assert titles(catalog, "machine learning", audience="vnu") == [
        "Introduction to Machine Learning"
    ]
    assert titles(catalog, "machine learning", audience="tsinghua") == []


def test_limit(catalog) -> None:
    assert len(find(catalog, "giao duc", limit=2)) == 2
    with pytest.raises(ValueError, match="limit"):
        find(catalog, "giao duc", limit=0)


def test_a_hit_names_the_course_as_the_exports_do(catalog) -> None:
    [hit] = find(catalog, "人工智能原理")
    assert hit.id == "thu-xuetangx:THU08091000"
    assert (hit.institution, hit.feed, hit.key) == ("tsinghua", "thu-xuetangx", "THU08091000")
    assert hit.language == "zh"
    assert hit.url == "https://courses.example.edu/THU08091000"
    assert hit.course_id == course_pk(catalog, "THU08091000")


def test_withdrawn_courses_are_left_out_unless_asked_for(catalog) -> None:
    with catalog.begin() as conn:
        conn.execute(update(Course).where(Course.key == "UETx+MAT1041").values(status="withdrawn"))
    assert titles(catalog, "dai so") == []
    assert titles(catalog, "dai so", include_withdrawn=True) == ["Đại số tuyến tính"]


def test_refreshing_some_courses_follows_their_changes(catalog) -> None:
    pk = course_pk(catalog, "UETx+MAT1041")
    with catalog.begin() as conn:
        conn.execute(update(Course).where(Course.id == pk).values(title="Xác suất thống kê"))
    # Not re-indexed yet: found by its old text, shown as it is now.
    assert titles(catalog, "dai so") == ["Xác suất thống kê"]
    assert titles(catalog, "xac suat") == []
    with catalog.begin() as conn:
        assert refresh_index(conn, [pk]) == 1
    assert titles(catalog, "dai so") == []
    assert titles(catalog, "xac suat") == ["Xác suất thống kê"]


def test_refreshing_a_deleted_course_drops_it(catalog) -> None:
    pk = course_pk(catalog, "THU00002")
    with catalog.begin() as conn:
        conn.execute(text("DELETE FROM course_runs WHERE course_id = :c"), {"c": pk})
        conn.execute(text("DELETE FROM course_events WHERE course_id = :c"), {"c": pk})
        conn.execute(text(f"DELETE FROM {INDEX_TABLE} WHERE course_id = :c"), {"c": pk})
        conn.execute(text("DELETE FROM courses WHERE id = :c"), {"c": pk})
        assert refresh_index(conn, [pk, 999_999]) == 0
    assert "教育心理学" not in titles(catalog, "教育心理")


def test_a_full_refresh_twice_gives_the_same_results(catalog) -> None:
    before = find(catalog, "giao duc")
    with catalog.begin() as conn:
        refresh_index(conn)
        refresh_index(conn, None)
    assert find(catalog, "giao duc") == before


def test_the_index_stays_in_step_with_its_table(catalog) -> None:
    pk = course_pk(catalog, "UETx+MAT1041")
    with catalog.begin() as conn:
        conn.execute(update(Course).where(Course.id == pk).values(title="Xác suất thống kê"))
        refresh_index(conn, [pk])
        refresh_index(conn)
        if has_fts(conn):  # SQLite with trigrams: the FTS5 table agrees with its content table
            conn.execute(text(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('integrity-check')"))
            matched = conn.execute(
                text(f"SELECT rowid FROM {FTS_TABLE} WHERE folded GLOB :q"), {"q": "*xac suat*"}
            ).scalars()
            assert list(matched) == [pk]
        count = conn.execute(text(f"SELECT count(*) FROM {INDEX_TABLE}")).scalar_one()
        assert count == len(VNU) + len(TSINGHUA)
    assert [h.course_id for h in find(catalog, "xac suat")] == [pk]


def test_a_harvest_keeps_the_index_in_step_by_itself(engine) -> None:
    """New and changed courses reach the index (and the trigram table) with no refresh."""

    def harvest(*records: CourseRecord) -> None:
        run_id = harvests.start_run(engine, "vnu")
        Ingestor(engine, "vnu", run_id).apply(
            Page(items=records, cursor=None, url="https://x/p1", number=1, last=True)
        )

    harvest(record("A", "Giáo dục học đại cương"), record("B", "Nhập môn Trí tuệ nhân tạo"))
    harvest(record("A", "Xác suất thống kê"), record("B", "Nhập môn Trí tuệ nhân tạo"))
    with read_only(engine) as conn:
        assert [h.key for h in search(conn, "xac suat")] == ["A"]
        assert search(conn, "giao duc") == []
        assert [h.key for h in search(conn, "tri tue")] == ["B"]
        if has_fts(conn):
            conn.execute(text(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('integrity-check')"))


def test_the_index_can_be_dropped_again(catalog) -> None:
    with catalog.begin() as conn:
        for statement in drop_statements(catalog.dialect.name):
            conn.execute(text(statement))
        for statement in ddl_statements(catalog.dialect.name):  # and re-created
            conn.execute(text(statement))
        assert refresh_index(conn) == len(VNU) + len(TSINGHUA)
    assert titles(catalog, "人工智能")[0] == "人工智能原理与应用"
