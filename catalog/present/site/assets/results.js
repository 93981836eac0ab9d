/*
 * The list of results: a card per course, at most PAGE put in the page at a time ("show more"
 * for the next). Until the whole index is in, the default list is data/first.js's page.
 */
(function (M) {
  "use strict";

  /* what the list on screen is: its courses, how many are shown, and how far the index is */
  M.openScreen = function openScreen() {
    M.screen = {
      list: document.getElementById("results"),
      count: document.getElementById("count"),
      more: document.getElementById("more"),
      results: [], shown: 0, total: 0,
      early: false,       // the list on screen is data/first.js's page, the rest still coming
      waiting: false,     // the state changed before the index arrived: render when it does
      moreWanted: false,  // "show more" was asked for before the index arrived
      failed: false       // data/index.js did not load, or loaded without the index
    };
    return M.screen;
  };

  function credits(at) {
    var c = (M.data.tables.credits || [])[at];
    if (!c) return "";
    function part(value, system) {
      if (value == null) return "";
      return value + " " + (system ? M.label("credit.", system) : "");
    }
    var host = part(c[0], c[1]), home = part(c[2], c[3]);
    return M.tr("credits_summary", { credits: host + (home ? " → " + home : "") });
  }

  function heading(d, i, lang) {
    var h = M.el("h3");
    var a = M.el("a", null, d.title[i]);
    a.setAttribute("href", "courses/" + encodeURIComponent(d.slug[i]) + ".html#ui=" + M.state.ui);
    if (lang) a.setAttribute("lang", lang);
    h.appendChild(a);
    return h;
  }

  function meta(d, i, lang) {
    var tables = M.data.tables, label = M.label;
    var level = tables.level[d.level[i]] || "", pacing = tables.pacing[d.pacing[i]] || "";
    var parts = [label("inst.", tables.institution[d.institution[i]] || ""),
      M.data.orgs[d.organization[i]] || "",
      lang ? label("lang.", lang) : "", level ? label("level.", level.toLowerCase()) : "",
      pacing ? label("pacing.", pacing) : ""];
    return M.el("p", "meta", parts.filter(Boolean).join(" · "));
  }

  function when(d, i) {
    var tables = M.data.tables;
    var terms = (M.data.termSets[d.terms[i]] || M.NONE).map(function (t) { return tables.term[t]; }).join(", ");
    var start = (tables.start || [])[d.start[i]] || "";
    var parts = [start ? M.tr("starts", { date: start }) : "",
      d.flags[i] & M.WHOLE_COURSE ? M.tr("whole_course") : "", terms, credits(d.credits[i])];
    return parts.filter(Boolean).join(" · ");
  }

  function badges(d, i, now) {
    var list = M.el("ul", "badges"), flags = d.flags[i], tr = M.tr;
    var st = M.courseState(M.data.windowSets[d.windows[i]] || M.NONE, now);
    if (flags & M.WITHDRAWN) list.appendChild(M.el("li", "badge gone", tr("withdrawn")));
    else if (st) list.appendChild(M.el("li", "badge state-" + st, tr(st)));
    if (flags & M.FREE) list.appendChild(M.el("li", "badge free", tr("free")));
    if (flags & M.CERTIFICATE) list.appendChild(M.el("li", "badge cert", tr("certificate")));
    return list;
  }

  function card(i, now) {
    var d = M.data.view;
    var li = M.el("li", "card");
    var lang = M.data.tables.language[d.language[i]] || "";
    li.appendChild(heading(d, i, lang));
    li.appendChild(meta(d, i, lang));
    var line = when(d, i);
    if (line) li.appendChild(M.el("p", "when", line));
    var marks = badges(d, i, now);
    if (marks.firstChild) li.appendChild(marks);
    return li;
  }

  M.showMore = function showMore(focusFirst) {
    var S = M.screen;
    if (S.early) { S.moreWanted = true; return; }  // shown when the rest of the list arrives
    var now = M.nowSeconds();
    var fragment = document.createDocumentFragment();
    var first = null;
    var end = Math.min(S.results.length, S.shown + M.PAGE);
    for (var k = S.shown; k < end; k++) {
      var node = card(S.results[k], now);
      if (!first) first = node;
      fragment.appendChild(node);
    }
    S.list.appendChild(fragment);
    S.shown = end;
    M.showCount();
    if (focusFirst && first) first.querySelector("a").focus();
  };

  M.showCount = function showCount() {
    var S = M.screen, left = S.total - S.shown;
    S.more.hidden = left <= 0;
    if (left > 0) S.more.textContent = M.tr("show_more", { n: left });
  };

  function draw(data, found, n) {
    var S = M.screen, tr = M.tr;
    M.data.view = data;
    S.results = found;
    S.total = n;
    S.shown = 0;
    S.list.textContent = "";
    // nothing found, or nothing to find: a site no course is offered on yet
    var none = data.n === 0 ? tr("empty") : tr("none");
    S.count.textContent = n === 0 ? none : n === 1 ? tr("count_one") : tr("count", { n: n });
    M.showMore(false);
  }

  M.render = function render() {
    var S = M.screen;
    if (!M.data.full) {
      // Until the index is in, the default list is data/first.js's page; anything else says
      // it is coming, or that it cannot come.
      S.waiting = !renderFirst();
      if (S.failed) S.count.textContent = M.failedText();
      else if (S.waiting) S.count.textContent = M.tr("loading");
      return;
    }
    S.early = false;
    var found = M.search();
    draw(M.data.full, found, found.length);
  };

  function isDefault() {
    var s = M.state;
    return !s.q && (!s.sort || s.sort === "start") && !M.isFiltered();
  }

  /* the first page from data/first.js: the default list's first courses, in its order */
  function renderFirst() {
    var first = M.data.first, S = M.screen;
    if (!first || !isDefault() || first.order.length < Math.min(M.PAGE, first.n)) return false;
    S.early = false;
    draw(first, first.order.slice(0, M.PAGE), first.n);
    S.early = true;
    return true;
  }
})(window.moocx = window.moocx || {});
