"""The course page's new facts and run columns follow the page's language switch, in headless
Chromium (skipped outside CI without it, like test_site_browser.py): a price keeps its amount and
currency and says how often it is paid in the language chosen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from catalog.present.site import write_site
from catalog.present.site.i18n import STRINGS
from catalog.present.site.safety import page_slug
from tests.catalog.present.test_site import INSTITUTIONS, make_course
from tests.catalog.present.test_site_browser import _open, _wait, browser  # noqa: F401
from tests.support.documents import documents

pytestmark = pytest.mark.slow


def _priced_course(now: datetime) -> dict[str, Any]:
    course = make_course("TsinghuaX+DS3001", "数据科学导论", now=now, language="zh")
    course.update(mode="blended", credits=2.0, expires=(now + timedelta(days=400)).isoformat())
    course["runs"][0].update(
        url="https://courses.example.edu/ds3001/run",
        availability="upcoming",
        price="9.99",
        currency="EUR",
        payment_frequency="monthly",
    )
    return course


def _cell(browser: Any, selector: str) -> str:  # noqa: F811
    return browser.execute_script(f"return document.querySelector({selector!r}).textContent")


def test_the_language_switch_translates_the_new_facts_and_the_price(
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By

    now = datetime.now(UTC)
    course = _priced_course(now)
    out = tmp_path / "site"
    write_site(
        out,
        institutions=INSTITUTIONS,
        courses=documents([course]),
        audience="vnu",
        generated_at=now,
    )
    _open(browser, out / "courses" / f"{page_slug(course['id'])}.html")
    price = "tbody td:last-child span"
    assert _cell(browser, price) == "9.99 EUR/tháng"
    for lang in ("zh", "en", "vi"):
        strings = STRINGS[lang]
        browser.find_element(By.CSS_SELECTOR, f'[data-ui-choice="{lang}"]').click()
        _wait(browser, lambda b, s=strings: _cell(b, '[data-i18n="run_price"]') == s["run_price"])
        assert _cell(browser, price) == strings["price_monthly"].replace("{price}", "9.99 EUR")
        assert _cell(browser, '[data-i18n="mode.blended"]') == strings["mode.blended"]
        assert _cell(browser, '[data-i18n="f_expires"]') == strings["f_expires"]
        assert (
            _cell(browser, '[data-i18n="availability.upcoming"]')
            == (strings["availability.upcoming"])
        )
        assert _cell(browser, "a.run-link") == strings["run_link"]
