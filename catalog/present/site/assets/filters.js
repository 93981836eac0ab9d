/*
 * The search box, the filters, the order and the reset button: each change is written to the
 * hash and the list is drawn again. Typing is debounced and waits for an input method (pinyin,
 * Telex) to finish its word.
 */
(function (M) {
  "use strict";

  function optionLabel(name, value) {
    var label = M.label;
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

  function select(name) { return document.querySelector('[data-filter="' + name + '"]'); }

  /* each filter's options: the values the index has, named in the interface language */
  M.fillSelects = function fillSelects() {
    var state = M.state, tables = M.data.tables;
    var collator = new Intl.Collator(state.ui);
    var byLabel = function (a, b) { return collator.compare(a[1], b[1]); };
    var byValue = function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; };
    M.FILTERS.forEach(function (name) {
      var menu = select(name);
      while (menu.options.length > 1) menu.remove(1);
      var values = tables[M.FACET_OF[name]].slice();
      if (state[name] && values.indexOf(state[name]) < 0) values.push(state[name]);
      var items = values.map(function (v) { return [v, optionLabel(name, v)]; });
      items.sort(SORTED_BY_LABEL[name] ? byLabel : byValue);
      items.forEach(function (item) {
        var option = M.el("option", null, item[1]);
        option.value = item[0];
        menu.appendChild(option);
      });
      menu.value = state[name];
      menu.closest(".field").hidden = values.length === 0;
    });
  };

  /* the controls showing the state (after a reset, or another hash) */
  M.syncControls = function syncControls() {
    var state = M.state;
    document.getElementById("q").value = state.q;
    document.getElementById("sort").value = state.sort;
    M.FILTERS.forEach(function (name) { select(name).value = state[name]; });
    M.FLAGS.forEach(function (name) {
      document.querySelector('[data-flag="' + name + '"]').checked = state[name];
    });
  };

  function update() {
    M.writeHash(true);
    M.render();
  }

  function bindSearch(input) {
    var timer = null;
    function search() {
      clearTimeout(timer);
      M.state.q = input.value;
      update();
    }
    function typed() {
      clearTimeout(timer);
      timer = setTimeout(search, M.DEBOUNCE_MS);
    }
    input.addEventListener("input", function (event) {
      if (!event.isComposing) typed();  // pinyin / Telex: wait for the finished word
    });
    input.addEventListener("compositionend", typed);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.isComposing) search();
    });
  }

  M.bindControls = function bindControls() {
    var input = document.getElementById("q"), sortSelect = document.getElementById("sort");
    bindSearch(input);
    M.each("[data-filter]", function (menu) {
      menu.addEventListener("change", function () {
        M.state[menu.getAttribute("data-filter")] = menu.value;
        update();
      });
    });
    M.each("[data-flag]", function (box) {
      box.addEventListener("change", function () {
        M.state[box.getAttribute("data-flag")] = box.checked;
        update();
      });
    });
    sortSelect.addEventListener("change", function () {
      M.state.sort = sortSelect.value;
      update();
    });
    document.getElementById("reset").addEventListener("click", function () {
      var ui = M.state.ui;
      M.state = M.blankState();
      M.state.ui = ui;
      M.syncControls();
      update();
      input.focus();
    });
    M.screen.more.addEventListener("click", function () { M.showMore(true); });
  };

  M.update = update;
})(window.moocx = window.moocx || {});
