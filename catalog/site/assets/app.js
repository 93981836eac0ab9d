/*
 * mooc-exchange catalog site: search, filters and the language switch.
 *
 * Opened from file://, so nothing is fetched: the data arrives by <script src> as
 * window.MOOCX_FIRST (data/first.js) then window.MOOCX_INDEX (data/index.js, added by this
 * script; catalog page only), and window.MOOCX_I18N (data/i18n.js).
 * Course text is only ever set with textContent, never parsed as HTML.
 * The state lives in the URL hash (#q=giao%20duc&lang=vi&sort=start&ui=vi) so a search can be
 * shared and survives a reload. Built for 50,000 courses and more: the index arrives folded
 * and in its default order, so loading only reads it; typing is debounced, and at most PAGE
 * results are put in the page at a time.
 */
(function () {
  "use strict";

  var I18N = window.MOOCX_I18N || { languages: ["en"], endonyms: {}, strings: { en: {} } };
  var PAGE = 50;
  var DEBOUNCE_MS = 150;
  var FILTERS = ["inst", "lang", "subj", "level", "pacing", "term", "month"];
  var FLAGS = ["open", "free", "cert"];
  var SORTS = ["", "start", "title"];
  var FREE = 1, CERTIFICATE = 2, WITHDRAWN = 4, WHOLE_COURSE = 8;

  /* ---- folding: must match catalog/site/fold.py character for character ---- */
  var WS = /[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+/g;
  var MARKS;
  try {
    MARKS = new RegExp("\\p{M}", "gu");
  } catch (e) {
    MARKS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g;
  }

  function fold(text) {
    if (!text) return "";
    return String(text).toLowerCase().normalize("NFKD").replace(MARKS, "")
      .replace(/đ/g, "d").replace(WS, " ").replace(/^ +| +$/g, "");
  }
  window.moocxFold = fold;

  function exact(text) {
    return String(text || "").toLowerCase().normalize("NFC").replace(WS, " ").replace(/^ +| +$/g, "");
  }

  /* ---- state in the hash ---- */
  var state = blankState();
  var lastHash = null;

  function blankState() {
    var s = { q: "", sort: "", ui: defaultUi() };
    FILTERS.forEach(function (k) { s[k] = ""; });
    FLAGS.forEach(function (k) { s[k] = false; });
    return s;
  }

  function defaultUi() {
    var ui = document.documentElement.getAttribute("data-default-ui");
    return I18N.strings[ui] ? ui : "en";
  }

  function readHash() {
    var s = blankState();
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
      else if (key === "ui" && I18N.strings[value]) s.ui = value;
      else if (key === "sort" && SORTS.indexOf(value) >= 0) s.sort = value;
      else if (FILTERS.indexOf(key) >= 0) s[key] = value;
      else if (FLAGS.indexOf(key) >= 0) s[key] = value === "1";
    });
    return s;
  }

  function hashOf(s, withSearch) {
    var parts = [];
    function add(key, value) { parts.push(key + "=" + encodeURIComponent(value)); }
    if (withSearch) {
      if (s.q) add("q", s.q);
      FILTERS.forEach(function (k) { if (s[k]) add(k, s[k]); });
      FLAGS.forEach(function (k) { if (s[k]) add(k, "1"); });
      if (s.sort) add("sort", s.sort);
    }
    add("ui", s.ui);
    return "#" + parts.join("&");
  }

  function writeHash(withSearch) {
    var hash = hashOf(state, withSearch);
    lastHash = hash;
    if (withSearch) remember("moocx.search", hash);
    if (location.hash === hash) return;
    try {
      history.replaceState(null, "", hash);
    } catch (e) {
      location.replace(hash);
    }
  }

  function remember(key, value) {
    try { window.sessionStorage.setItem(key, value); } catch (e) { /* storage off: fine */ }
  }

  function recall(key) {
    try { return window.sessionStorage.getItem(key); } catch (e) { return null; }
  }

  /* ---- interface strings ---- */
  function tr(key, args) {
    var table = I18N.strings[state.ui] || {};
    var text = table[key] != null ? table[key] : (I18N.strings.en || {})[key];
    if (text == null) return null;
    if (args) {
      Object.keys(args).forEach(function (name) {
        var value = args[name];
        if (value && typeof value === "object") value = tr(value.key) || value.key;
        text = text.split("{" + name + "}").join(String(value));
      });
    }
    return text;
  }

  function label(prefix, value) {
    return tr(prefix + value) || value;
  }

  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }

  function applyStrings() {
    document.documentElement.lang = state.ui;
    each("[data-i18n]", function (el) {
      var args = el.getAttribute("data-i18n-args");
      var text = tr(el.getAttribute("data-i18n"), args ? JSON.parse(args) : null);
      if (text != null) el.textContent = text;
    });
    each("[data-i18n-placeholder]", function (el) {
      el.setAttribute("placeholder", tr(el.getAttribute("data-i18n-placeholder")) || "");
    });
    each("[data-i18n-aria-label]", function (el) {
      el.setAttribute("aria-label", tr(el.getAttribute("data-i18n-aria-label")) || "");
    });
    each("[data-ui-choice]", function (el) {
      el.setAttribute("aria-pressed", String(el.getAttribute("data-ui-choice") === state.ui));
    });
    each("[data-ui-link]", function (el) {
      el.setAttribute("href", el.getAttribute("href").replace(/#.*$/, "") + "#ui=" + state.ui);
    });
    // A rule's notes given per language (data-notes): the interface's, else the audience's
    // (the text the page was written with).
    each("[data-notes]", function (el) {
      if (el.moocxNotes == null) el.moocxNotes = el.textContent;
      var notes = null;
      try { notes = JSON.parse(el.getAttribute("data-notes")); } catch (e) { notes = null; }
      var text = notes && typeof notes[state.ui] === "string" ? notes[state.ui] : el.moocxNotes;
      el.textContent = text;
    });
    each("[data-back]", function (el) {
      var search = recall("moocx.search") || "";
      var hash = search.replace(/(^#|&)ui=[^&]*/, "$1").replace(/^#&?/, "#").replace(/&$/, "");
      hash = (hash.length > 1 ? hash + "&" : "#") + "ui=" + state.ui;
      el.setAttribute("href", "../index.html" + hash);
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  /* ---- application windows: recomputed from the student's clock ---- */
  function windowState(start, end, openAtBuild, now) {
    if (start == null && end == null) return openAtBuild ? "open_now" : "closed";
    if (start != null && now < start) return "upcoming";
    if (end != null && now > end) return "closed";
    return "open_now";
  }

  function courseState(windows, now) {
    if (!windows.length) return "";
    var states = windows.map(function (w) { return windowState(w[0], w[1], w[2] === 1, now); });
    if (states.indexOf("open_now") >= 0) return "open_now";
    if (states.indexOf("upcoming") >= 0) return "upcoming";
    return "closed";
  }

  function nowSeconds() { return Date.now() / 1000; }

  function setupCoursePage() {
    var now = nowSeconds();
    each("[data-open-state]", function (node) {
      function num(name) {
        var v = node.getAttribute(name);
        return v === "" || v == null ? null : Number(v);
      }
      var key = windowState(num("data-start"), num("data-end"), node.getAttribute("data-open") === "1", now);
      node.setAttribute("data-i18n", key);
      node.className = "badge state-" + key;
    });
    state.ui = readHash().ui;
    applyStrings();
    each("[data-ui-choice]", function (button) {
      button.addEventListener("click", function () {
        state.ui = button.getAttribute("data-ui-choice");
        applyStrings();
        writeHash(false);
      });
    });
    window.addEventListener("hashchange", function () {
      if (location.hash === lastHash) return;
      state.ui = readHash().ui;
      applyStrings();
    });
  }

  /* ---- the catalog page ---- */
  /*
   * The index is columnar (catalog/site/index.py): one array per field, a course is a position.
   * data/first.js (MOOCX_FIRST) holds the first page of the default list, so it is shown at
   * once; data/index.js (MOOCX_INDEX, every course) is added then, and everything else —
   * a query, a filter, another order, "show more" — waits for it (the list is aria-busy).
   */
  var NONE = [];

  function setupCatalog() {
    var first = window.MOOCX_FIRST || null;
    var full = null;            // the whole index, prepared for search, once it has arrived
    var view = null;            // the data the cards on screen are drawn from: first or full
    var tables = (window.MOOCX_INDEX || first || {}).tables || {};
    var FACET_OF = { inst: "institution", lang: "language", subj: "subject", level: "level",
      pacing: "pacing", term: "term", month: "month" };
    FILTERS.forEach(function (name) { tables[FACET_OF[name]] = tables[FACET_OF[name]] || []; });
    var orgs = tables.organization || [];
    var orgExact = orgs.map(exact);
    var subjectSets = tables.subjects || [], termSets = tables.terms || [];
    var monthSets = tables.months || [], windowSets = tables.windows || [];
    var exactTitle = {}, titleOrders = {};

    /* the index made ready to search: the folded ISCED labels appended, the start ranks */
    function prepare(index) {
      var n = index.n, hay = index.hay, subj = index.subjects;
      var labels = subjectSets.map(function (codes) {
        return codes.map(function (code) {
          return fold((I18N.languages || []).map(function (lang) {
            return (I18N.strings[lang] || {})["isced." + code] || "";
          }).join(" "));
        }).join("\n");
      });
      for (var i = 0; i < n; i++) {
        if (subj[i] >= 0) hay[i] = hay[i] + "\n" + labels[subj[i]];
      }
      var rank = new Array(n);
      for (var k = 0; k < n; k++) rank[index.order[k]] = k;
      index.rank = rank;
      return index;
    }

    function withdrawn(i) { return full.flags[i] & WITHDRAWN ? 1 : 0; }

    function titleFold(i) {  // hay starts with fold(title), then a newline
      var h = full.hay[i];
      return h.slice(0, h.indexOf("\n"));
    }

    function titleOrder() {
      if (!titleOrders[state.ui]) {
        var collator = new Intl.Collator(state.ui), titles = full.title;
        titleOrders[state.ui] = full.order.slice().sort(function (a, b) {
          return withdrawn(a) - withdrawn(b) || collator.compare(titles[a], titles[b]);
        });
      }
      return titleOrders[state.ui];
    }

    /* the filter values as numbers into the tables (-2: a value no course has) */
    function wanted() {
      var w = {};
      FILTERS.forEach(function (name) {
        if (!state[name]) w[name] = null;
        else if (name === "subj") w[name] = state[name];
        else {
          var at = tables[FACET_OF[name]].indexOf(state[name]);
          w[name] = at < 0 ? -2 : at;
        }
      });
      return w;
    }

    function passes(i, w, open) {
      var d = full;
      if (w.inst !== null && d.institution[i] !== w.inst) return false;
      if (w.lang !== null && d.language[i] !== w.lang) return false;
      if (w.subj !== null && (subjectSets[d.subjects[i]] || NONE).indexOf(w.subj) < 0) return false;
      if (w.level !== null && d.level[i] !== w.level) return false;
      if (w.pacing !== null && d.pacing[i] !== w.pacing) return false;
      if (w.term !== null && (termSets[d.terms[i]] || NONE).indexOf(w.term) < 0) return false;
      if (w.month !== null && (monthSets[d.months[i]] || NONE).indexOf(w.month) < 0) return false;
      if (state.free && !(d.flags[i] & FREE)) return false;
      if (state.cert && !(d.flags[i] & CERTIFICATE)) return false;
      if (open && open[d.windows[i]] !== "open_now") return false;
      return true;
    }

    function score(i, q, qExact) {
      var s = 0;
      if (exactTitle[i] == null) exactTitle[i] = exact(full.title[i]);
      if (exactTitle[i].indexOf(qExact) >= 0) s += 8;
      else if ((orgExact[full.organization[i]] || "").indexOf(qExact) >= 0) s += 4;
      var at = titleFold(i).indexOf(q);
      if (at === 0) s += 3;
      else if (at > 0) s += 2;
      return s;
    }

    function search() {
      var q = fold(state.q);
      var terms = q ? q.split(" ") : [];
      var sort = state.sort || (q ? "relevance" : "start");
      var order = sort === "title" ? titleOrder() : full.order;
      var w = wanted(), hay = full.hay;
      var open = null;  // "open now" of each set of windows, from the student's clock
      if (state.open) {
        var now = nowSeconds();
        open = windowSets.map(function (windows) { return courseState(windows, now); });
      }
      var found = [];
      for (var k = 0; k < order.length; k++) {
        var i = order[k];
        if (!passes(i, w, open)) continue;
        var h = hay[i], ok = true;
        for (var t = 0; t < terms.length; t++) {
          if (h.indexOf(terms[t]) < 0) { ok = false; break; }
        }
        if (ok) found.push(i);
      }
      if (sort === "relevance") {
        var qExact = exact(state.q), scores = {}, rank = full.rank;
        found.forEach(function (i) { scores[i] = score(i, q, qExact); });
        found.sort(function (a, b) {
          return withdrawn(a) - withdrawn(b) || scores[b] - scores[a] || rank[a] - rank[b];
        });
      }
      return found;
    }

    /* rendering */
    var list = document.getElementById("results");
    var count = document.getElementById("count");
    var more = document.getElementById("more");
    var input = document.getElementById("q");
    var sortSelect = document.getElementById("sort");
    var results = [], shown = 0, total = 0;
    var early = false;    // the list on screen is data/first.js's page, the rest still coming
    var waiting = false;  // the state changed before the index arrived: render when it does
    var moreWanted = false;
    var failed = false;   // data/index.js did not load, or loaded without the index

    function credits(at) {
      var c = (tables.credits || [])[at];
      if (!c) return "";
      function part(value, system) {
        if (value == null) return "";
        return value + " " + (system ? label("credit.", system) : "");
      }
      var host = part(c[0], c[1]), home = part(c[2], c[3]);
      return tr("credits_summary", { credits: host + (home ? " → " + home : "") });
    }

    function card(i, now) {
      var d = view;
      var li = el("li", "card");
      var h = el("h3");
      var a = el("a", null, d.title[i]);
      a.setAttribute("href", "courses/" + encodeURIComponent(d.slug[i]) + ".html#ui=" + state.ui);
      var lang = tables.language[d.language[i]] || "";
      if (lang) a.setAttribute("lang", lang);
      h.appendChild(a);
      li.appendChild(h);
      var level = tables.level[d.level[i]] || "", pacing = tables.pacing[d.pacing[i]] || "";
      var meta = [label("inst.", tables.institution[d.institution[i]] || ""),
        orgs[d.organization[i]] || "",
        lang ? label("lang.", lang) : "", level ? label("level.", level.toLowerCase()) : "",
        pacing ? label("pacing.", pacing) : ""];
      li.appendChild(el("p", "meta", meta.filter(Boolean).join(" · ")));
      var terms = (termSets[d.terms[i]] || NONE).map(function (t) { return tables.term[t]; }).join(", ");
      var start = (tables.start || [])[d.start[i]] || "";
      var flags = d.flags[i];
      var when = [start ? tr("starts", { date: start }) : "",
        flags & WHOLE_COURSE ? tr("whole_course") : "", terms, credits(d.credits[i])];
      var line = when.filter(Boolean).join(" · ");
      if (line) li.appendChild(el("p", "when", line));
      var badges = el("ul", "badges");
      var st = courseState(windowSets[d.windows[i]] || NONE, now);
      if (flags & WITHDRAWN) badges.appendChild(el("li", "badge gone", tr("withdrawn")));
      else if (st) badges.appendChild(el("li", "badge state-" + st, tr(st)));
      if (flags & FREE) badges.appendChild(el("li", "badge free", tr("free")));
      if (flags & CERTIFICATE) badges.appendChild(el("li", "badge cert", tr("certificate")));
      if (badges.firstChild) li.appendChild(badges);
      return li;
    }

    function showMore(focusFirst) {
      if (early) { moreWanted = true; return; }  // shown when the rest of the list arrives
      var now = nowSeconds();
      var fragment = document.createDocumentFragment();
      var first = null;
      var end = Math.min(results.length, shown + PAGE);
      for (var k = shown; k < end; k++) {
        var node = card(results[k], now);
        if (!first) first = node;
        fragment.appendChild(node);
      }
      list.appendChild(fragment);
      shown = end;
      showCount();
      if (focusFirst && first) first.querySelector("a").focus();
    }

    function showCount() {
      var left = total - shown;
      more.hidden = left <= 0;
      if (left > 0) more.textContent = tr("show_more", { n: left });
    }

    function draw(data, found, n) {
      view = data;
      results = found;
      total = n;
      shown = 0;
      list.textContent = "";
      // nothing found, or nothing to find: a site no course is offered on yet
      var none = data.n === 0 ? tr("empty") : tr("none");
      count.textContent = n === 0 ? none : n === 1 ? tr("count_one") : tr("count", { n: n });
      showMore(false);
    }

    function render() {
      if (!full) {
        // Until the index is in, the default list is data/first.js's page; anything else says
        // it is coming, or that it cannot come.
        waiting = !renderFirst();
        if (failed) count.textContent = failedText();
        else if (waiting) count.textContent = tr("loading");
        return;
      }
      early = false;
      var found = search();
      draw(full, found, found.length);
    }

    function isDefault() {
      return !state.q && (!state.sort || state.sort === "start") &&
        !FILTERS.some(function (k) { return state[k]; }) && !FLAGS.some(function (k) { return state[k]; });
    }

    /* the first page from data/first.js: the default list's first courses, in its order */
    function renderFirst() {
      if (!first || !isDefault() || first.order.length < Math.min(PAGE, first.n)) return false;
      early = false;
      draw(first, first.order.slice(0, PAGE), first.n);
      early = true;
      return true;
    }

    function arrived(index) {
      full = prepare(index);
      list.setAttribute("aria-busy", "false");
      if (early && !waiting) {  // the same list: keep the cards on screen, go on from them
        early = false;
        view = full;
        results = full.order;
        total = results.length;
        showCount();
        if (moreWanted) showMore(true);
      } else {
        render();
      }
      waiting = moreWanted = false;
    }

    function failedText() {
      return shown ? tr("index_failed", { shown: shown, n: total }) : tr("index_missing");
    }

    /* data/index.js is missing, or broken (a truncated copy runs without defining the index):
       the first page stays, "show more" goes, and the status line says what does not work */
    function unavailable() {
      failed = true;
      list.setAttribute("aria-busy", "false");
      more.hidden = true;
      count.textContent = failedText();
    }

    function loadIndex() {
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
    }

    /* filters */
    function optionLabel(name, value) {
      switch (name) {
        case "inst": return label("inst.", value);
        case "lang": return label("lang.", value);
        case "subj": return label("isced.", value);
        case "level": return label("level.", value.toLowerCase());
        case "pacing": return label("pacing.", value);
        default: return value;
      }
    }
    var SORTED_BY_LABEL = { inst: true, lang: true, level: true, pacing: true };

    function fillSelects() {
      var collator = new Intl.Collator(state.ui);
      FILTERS.forEach(function (name) {
        var select = document.querySelector('[data-filter="' + name + '"]');
        while (select.options.length > 1) select.remove(1);
        var values = tables[FACET_OF[name]].slice();
        if (state[name] && values.indexOf(state[name]) < 0) values.push(state[name]);
        var items = values.map(function (v) { return [v, optionLabel(name, v)]; });
        items.sort(SORTED_BY_LABEL[name] ? function (a, b) { return collator.compare(a[1], b[1]); }
          : function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; });
        items.forEach(function (item) {
          var option = el("option", null, item[1]);
          option.value = item[0];
          select.appendChild(option);
        });
        select.value = state[name];
        select.closest(".field").hidden = values.length === 0;
      });
    }

    function syncControls() {
      input.value = state.q;
      sortSelect.value = state.sort;
      FILTERS.forEach(function (name) {
        document.querySelector('[data-filter="' + name + '"]').value = state[name];
      });
      FLAGS.forEach(function (name) {
        document.querySelector('[data-flag="' + name + '"]').checked = state[name];
      });
    }

    function update() {
      writeHash(true);
      render();
    }

    var timer = null;
    function typed() {
      clearTimeout(timer);
      timer = setTimeout(function () {
        state.q = input.value;
        update();
      }, DEBOUNCE_MS);
    }
    input.addEventListener("input", function (event) {
      if (!event.isComposing) typed();  // pinyin / Telex: wait for the finished word
    });
    input.addEventListener("compositionend", typed);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.isComposing) {
        clearTimeout(timer);
        state.q = input.value;
        update();
      }
    });
    each("[data-filter]", function (select) {
      select.addEventListener("change", function () {
        state[select.getAttribute("data-filter")] = select.value;
        update();
      });
    });
    each("[data-flag]", function (box) {
      box.addEventListener("change", function () {
        state[box.getAttribute("data-flag")] = box.checked;
        update();
      });
    });
    sortSelect.addEventListener("change", function () {
      state.sort = sortSelect.value;
      update();
    });
    document.getElementById("reset").addEventListener("click", function () {
      var ui = state.ui;
      state = blankState();
      state.ui = ui;
      syncControls();
      update();
      input.focus();
    });
    more.addEventListener("click", function () { showMore(true); });
    each("[data-ui-choice]", function (button) {
      button.addEventListener("click", function () {
        state.ui = button.getAttribute("data-ui-choice");
        applyStrings();
        fillSelects();
        update();
      });
    });
    window.addEventListener("hashchange", function () {
      if (location.hash === lastHash) return;
      state = readHash();
      applyStrings();
      fillSelects();
      syncControls();
      render();
    });

    state = readHash();
    applyStrings();
    fillSelects();
    syncControls();
    var filtered = FILTERS.some(function (k) { return state[k]; }) ||
      FLAGS.some(function (k) { return state[k]; }) || state.sort;
    if (filtered || window.matchMedia("(min-width: 60rem)").matches) {
      document.getElementById("filters").open = true;
    }
    document.getElementById("needs-js").hidden = true;
    render();  // the first page from data/first.js, or "loading" until the index is in
    loadIndex();
    if (state.q) remember("moocx.search", hashOf(state, true));
  }

  /* ---- start ---- */
  function start() {
    each("a.skip", function (link) {
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
})();
