"""The exported site in headless Chromium: time to first results, and search in the page.

``python -m bench.site_browser SITE_DIR [--loads 3]`` opens ``SITE_DIR/index.html`` from
``file://`` as a student's double-click does, with Debian's ``/usr/bin/chromium`` and
``/usr/bin/chromedriver`` driven by Selenium (nothing downloaded; the driver path is given). It
prints one JSON line:

* ``first_results_ms``: from navigation start to the first result title in the DOM (a
  ``MutationObserver`` installed before any page script records ``performance.now()``); the
  median over ``--loads`` fresh navigations, with DOMContentLoaded and load for comparison;
* ``index_ready_ms``: from navigation start until the whole index is searchable — the list is
  no longer ``aria-busy`` (the page shows its first page from ``data/first.js`` and then loads
  ``data/index.js``); the same as first results for a page without that attribute;
* ``search_ms``: each query of :data:`bench.search_latency.QUERIES` typed into the search box
  and submitted with Enter (the debounce of typing left out), timed in the page from the key to
  the rendered first page of results, once the index is ready: median and p95.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.measure import median, percentile
from bench.search_latency import QUERIES

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

OBSERVER = """
window.__firstResults = null;
window.__indexReady = null;
new MutationObserver(function (records, observer) {
  var list = document.getElementById('results');
  if (window.__firstResults === null && document.querySelector('#results h3 a')) {
    window.__firstResults = performance.now();
  }
  if (window.__firstResults !== null && window.__indexReady === null &&
      list.getAttribute('aria-busy') !== 'true') {
    window.__indexReady = performance.now();
  }
  if (window.__indexReady !== null) observer.disconnect();
}).observe(document, {childList: true, subtree: true, attributes: true,
                      attributeFilter: ['aria-busy']});
"""
SEARCH = """
var input = document.getElementById('q');
var started = performance.now();
input.value = arguments[0];
input.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));
return [performance.now() - started, document.querySelectorAll('#results h3 a').length];
"""


def unavailable() -> str | None:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        return (
            f"{CHROMIUM} and {CHROMEDRIVER} are needed (apt-get install chromium chromium-driver)"
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


def driver(profile: Path) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    browser.set_page_load_timeout(120)
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVER})
    return browser


def measure_site(site: Path, loads: int) -> dict[str, Any]:
    from selenium.webdriver.support.ui import WebDriverWait

    page = (site / "index.html").resolve().as_uri()
    first, indexed, ready, loaded, searches = [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="moocx-bench-chromium-") as profile:
        browser = driver(Path(profile))
        try:
            for _ in range(loads):
                browser.get("about:blank")
                browser.get(page)
                WebDriverWait(browser, 120, poll_frequency=0.02).until(
                    lambda b: b.execute_script("return window.__indexReady") is not None
                )
                timing = browser.execute_script(
                    "var n = performance.getEntriesByType('navigation')[0];"
                    "return [window.__firstResults, window.__indexReady,"
                    " n.domContentLoadedEventEnd, n.loadEventEnd];"
                )
                first.append(timing[0])
                indexed.append(timing[1])
                ready.append(timing[2])
                loaded.append(timing[3])
            results = []
            for _, query in QUERIES:
                elapsed, hits = browser.execute_script(SEARCH, query)
                searches.append(elapsed)
                results.append({"query": query, "ms": elapsed, "shown": hits})
        finally:
            browser.quit()
    return {
        "first_results_ms": median(first),
        "index_ready_ms": median(indexed),
        "dom_content_loaded_ms": median(ready),
        "load_ms": median(loaded),
        "loads": loads,
        "search_median_ms": median(searches),
        "search_p95_ms": percentile(searches, 95),
        "queries": results,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--loads", type=int, default=3)
    args = parser.parse_args(argv)
    reason = unavailable()
    if reason:
        print(json.dumps({"available": False, "reason": reason}), flush=True)
        return 0
    result = measure_site(args.site, args.loads)
    print(json.dumps({"available": True} | result, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
