/*
 * The interface in the language chosen (window.MOOCX_I18N, catalog/present/site/i18n.py): elements carry
 * data-i18n="key" (data-i18n-args for {name} placeholders) and are given the string of the
 * interface language, without a reload.
 */
(function (M) {
  "use strict";

  M.tr = function tr(key, args) {
    var strings = M.I18N.strings;
    var table = strings[M.state.ui] || {};
    var text = table[key] != null ? table[key] : (strings.en || {})[key];
    if (text == null) return null;
    if (args) {
      Object.keys(args).forEach(function (name) {
        var value = args[name];
        if (value && typeof value === "object") value = M.tr(value.key) || value.key;
        text = text.split("{" + name + "}").join(String(value));
      });
    }
    return text;
  };

  /* the name of a code ("pacing." + "self"), else the code as the source gave it */
  M.label = function label(prefix, value) {
    return M.tr(prefix + value) || value;
  };

  M.applyStrings = function applyStrings() {
    var ui = M.state.ui, each = M.each;
    document.documentElement.lang = ui;
    each("[data-i18n]", function (el) {
      var args = el.getAttribute("data-i18n-args");
      var text = M.tr(el.getAttribute("data-i18n"), args ? JSON.parse(args) : null);
      if (text != null) el.textContent = text;
    });
    each("[data-i18n-placeholder]", function (el) {
      el.setAttribute("placeholder", M.tr(el.getAttribute("data-i18n-placeholder")) || "");
    });
    each("[data-i18n-aria-label]", function (el) {
      el.setAttribute("aria-label", M.tr(el.getAttribute("data-i18n-aria-label")) || "");
    });
    each("[data-ui-choice]", function (el) {
      el.setAttribute("aria-pressed", String(el.getAttribute("data-ui-choice") === ui));
    });
    each("[data-ui-link]", function (el) {
      el.setAttribute("href", el.getAttribute("href").replace(/#.*$/, "") + "#ui=" + ui);
    });
    each("[data-notes]", showNotes);
    each("[data-back]", function (el) {
      var search = M.recall("moocx.search") || "";
      var hash = search.replace(/(^#|&)ui=[^&]*/, "$1").replace(/^#&?/, "#").replace(/&$/, "");
      hash = (hash.length > 1 ? hash + "&" : "#") + "ui=" + ui;
      el.setAttribute("href", "../index.html" + hash);
    });
  };

  /* A rule's notes given per language (data-notes): the interface's, else the audience's
     (the text the page was written with). */
  function showNotes(el) {
    if (el.moocxNotes == null) el.moocxNotes = el.textContent;
    var notes = null;
    try { notes = JSON.parse(el.getAttribute("data-notes")); } catch (e) { notes = null; }
    var ui = M.state.ui;
    el.textContent = notes && typeof notes[ui] === "string" ? notes[ui] : el.moocxNotes;
  }
})(window.moocx = window.moocx || {});
