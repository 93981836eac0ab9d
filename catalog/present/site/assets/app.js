/*
 * mooc-exchange catalog site: starts the page, the catalog (search, filters, results) or a
 * course page (its application states, the language switch). Loaded last: core.js and the
 * others have put their parts on window.moocx.
 */
(function (M) {
  "use strict";

  function onLanguage(then) {
    M.each("[data-ui-choice]", function (button) {
      button.addEventListener("click", function () {
        M.state.ui = button.getAttribute("data-ui-choice");
        M.applyStrings();
        then();
      });
    });
  }

  /* a course page: each application window's state from the student's clock */
  function setupCoursePage() {
    var now = M.nowSeconds();
    M.each("[data-open-state]", function (node) {
      function num(name) {
        var v = node.getAttribute(name);
        return v === "" || v == null ? null : Number(v);
      }
      var key = M.windowState(num("data-start"), num("data-end"), node.getAttribute("data-open") === "1", now);
      node.setAttribute("data-i18n", key);
      node.className = "badge state-" + key;
    });
    M.state.ui = M.readHash().ui;
    M.applyStrings();
    onLanguage(function () { M.writeHash(false); });
    window.addEventListener("hashchange", function () {
      if (location.hash === M.lastHash) return;
      M.state.ui = M.readHash().ui;
      M.applyStrings();
    });
  }

  function setupCatalog() {
    M.openData();
    M.openScreen();
    M.bindControls();
    onLanguage(function () {
      M.fillSelects();
      M.update();
    });
    window.addEventListener("hashchange", function () {
      if (location.hash === M.lastHash) return;
      M.state = M.readHash();
      M.applyStrings();
      M.fillSelects();
      M.syncControls();
      M.render();
    });

    M.state = M.readHash();
    M.applyStrings();
    M.fillSelects();
    M.syncControls();
    if (M.isFiltered() || M.state.sort || window.matchMedia("(min-width: 60rem)").matches) {
      document.getElementById("filters").open = true;
    }
    document.getElementById("needs-js").hidden = true;
    M.render();  // the first page from data/first.js, or "loading" until the index is in
    M.loadIndex();
    if (M.state.q) M.remember("moocx.search", M.hashOf(M.state, true));
  }

  function start() {
    M.each("a.skip", function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        document.getElementById("main").focus();
      });
    });
    var page = document.body.getAttribute("data-page");
    if (page === "catalog" && document.getElementById("results")) setupCatalog();
    else if (page === "course") setupCoursePage();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})(window.moocx = window.moocx || {});
