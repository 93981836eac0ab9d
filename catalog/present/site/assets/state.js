/*
 * The state of the page (query, filters, order, interface language), kept in the URL hash
 * (#q=giao%20duc&lang=vi&sort=start&ui=vi) so a search can be shared and survives a reload.
 * The last search is remembered for the session, so a course page's "back" link returns to it.
 */
(function (M) {
  "use strict";

  M.lastHash = null;  // the hash this page wrote last (its own hashchange is not a navigation)

  M.defaultUi = function defaultUi() {
    var ui = document.documentElement.getAttribute("data-default-ui");
    return M.I18N.strings[ui] ? ui : "en";
  };

  M.blankState = function blankState() {
    var s = { q: "", sort: "", ui: M.defaultUi() };
    M.FILTERS.forEach(function (k) { s[k] = ""; });
    M.FLAGS.forEach(function (k) { s[k] = false; });
    return s;
  };

  M.state = M.blankState();

  M.readHash = function readHash() {
    var s = M.blankState();
    var raw = location.hash.replace(/^#/, "");
    if (raw.indexOf("=") < 0) return s;
    raw.split("&").forEach(function (pair) {
      var at = pair.indexOf("=");
      if (at < 0) return;
      var key, value;
      try {
        key = decodeURIComponent(pair.slice(0, at).replace(/\+/g, " "));
        value = decodeURIComponent(pair.slice(at + 1).replace(/\+/g, " "));
      } catch (e) {
        return;
      }
      if (key === "q") s.q = value;
      else if (key === "ui" && M.I18N.strings[value]) s.ui = value;
      else if (key === "sort" && M.SORTS.indexOf(value) >= 0) s.sort = value;
      else if (M.FILTERS.indexOf(key) >= 0) s[key] = value;
      else if (M.FLAGS.indexOf(key) >= 0) s[key] = value === "1";
    });
    return s;
  };

  M.hashOf = function hashOf(s, withSearch) {
    var parts = [];
    function add(key, value) { parts.push(key + "=" + encodeURIComponent(value)); }
    if (withSearch) {
      if (s.q) add("q", s.q);
      M.FILTERS.forEach(function (k) { if (s[k]) add(k, s[k]); });
      M.FLAGS.forEach(function (k) { if (s[k]) add(k, "1"); });
      if (s.sort) add("sort", s.sort);
    }
    add("ui", s.ui);
    return "#" + parts.join("&");
  };

  M.writeHash = function writeHash(withSearch) {
    var hash = M.hashOf(M.state, withSearch);
    M.lastHash = hash;
    if (withSearch) M.remember("moocx.search", hash);
    if (location.hash === hash) return;
    try {
      history.replaceState(null, "", hash);
    } catch (e) {
      location.replace(hash);
    }
  };

  M.remember = function remember(key, value) {
    try { window.sessionStorage.setItem(key, value); } catch (e) { /* storage off: fine */ }
  };

  M.recall = function recall(key) {
    try { return window.sessionStorage.getItem(key); } catch (e) { return null; }
  };

  /* the filters or flags or order are not the default ones */
  M.isFiltered = function isFiltered() {
    var s = M.state;
    return M.FILTERS.some(function (k) { return s[k]; }) || M.FLAGS.some(function (k) { return s[k]; });
  };
})(window.moocx = window.moocx || {});
