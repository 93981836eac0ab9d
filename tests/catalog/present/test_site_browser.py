"""The exported site in a real browser: headless Chromium opens it from file://, as a student
double-clicking index.html would, and searches, filters, switches language and reads a course.

Uses Debian's ``chromium`` and ``chromium-driver`` (/usr/bin/chromium, /usr/bin/chromedriver);
nothing is downloaded (Selenium Manager is never asked: the driver path is given). Screenshots go
to ``test-artifacts/site/`` under the repository root. Outside CI the test is skipped when
Chromium is not installed; in CI (``CI`` set) a missing browser fails it.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from catalog.present.site import fold, write_site
from catalog.present.site.build import COURSE_SCRIPTS
from catalog.present.site.i18n import STRINGS
from tests.catalog.present.test_site import (
    INSTITUTIONS,
    PAYLOADS,
    hostile_course,
    make_course,
    read_index,
    sample_courses,
)
from tests.catalog.present.test_site_index import many_courses
from tests.support.documents import documents
from tests.support.loopback import serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "site"
HOSTILE_TITLE = '<img src=x onerror="window.__xss=1">Khoá học độc hại'

pytestmark = pytest.mark.slow


def _unavailable() -> str | None:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        return (
            f"{CHROMIUM} and {CHROMEDRIVER} are needed (apt-get install chromium chromium-driver)"
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    return None


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    now = datetime.now(UTC)
    courses = [*sample_courses(now), make_course("X+EVIL", HOSTILE_TITLE, now=now, language="vi")]
    out = tmp_path_factory.mktemp("browser") / "site"
    write_site(
        out, institutions=INSTITUTIONS, courses=documents(courses), audience="vnu", generated_at=now
    )
    return out


@pytest.fixture(scope="module")
def big_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """More courses than one page, so the first page (data/first.js) is not the whole list."""
    now = datetime.now(UTC)
    out = tmp_path_factory.mktemp("big") / "site"
    write_site(
        out,
        institutions=INSTITUTIONS,
        courses=documents(many_courses(BIG, now)),
        audience="vnu",
        generated_at=now,
    )
    return out


BIG = 130


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from _chromium(tmp_path_factory)


def _chromium(factory: pytest.TempPathFactory, page_load: str = "normal") -> Iterator[Any]:
    """Headless Chromium; ``page_load="eager"`` returns from ``get()`` at DOMContentLoaded
    instead of waiting for every script the page adds (``data/index.js``) to load."""
    reason = _unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test must run in CI: {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    options.page_load_strategy = page_load
    profile = factory.mktemp("chromium-profile")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    # A driver path in the Service means Selenium Manager is never run, so nothing is downloaded.
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(20)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def _open(browser: Any, page: Path, hash_: str = "") -> None:
    browser.get(page.as_uri() + hash_)
    _wait(browser, lambda b: b.execute_script("return document.readyState") == "complete")
    _wait(browser, lambda b: b.execute_script(READY), timeout=20)


#: The whole index has arrived (the list shows data/first.js's page until then).
READY = (
    "var list = document.getElementById('results');"
    "return !list || list.getAttribute('aria-busy') !== 'true'"
)


def _wait(browser: Any, condition: Any, timeout: float = 5) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout, poll_frequency=0.05).until(condition)


def _titles(browser: Any) -> list[str]:
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('#results h3 a')).map(a => a.textContent)"
    )


def _search(browser: Any, text: str) -> list[str]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = browser.find_element(By.ID, "q")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    box.send_keys(text)
    wanted = "q=" + browser.execute_script("return encodeURIComponent(arguments[0])", text)
    _wait(browser, lambda b: wanted in b.execute_script("return location.hash"))
    return _titles(browser)


def _shot(browser: Any, name: str) -> None:
    assert browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def _label(browser: Any) -> str:
    return browser.execute_script("return document.querySelector('label[for=q]').textContent")


def test_search_folds_vietnamese_and_ranks_exact_spelling_first(browser: Any, site: Path) -> None:
    _open(browser, site / "index.html")
    assert browser.execute_script("return document.documentElement.lang") == "vi"
    assert len(_titles(browser)) == 7
    _shot(browser, "catalog-vi")

    found = _search(browser, "giao duc")
    assert "Giáo dục học đại cương" in found
    assert "Giao duc STEM cho giao vien pho thong" in found
    found = _search(browser, "Giáo dục")
    assert found[0] == "Giáo dục học đại cương", found  # although the other one starts earlier
    assert "Giao duc STEM cho giao vien pho thong" in found
    assert "Giáo dục học đại cương" in _search(browser, "GIAO DUC HOC")
    _shot(browser, "catalog-search-giao-duc")
    assert _search(browser, "đại cương") == _search(browser, "dai cuong")


def test_chinese_substring_and_english_words(browser: Any, site: Path) -> None:
    _open(browser, site / "index.html")
    assert _search(browser, "人工智能") == ["人工智能原理与应用"]
    assert _search(browser, "古代") == ["中国古代文学"]
    assert _search(browser, "algorithms") == ["Data Structures and Algorithms"]
    assert _search(browser, "graphs trees") == ["Data Structures and Algorithms"]  # short text
    assert _search(browser, "social good") == ["Machine Learning for Social Good"]
    badges = browser.execute_script(
        "return Array.from(document.querySelectorAll('#results .badge')).map(b => b.textContent)"
    )
    assert STRINGS["vi"]["withdrawn"] in badges


def test_keyboard_alone_reaches_a_course(browser: Any, site: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    _open(browser, site / "index.html")
    _search(browser, "人工智能")
    for _ in range(30):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        if browser.execute_script("return document.activeElement.closest('#results') !== null"):
            break
    else:
        pytest.fail("the first result cannot be reached with Tab")
    outline = browser.execute_script("return getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focus is visible"
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    _wait(browser, lambda b: "/courses/" in b.current_url)


def test_filters_narrow_the_list_and_live_in_the_hash(browser: Any, site: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open(browser, site / "index.html")
    everything = _titles(browser)
    Select(browser.find_element(By.ID, "f-lang")).select_by_value("zh")
    _wait(browser, lambda b: "lang=zh" in b.execute_script("return location.hash"))
    assert sorted(_titles(browser)) == ["中国古代文学", "人工智能原理与应用"]
    assert len(_titles(browser)) < len(everything)
    browser.find_element(By.ID, "f-cert").click()
    _wait(browser, lambda b: _titles(b) == ["人工智能原理与应用"])
    browser.find_element(By.ID, "reset").click()
    _wait(browser, lambda b: len(_titles(b)) == len(everything))
    browser.find_element(By.ID, "f-open").click()
    _wait(browser, lambda b: "open=1" in b.execute_script("return location.hash"))
    assert "Data Structures and Algorithms" not in _titles(browser)  # its window opens later
    assert "人工智能原理与应用" in _titles(browser)


def test_language_switch_changes_the_interface(browser: Any, site: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, site / "index.html")
    assert _label(browser) == STRINGS["vi"]["search_label"]
    browser.find_element(By.CSS_SELECTOR, '[data-ui-choice="zh"]').click()
    _wait(browser, lambda b: _label(b) == STRINGS["zh"]["search_label"])
    assert browser.execute_script("return document.documentElement.lang") == "zh"
    assert "ui=zh" in browser.execute_script("return location.hash")
    _search(browser, "人工智能")
    _shot(browser, "catalog-zh-search")
    browser.find_element(By.CSS_SELECTOR, '[data-ui-choice="en"]').click()
    _wait(browser, lambda b: _label(b) == STRINGS["en"]["search_label"])
    institution = browser.execute_script(
        "return document.querySelector('#results .meta').textContent"
    )
    assert institution.startswith("Tsinghua University")


def test_the_hash_restores_a_shared_search_after_reload(browser: Any, site: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, site / "index.html", "#q=giao%20duc&lang=vi&sort=start&ui=en")
    browser.refresh()
    _wait(browser, lambda b: b.execute_script("return document.readyState") == "complete")
    assert browser.find_element(By.ID, "q").get_attribute("value") == "giao duc"
    assert browser.find_element(By.ID, "f-lang").get_attribute("value") == "vi"
    assert browser.find_element(By.ID, "sort").get_attribute("value") == "start"
    assert _label(browser) == STRINGS["en"]["search_label"]
    # sorted by start date: the STEM course starts first
    assert _titles(browser) == [
        "Giao duc STEM cho giao vien pho thong",
        "Giáo dục học đại cương",
    ]


def test_course_page_shows_its_offer_and_json_ld(browser: Any, site: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, site / "index.html", "#ui=zh")
    _search(browser, "人工智能")
    browser.find_element(By.CSS_SELECTOR, "#results h3 a").click()
    _wait(browser, lambda b: "/courses/" in b.current_url)
    _wait(browser, lambda b: b.execute_script("return document.documentElement.lang") == "zh")
    text = browser.execute_script(
        "return document.querySelector('script[type=\"application/ld+json\"]').textContent"
    )
    data = json.loads(text)
    assert data["@type"] == "Course" and data["name"] == "人工智能原理与应用"
    assert data["hasCourseInstance"][0]["@type"] == "CourseInstance"
    assert browser.find_element(By.TAG_NAME, "h1").text == "人工智能原理与应用"
    state = browser.find_element(By.CSS_SELECTOR, "[data-open-state]").text
    assert state == STRINGS["zh"]["open_now"]
    assert "UTC+08:00" in browser.find_element(By.CSS_SELECTOR, ".offer").text
    _shot(browser, "course-zh")
    browser.find_element(By.CSS_SELECTOR, '[data-ui-choice="vi"]').click()
    _wait(browser, lambda b: b.find_element(By.ID, "offers-h").text == STRINGS["vi"]["offers"])
    back = browser.find_element(By.CSS_SELECTOR, "[data-back]").get_attribute("href")
    assert "q=%E4%BA%BA" in back and back.endswith("ui=vi")  # back to the same search


def test_hostile_title_is_shown_as_text_not_run(browser: Any, site: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, site / "index.html")
    assert _search(browser, "doc hai") == [HOSTILE_TITLE]
    browser.find_element(By.CSS_SELECTOR, "#results h3 a").click()
    _wait(browser, lambda b: "/courses/" in b.current_url)
    assert browser.find_element(By.TAG_NAME, "h1").text == HOSTILE_TITLE
    assert browser.execute_script("return window.__xss") is None


def test_javascript_fold_matches_python(browser: Any, site: Path) -> None:
    _open(browser, site / "index.html")
    samples = [
        "Giáo dục học đại cương",
        "ĐẠI HỌC QUỐC GIA",
        "Nhập môn Trí tuệ nhân tạo",
        "人工智能原理与应用",
        "Ｆｕｌｌ　ｗｉｄｔｈ",
        "İstanbul ΟΔΟΣ Straße",
        " tab\tand\u00a0nbsp\u2028 ",
        "が ﬁ ①",
    ]
    folded = browser.execute_script("return arguments[0].map(window.moocxFold)", samples)
    assert folded == [fold(s) for s in samples]


def test_usable_on_a_phone(browser: Any, site: Path) -> None:
    browser.set_window_size(390, 844)
    try:
        _open(browser, site / "index.html")
        _search(browser, "giáo dục")
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, "no sideways scrolling on a phone"
        _shot(browser, "catalog-phone")
    finally:
        browser.set_window_size(1280, 900)


def test_no_payload_runs_in_the_list_or_on_its_page(
    browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Every fixture of tests/fixtures/html_xss in every field: nothing executes (an alert()
    would leave a dialog open and fail the next command), nothing but text reaches the list."""
    courses = [hostile_course(p.read_text(encoding="utf-8")) for p in PAYLOADS]
    out = tmp_path_factory.mktemp("hostile") / "site"
    write_site(
        out,
        institutions=INSTITUTIONS,
        courses=documents(courses),
        audience="vnu",
        generated_at=datetime.now(UTC),
    )
    _open(browser, out / "index.html")
    assert len(_titles(browser)) == len(PAYLOADS)
    tags = browser.execute_script(
        "return Array.from(new Set(Array.from("
        "document.querySelectorAll('#results *')).map(e => e.tagName)))"
    )
    assert set(tags) <= {"LI", "H3", "A", "P", "UL"}, tags
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('#results h3 a')).map(a => a.href)"
    )
    for link in links:
        browser.get(link)
        # Chromium 150 can return from get() while a file:// page is still parsing.
        _wait(browser, lambda b: b.execute_script("return document.readyState") == "complete")
        scripts = browser.execute_script("return document.querySelectorAll('script').length")
        assert scripts == 2 + len(COURSE_SCRIPTS)  # the JSON-LD, data/i18n.js and ours
        assert browser.execute_script("return window.__xss") is None


def _more(browser: Any) -> None:
    from selenium.webdriver.common.by import By

    shown = len(_titles(browser))
    browser.find_element(By.ID, "more").click()
    _wait(browser, lambda b: len(_titles(b)) > shown)


def test_the_first_page_comes_first_and_the_rest_follows(browser: Any, big_site: Path) -> None:
    from selenium.webdriver.common.by import By

    index = read_index(big_site)
    in_order = [index["courses"][i]["title"] for i in index["order"]]
    _open(browser, big_site / "index.html")
    assert _titles(browser) == in_order[:50]
    assert str(BIG) in browser.find_element(By.ID, "count").text
    _more(browser)
    assert _titles(browser) == in_order[:100]
    _more(browser)
    assert _titles(browser) == in_order
    assert not browser.find_element(By.ID, "more").is_displayed()


def test_the_shipped_order_is_javascripts_own_sort(browser: Any, big_site: Path) -> None:
    """The order index.py computes is the one the page used to sort at load, in JavaScript:
    the same comparator, JavaScript's fold and string comparison (UTF-16 code units)."""
    _open(browser, big_site / "index.html")
    ours, theirs, folds = browser.execute_script(
        """
        var X = window.MOOCX_INDEX, t = X.tables;
        var folded = X.title.map(window.moocxFold), order = [];
        for (var i = 0; i < X.n; i++) order.push(i);
        function gone(i) { return X.flags[i] & 4 ? 1 : 0; }
        function start(i) { return X.start[i] >= 0 ? t.start[X.start[i]] : ""; }
        order.sort(function (a, b) {
          var sa = start(a), sb = start(b);
          return gone(a) - gone(b) || (sa ? 0 : 1) - (sb ? 0 : 1) ||
            (sa < sb ? -1 : sa > sb ? 1 : 0) ||
            (folded[a] < folded[b] ? -1 : folded[a] > folded[b] ? 1 : 0);
        });
        var same = folded.every(function (f, i) { return X.hay[i].split("\\n")[0] === f; });
        return [X.order, order, same];
        """
    )
    assert ours == theirs
    assert folds, "hay starts with the title as the page folds it"


def test_a_search_in_the_hash_is_answered_once_the_index_is_in(
    browser: Any, big_site: Path
) -> None:
    index = read_index(big_site)
    tables = index["tables"]
    vi = tables["language"].index("vi")
    wanted = sorted(
        c["title"]
        for c in index["courses"]
        if c["language"] == vi and "nang cao" in c["hay"].split("\n")[0]
    )
    assert 0 < len(wanted) < 50
    _open(browser, big_site / "index.html", "#q=nang%20cao&lang=vi&ui=vi")
    assert sorted(_titles(browser)) == wanted
    _open(browser, big_site / "index.html", "#q=%E5%8E%9F%E7%90%86")  # 原理
    assert set(_titles(browser)) == {"人工智能原理与应用", "人工智能原理与应用 nâng cao"}
    first_start = tables["start"][0]
    _open(browser, big_site / "index.html", "#month=" + first_start[:7] + "&sort=title")
    month = tables["month"].index(first_start[:7])
    sets = [tables["months"][c["months"]] for c in index["courses"] if c["months"] >= 0]
    expected = [months for months in sets if month in months]
    assert len(_titles(browser)) == min(50, len(expected))


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(None, id="missing"),
        pytest.param('window.MOOCX_INDEX = {"v": 2, "n": 130, "slug": ["a"', id="truncated"),
    ],
)
def test_without_its_index_the_page_shows_the_first_page_and_says_what_does_not_work(
    browser: Any, big_site: Path, tmp_path: Path, broken: str | None
) -> None:
    """Without a usable data/index.js (lost, or cut short in a copy) the first page is still
    shown whole, "show more" is gone, and the status line says that search and filters do not
    work — in the interface's language, and still after a search is typed."""
    import shutil

    from selenium.webdriver.common.by import By

    copy = tmp_path / "site"
    shutil.copytree(big_site, copy)
    if broken is None:
        (copy / "data" / "index.js").unlink()
    else:
        (copy / "data" / "index.js").write_text(broken, encoding="utf-8")
    index = read_index(big_site)
    first = [index["courses"][i]["title"] for i in index["order"][:50]]

    def status() -> str:
        return browser.find_element(By.ID, "count").text

    _open(browser, copy / "index.html", "#ui=en")
    assert _titles(browser) == first
    assert status() == STRINGS["en"]["index_failed"].format(shown=50, n=BIG)
    assert not browser.find_element(By.ID, "more").is_displayed()
    assert browser.find_element(By.ID, "results").get_attribute("aria-busy") == "false"

    _search(browser, "nang cao")  # nothing to search in: the page says so, the list stays
    assert status() == STRINGS["en"]["index_failed"].format(shown=50, n=BIG)
    assert _titles(browser) == first
    browser.find_element(By.CSS_SELECTOR, '[data-ui-choice="zh"]').click()
    _wait(browser, lambda b: _label(b) == STRINGS["zh"]["search_label"])
    assert status() == STRINGS["zh"]["index_failed"].format(shown=50, n=BIG)


@pytest.fixture
def eager_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from _chromium(tmp_path_factory, page_load="eager")


@contextmanager
def _held_index(site: Path) -> Iterator[tuple[str, threading.Event]]:
    """``site`` served on 127.0.0.1, its ``data/index.js`` held back until the event is set:
    the window in which a student on a slow disk or link acts before the index is in
    (``file://`` cannot be slowed down)."""
    release = threading.Event()

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(site), **kwargs)

        def do_GET(self) -> None:
            if self.path.split("?")[0] == "/data/index.js":
                release.wait(30)
            super().do_GET()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    with serving(Handler) as base:
        try:
            yield base + "/index.html", release
        finally:
            release.set()  # before the server stops: no handler left waiting


def test_a_search_typed_while_the_index_loads_says_so_and_is_answered_when_it_arrives(
    eager_browser: Any, big_site: Path
) -> None:
    """While data/index.js is still on its way the first page is on screen; a search typed then
    shows "Loading the course list…" (and the list stays busy) rather than an answer from the
    first page alone, and is answered from the whole index as soon as it arrives."""
    from selenium.webdriver.common.by import By

    browser = eager_browser
    index = read_index(big_site)
    first = [index["courses"][i]["title"] for i in index["order"][:50]]
    wanted = sorted(c["title"] for c in index["courses"] if "nang cao" in c["hay"])
    assert BIG > 50 and 0 < len(wanted) < 50
    with _held_index(big_site) as (url, release):
        browser.get(url + "#ui=en")
        _wait(browser, lambda b: _titles(b) == first)
        results = browser.find_element(By.ID, "results")
        assert results.get_attribute("aria-busy") == "true"

        _search(browser, "nang cao")
        count = browser.find_element(By.ID, "count")
        assert count.text == STRINGS["en"]["loading"]
        assert results.get_attribute("aria-busy") == "true"

        release.set()
        _wait(browser, lambda b: results.get_attribute("aria-busy") == "false", timeout=20)
        _wait(browser, lambda b: sorted(_titles(b)) == wanted)
        assert count.text != STRINGS["en"]["loading"]


# ---------------------------------------------------------------- runless offers, one card a term


@pytest.fixture(scope="module")
def partner_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The VNU site of a catalog synced by ``moocx sync`` from an OAI-PMH repository (courses
    without runs) and an Open edX LMS (one course, three runs in one term), exported by
    ``moocx export``; see test_site_runless.py."""
    from tests.catalog.present.test_site_runless import export_site, synced
    from tests.support.logs import logging_kept

    work = tmp_path_factory.mktemp("partner")
    with logging_kept():
        config = synced(work, f"sqlite:///{work / 'catalog.db'}")
        return export_site(config, work / "site")


def _text(browser: Any, selector: str) -> str:
    return browser.execute_script(
        "var n = document.querySelector(arguments[0]); return n ? n.textContent : null", selector
    )


def test_search_finds_a_course_without_runs_and_its_page_says_so(
    browser: Any, partner_site: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from tests.catalog.present.test_site_runless import TERM

    _open(browser, partner_site / "index.html")
    assert _search(browser, "vat ly") == ["Vật lý đại cương"]
    assert STRINGS["vi"]["whole_course"] in _text(browser, "#results .when")
    _search(browser, "dai cuong")
    Select(browser.find_element(By.ID, "f-term")).select_by_value(TERM)
    browser.find_element(By.ID, "f-open").click()
    _wait(browser, lambda b: "open=1" in b.execute_script("return location.hash"))
    assert sorted(_titles(browser)) == ["Pháp luật đại cương", "Vật lý đại cương"]
    _shot(browser, "catalog-runless")
    browser.find_element(By.ID, "reset").click()
    assert _search(browser, "vat ly") == ["Vật lý đại cương"]
    browser.find_element(By.CSS_SELECTOR, "#results h3 a").click()
    _wait(browser, lambda b: "/courses/" in b.current_url)
    _wait(browser, lambda b: b.execute_script("return document.readyState") == "complete")
    assert (
        browser.find_element(By.CSS_SELECTOR, ".offer .whole-course").text
        == (STRINGS["vi"]["whole_course"])
    )
    browser.find_element(By.CSS_SELECTOR, '[data-ui-choice="zh"]').click()
    _wait(browser, lambda b: _text(b, ".whole-course") == STRINGS["zh"]["whole_course"])
    _shot(browser, "course-runless-zh")


def test_a_terms_runs_are_one_card_and_its_notes_follow_the_interface_language(
    browser: Any, partner_site: Path
) -> None:
    from selenium.webdriver.common.by import By

    from tests.catalog.present.test_site import course_page
    from tests.catalog.present.test_site_runless import AI_ID, NOTES

    _open(browser, course_page(partner_site, AI_ID))
    assert browser.execute_script("return document.querySelectorAll('.offer').length") == 1
    runs = browser.execute_script(
        "return Array.from(document.querySelectorAll('.offer .offered-runs li code'))"
        ".map(c => c.textContent)"
    )
    assert runs == [f"course-v1:TsinghuaX+AI3001+T{n}" for n in (1, 2, 0)]
    assert _text(browser, ".offer .notes") == NOTES["vi"]
    _shot(browser, "course-one-card-vi")
    for ui in ("zh", "en", "vi"):
        browser.find_element(By.CSS_SELECTOR, f'[data-ui-choice="{ui}"]').click()
        _wait(browser, lambda b, ui=ui: _text(b, ".offer .notes") == NOTES[ui])
    browser.refresh()  # the language is in the hash: the notes follow it on a reload
    _wait(browser, lambda b: b.execute_script("return document.readyState") == "complete")
    assert _text(browser, ".offer .notes") == NOTES["vi"]


def test_times_on_the_page_are_in_the_audiences_zone(
    browser: Any, partner_site: Path, tmp_path: Path
) -> None:
    """The partner catalog's documents, with the institutions' zones as the documents give them
    (test_site_runless.py has the CLI's own)."""
    from catalog.present.documents import course_documents, institutions
    from catalog.store.db import make_engine, read_only
    from tests.catalog.present.test_site import course_page
    from tests.catalog.present.test_site_runless import AI_ID

    engine = make_engine(f"sqlite:///{partner_site.parent / 'catalog.db'}")
    try:
        with read_only(engine) as conn:
            known = institutions(conn)
            docs = list(course_documents(conn, audience="vnu", include_withdrawn=False))
    finally:
        engine.dispose()
    out = tmp_path / "site"
    now = datetime.now(UTC)
    write_site(out, institutions=known, courses=documents(docs), audience="vnu", generated_at=now)
    _open(browser, course_page(out, AI_ID))
    card = _text(browser, ".offer")
    runs = _text(browser, "section[aria-labelledby=runs-h] table")
    assert "UTC+07:00" in card and "UTC+07:00" in runs
    for shown in (card, runs, _text(browser, "footer")):
        assert "UTC+08:00" not in shown and not re.search(r"UTC(?![+-])", shown), shown
    _shot(browser, "course-times-hanoi")


def test_an_empty_site_says_there_are_no_courses_yet(
    browser: Any, site: Path, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    empty = tmp_path / "empty"
    write_site(
        empty,
        institutions=INSTITUTIONS,
        courses=documents([]),
        audience="vnu",
        generated_at=datetime.now(UTC),
    )
    _open(browser, empty / "index.html")

    def status(b: Any) -> str:
        return b.find_element(By.ID, "count").text

    assert status(browser) == STRINGS["vi"]["empty"]
    browser.find_element(By.CSS_SELECTOR, '[data-ui-choice="zh"]').click()
    _wait(browser, lambda b: status(b) == STRINGS["zh"]["empty"])
    _search(browser, "vat ly")
    assert status(browser) == STRINGS["zh"]["empty"], "nothing to find, not a filter to remove"
    _shot(browser, "catalog-empty-zh")
    _open(browser, site / "index.html", "#ui=en")
    _search(browser, "khong co khoa hoc nay")
    assert status(browser) == STRINGS["en"]["none"]
