/*
 * mooc-exchange catalog site: what every other script shares, on one namespace (window.moocx).
 *
 * The site opens from file://, so there is no module loader and nothing is fetched: the scripts
 * are plain files loaded in order by <script src> (core, state, strings, search, results,
 * loading, filters, app) and each adds its functions to window.moocx. The data arrives the
 * same way, as window.MOOCX_FIRST (data/first.js), window.MOOCX_INDEX (data/index.js, added by
 * loading.js; catalog page only) and window.MOOCX_I18N (data/i18n.js).
 * Course text is only ever set with textContent, never parsed as HTML.
 */
(function (M) {
  "use strict";

  M.I18N = window.MOOCX_I18N || { languages: ["en"], endonyms: {}, strings: { en: {} } };
  M.PAGE = 50;  // results put in the page at a time (catalog/present/site/index_columns.py FIRST_PAGE)
  M.DEBOUNCE_MS = 150;
  M.FILTERS = ["inst", "lang", "subj", "level", "pacing", "term", "month"];
  M.FLAGS = ["open", "free", "cert"];
  M.SORTS = ["", "start", "title"];
  M.FREE = 1; M.CERTIFICATE = 2; M.WITHDRAWN = 4; M.WHOLE_COURSE = 8;
  M.NONE = [];

  /* ---- folding: must match catalog/derive/fold.py character for character ---- */
  var WS = /[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+/g;
  var MARKS;
  try {
    MARKS = new RegExp("\\p{M}", "gu");
  } catch (e) {
    MARKS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g;
  }

  M.fold = function fold(text) {
    if (!text) return "";
    return String(text).toLowerCase().normalize("NFKD").replace(MARKS, "")
      .replace(/đ/g, "d").replace(WS, " ").replace(/^ +| +$/g, "");
  };
  window.moocxFold = M.fold;

  /* a text as typed, for an exact match: lower case, composed, spaces collapsed */
  M.exact = function exact(text) {
    return String(text || "").toLowerCase().normalize("NFC").replace(WS, " ").replace(/^ +| +$/g, "");
  };

  /* ---- the page ---- */
  M.each = function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  };

  M.el = function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  };

  /* ---- application windows: recomputed from the student's clock ---- */
  M.nowSeconds = function nowSeconds() { return Date.now() / 1000; };

  M.windowState = function windowState(start, end, openAtBuild, now) {
    if (start == null && end == null) return openAtBuild ? "open_now" : "closed";
    if (start != null && now < start) return "upcoming";
    if (end != null && now > end) return "closed";
    return "open_now";
  };

  M.courseState = function courseState(windows, now) {
    if (!windows.length) return "";
    var states = windows.map(function (w) { return M.windowState(w[0], w[1], w[2] === 1, now); });
    if (states.indexOf("open_now") >= 0) return "open_now";
    if (states.indexOf("upcoming") >= 0) return "upcoming";
    return "closed";
  };
})(window.moocx = window.moocx || {});
