/*
 * Search over the index (catalog/present/site/index.py): columnar, one array per field, a course is a
 * position. It arrives folded and in its default order, so loading only reads it; a query is
 * folded like the index and every word must be found in a course's "hay".
 */
(function (M) {
  "use strict";

  var FACET_OF = { inst: "institution", lang: "language", subj: "subject", level: "level",
    pacing: "pacing", term: "term", month: "month" };
  M.FACET_OF = FACET_OF;

  /* The catalog's data: data/first.js's page at once, the whole index (full) once it is in;
     view is the one the cards on screen are drawn from. */
  M.openData = function openData() {
    var first = window.MOOCX_FIRST || null;
    var tables = (window.MOOCX_INDEX || first || {}).tables || {};
    M.FILTERS.forEach(function (name) { tables[FACET_OF[name]] = tables[FACET_OF[name]] || []; });
    var orgs = tables.organization || [];
    M.data = {
      first: first, full: null, view: null, tables: tables,
      orgs: orgs, orgExact: orgs.map(M.exact),
      subjectSets: tables.subjects || [], termSets: tables.terms || [],
      monthSets: tables.months || [], windowSets: tables.windows || [],
      exactTitle: {}, titleOrders: {}
    };
    return M.data;
  };

  /* the index made ready to search: the folded ISCED labels appended, the start ranks */
  M.prepare = function prepare(index) {
    var n = index.n, hay = index.hay, subj = index.subjects, I18N = M.I18N;
    var labels = M.data.subjectSets.map(function (codes) {
      return codes.map(function (code) {
        return M.fold((I18N.languages || []).map(function (lang) {
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
  };

  function withdrawn(i) { return M.data.full.flags[i] & M.WITHDRAWN ? 1 : 0; }

  function titleFold(i) {  // hay starts with fold(title), then a newline
    var h = M.data.full.hay[i];
    return h.slice(0, h.indexOf("\n"));
  }

  function titleOrder() {
    var D = M.data, ui = M.state.ui;
    if (!D.titleOrders[ui]) {
      var collator = new Intl.Collator(ui), titles = D.full.title;
      D.titleOrders[ui] = D.full.order.slice().sort(function (a, b) {
        return withdrawn(a) - withdrawn(b) || collator.compare(titles[a], titles[b]);
      });
    }
    return D.titleOrders[ui];
  }

  /* the filter values as numbers into the tables (-2: a value no course has) */
  function wanted() {
    var w = {}, state = M.state, tables = M.data.tables;
    M.FILTERS.forEach(function (name) {
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
    var D = M.data, d = D.full, state = M.state, NONE = M.NONE;
    if (w.inst !== null && d.institution[i] !== w.inst) return false;
    if (w.lang !== null && d.language[i] !== w.lang) return false;
    if (w.subj !== null && (D.subjectSets[d.subjects[i]] || NONE).indexOf(w.subj) < 0) return false;
    if (w.level !== null && d.level[i] !== w.level) return false;
    if (w.pacing !== null && d.pacing[i] !== w.pacing) return false;
    if (w.term !== null && (D.termSets[d.terms[i]] || NONE).indexOf(w.term) < 0) return false;
    if (w.month !== null && (D.monthSets[d.months[i]] || NONE).indexOf(w.month) < 0) return false;
    if (state.free && !(d.flags[i] & M.FREE)) return false;
    if (state.cert && !(d.flags[i] & M.CERTIFICATE)) return false;
    if (open && open[d.windows[i]] !== "open_now") return false;
    return true;
  }

  function score(i, q, qExact) {
    var D = M.data, s = 0;
    if (D.exactTitle[i] == null) D.exactTitle[i] = M.exact(D.full.title[i]);
    if (D.exactTitle[i].indexOf(qExact) >= 0) s += 8;
    else if ((D.orgExact[D.full.organization[i]] || "").indexOf(qExact) >= 0) s += 4;
    var at = titleFold(i).indexOf(q);
    if (at === 0) s += 3;
    else if (at > 0) s += 2;
    return s;
  }

  function relevance(found, q) {
    var qExact = M.exact(M.state.q), scores = {}, rank = M.data.full.rank;
    found.forEach(function (i) { scores[i] = score(i, q, qExact); });
    found.sort(function (a, b) {
      return withdrawn(a) - withdrawn(b) || scores[b] - scores[a] || rank[a] - rank[b];
    });
  }

  /* the positions of the courses the state asks for, in the order it asks for */
  M.search = function search() {
    var state = M.state, full = M.data.full;
    var q = M.fold(state.q);
    var terms = q ? q.split(" ") : [];
    var sort = state.sort || (q ? "relevance" : "start");
    var order = sort === "title" ? titleOrder() : full.order;
    var w = wanted(), hay = full.hay;
    var open = null;  // "open now" of each set of windows, from the student's clock
    if (state.open) {
      var now = M.nowSeconds();
      open = M.data.windowSets.map(function (windows) { return M.courseState(windows, now); });
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
    if (sort === "relevance") relevance(found, q);
    return found;
  };
})(window.moocx = window.moocx || {});
