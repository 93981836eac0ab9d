/*
 * Loading the whole index: data/index.js is added once data/first.js's page is on screen (a
 * <script>, since pages opened from file:// may not fetch). A query, a filter, another order
 * or "show more" waits for it; the list is aria-busy until then.
 */
(function (M) {
  "use strict";

  function arrived(index) {
    var S = M.screen, D = M.data;
    D.full = M.prepare(index);
    S.list.setAttribute("aria-busy", "false");
    if (S.early && !S.waiting) {  // the same list: keep the cards on screen, go on from them
      S.early = false;
      D.view = D.full;
      S.results = D.full.order;
      S.total = S.results.length;
      M.showCount();
      if (S.moreWanted) M.showMore(true);
    } else {
      M.render();
    }
    S.waiting = S.moreWanted = false;
  }

  M.failedText = function failedText() {
    var S = M.screen, tr = M.tr;
    return S.shown ? tr("index_failed", { shown: S.shown, n: S.total }) : tr("index_missing");
  };

  /* data/index.js is missing, or broken (a truncated copy runs without defining the index):
     the first page stays, "show more" goes, and the status line says what does not work */
  function unavailable() {
    var S = M.screen;
    S.failed = true;
    S.list.setAttribute("aria-busy", "false");
    S.more.hidden = true;
    S.count.textContent = M.failedText();
  }

  M.loadIndex = function loadIndex() {
    var list = M.screen.list;
    if (window.MOOCX_INDEX) return arrived(window.MOOCX_INDEX);
    list.setAttribute("aria-busy", "true");
    var script = document.createElement("script");
    script.onload = function () {
      if (window.MOOCX_INDEX) arrived(window.MOOCX_INDEX);
      else unavailable();
    };
    script.onerror = unavailable;
    script.src = list.getAttribute("data-index-src") || "data/index.js";
    document.body.appendChild(script);
  };
})(window.moocx = window.moocx || {});
