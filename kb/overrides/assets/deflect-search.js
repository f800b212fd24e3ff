// The header search on deflect's own engine: what GET /support/api/suggest answers, shown in
// Material's search dialog, with Material's own search as the fallback.
//
// Material keeps the two elements it writes results into (the count line and the list) as it found
// them when it started. This script builds a count line and a list of its own, with Material's
// classes, and swaps them in place of Material's while the app answers; Material goes on searching
// into its detached elements, so falling back is swapping them back: no wait, no flicker. Material's
// keyboard handling (arrows, Enter on the best result, Escape) and its closing on a click look the
// results up in the dialog when a key is pressed, so they work on these results as on its own.
//
// The app's answer is data, never markup: titles are text, and a snippet becomes text and <mark>
// elements (the API escapes everything else).
(function () {
  "use strict";

  var script = document.currentScript;
  var DEBOUNCE_MS = 300; // as the support form: a pause in typing, not every key, costs a search
  var TIMEOUT_MS = 1500; // an app that does not answer within this is treated as absent

  var ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

  // --- The app's answer -------------------------------------------------------------------------

  function decode(text) {
    return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, function (entity, name) {
      if (name[0] !== "#") return ENTITIES[name.toLowerCase()] || entity;
      var code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    });
  }

  // The snippet as [{text, marked}] parts: <mark> and </mark> are the only tags it may hold.
  function snippetParts(snippet) {
    var parts = [], marked = false;
    String(snippet || "").split(/(<\/?mark>)/).forEach(function (piece) {
      if (piece === "<mark>" || piece === "</mark>") marked = piece === "<mark>";
      else if (piece) parts.push({ text: decode(piece), marked: marked });
    });
    return parts;
  }

  // An article's link: only http(s) addresses; Material's ?h= highlights the marked words there.
  function resultUrl(url, words, highlight) {
    var link;
    try { link = new URL(url, document.baseURI); } catch (error) { return null; }
    if (link.protocol !== "http:" && link.protocol !== "https:") return null;
    if (highlight && words.length) link.searchParams.set("h", words.join(" "));
    return link.href;
  }

  function usable(data) {
    return data && Array.isArray(data.results) && data.results.every(function (r) {
      return r && typeof r.title === "string" && typeof r.url === "string";
    });
  }

  // GET the suggestions for `q`; rejects with the HTTP status (or 0) when the app cannot answer.
  function ask(endpoint, q, previous) {
    if (previous) previous.control.abort();
    var control = new AbortController();
    var timer = setTimeout(function () { control.abort(); }, TIMEOUT_MS);
    var request = fetch(endpoint + "?q=" + encodeURIComponent(q), {
      headers: { Accept: "application/json" }, credentials: "omit", signal: control.signal
    }).then(function (response) {
      if (!response.ok) throw response.status;
      return response.json();
    }).then(function (data) {
      if (!usable(data)) throw 0;
      return data.results;
    }, function (status) {
      throw typeof status === "number" ? status : 0;
    }).finally(function () { clearTimeout(timer); });
    return { control: control, answer: request };
  }

  // --- Material's look --------------------------------------------------------------------------

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function withMarks(node, parts) {
    parts.forEach(function (part) {
      node.appendChild(part.marked ? element("mark", "", part.text) : document.createTextNode(part.text));
    });
    return node;
  }

  // The title's words that the snippet marks, marked too (as Material marks matches in titles).
  function titleParts(title, words) {
    return title.split(/([\p{L}\p{N}]+)/u).filter(Boolean).map(function (piece) {
      return { text: piece, marked: words.indexOf(piece.toLowerCase()) !== -1 };
    });
  }

  // One result as Material renders a page: a link holding an article with its icon, title, teaser.
  // data-md-score decides which result Enter opens: the API's first, whatever its scores.
  function resultItem(result, rank, count, highlight) {
    var parts = snippetParts(result.snippet);
    var words = [];
    parts.forEach(function (p) { if (p.marked && words.indexOf(p.text.toLowerCase()) === -1) words.push(p.text.toLowerCase()); });
    var href = resultUrl(result.url, words, highlight);
    if (!href) return null;
    var article = element("article", "md-search-result__article md-typeset");
    article.setAttribute("data-md-score", String(count - rank));
    article.appendChild(element("div", "md-search-result__icon md-icon"));
    article.appendChild(withMarks(element("h1"), titleParts(result.title, words)));
    if (parts.length) article.appendChild(withMarks(element("p"), parts));
    var link = element("a", "md-search-result__link");
    link.href = href;
    link.tabIndex = -1;
    link.appendChild(article);
    var item = element("li", "md-search-result__item");
    item.appendChild(link);
    return item;
  }

  function countLine(texts, q, count) {
    if (!q) return texts.placeholder;
    if (count === 0) return texts.none;
    return count === 1 ? texts.one : texts.other.replace("#", String(count));
  }

  // --- The dialog -------------------------------------------------------------------------------

  // `parts`: Material's search box, its open/closed toggle, its count line and its result list.
  function HeaderSearch(parts, settings) {
    this.settings = settings;
    this.input = parts.input;
    this.toggle = parts.toggle;
    this.material = { meta: parts.meta, list: parts.list };
    this.ours = { meta: element("div", "md-search-result__meta"), list: element("ol", "md-search-result__list") };
    this.ours.meta.setAttribute("data-deflect-search", "");
    this.ours.list.setAttribute("data-deflect-search", "");
    this.app = "unknown"; // "unknown" until the first answer, then "up" or "down" for this page
    this.probing = false;
    this.value = null; // the query last handed to the app
    this.shown = null; // the query whose results are listed
    this.pending = null; // the request in flight
    this.timer = null;
    this.openFirst = false;
  }

  HeaderSearch.prototype.start = function () {
    var self = this, changed = function () { self.changed(); };
    ["input", "keyup"].forEach(function (type) { self.input.addEventListener(type, changed); });
    this.input.addEventListener("keydown", function (event) { self.enter(event); });
    this.input.form.addEventListener("reset", function () { setTimeout(changed, 0); });
    this.input.addEventListener("focus", function () { self.probe(); });
    this.toggle.addEventListener("change", function () { self.followMaterialList(); if (self.toggle.checked) self.probe(); });
    if (this.toggle.checked || document.activeElement === this.input) this.probe();
  };

  // Is the app there? Asked once, when the search first opens, with an empty query (no search runs).
  HeaderSearch.prototype.probe = function () {
    if (this.app !== "unknown" || this.probing) return;
    var self = this;
    this.probing = true;
    ask(this.settings.endpoint, "", null).answer.then(function () {
      self.app = "up";
      self.changed(true);
    }, function () {
      self.app = "down";
    });
  };

  HeaderSearch.prototype.changed = function (now) {
    var q = this.input.value.trim();
    if (this.app !== "up" || q === this.value) return;
    this.value = q;
    clearTimeout(this.timer);
    if (!now) this.openFirst = false;
    if (!q) {
      if (this.pending) this.pending.control.abort();
      this.pending = null;
      this.render(q, []);
      return;
    }
    var self = this;
    this.timer = setTimeout(function () { self.search(q); }, now ? 0 : DEBOUNCE_MS);
  };

  // Enter in the box opens the best result (Material's own handling, on the listed results). While
  // the list is still for earlier words, it must not: ask now, and open the first of the answer.
  HeaderSearch.prototype.enter = function (event) {
    if (event.key !== "Enter" || event.isComposing || this.app !== "up") return;
    var q = this.input.value.trim();
    if (this.shown === q) return;
    event.preventDefault();
    event.stopPropagation(); // Material listens on the window, after the box
    this.openFirst = true;
    if (this.pending && this.pending.q === q) return; // its answer is on the way
    this.value = null;
    this.changed(true);
  };

  HeaderSearch.prototype.search = function (q) {
    if (this.app !== "up") return;
    var self = this, asked = ask(this.settings.endpoint, q, this.pending);
    asked.q = q;
    this.pending = asked;
    asked.answer.then(function (results) {
      if (self.pending === asked) self.render(q, results);
    }, function (status) {
      if (self.pending !== asked) return; // a newer query replaced it
      if (status !== 429) self.app = "down"; // over the app's search limit: Material answers this query only
      self.show(self.material);
      self.shown = q; // Material's list, for these words: Enter is Material's again
      self.openFirst = false;
    });
  };

  HeaderSearch.prototype.render = function (q, results) {
    var settings = this.settings, list = this.ours.list;
    list.textContent = "";
    results.forEach(function (r, rank) {
      var item = resultItem(r, rank, results.length, settings.highlight);
      if (item) list.appendChild(item);
    });
    this.ours.meta.textContent = countLine(settings.texts, q, list.children.length);
    this.shown = q;
    this.show(this.ours);
    var first = list.querySelector("a");
    if (this.openFirst && first) first.click();
    this.openFirst = false;
  };

  // Put `wanted` (ours or Material's count line and list) where the other one is.
  HeaderSearch.prototype.show = function (wanted) {
    var other = wanted === this.ours ? this.material : this.ours;
    if (other.meta.isConnected) other.meta.replaceWith(wanted.meta);
    if (other.list.isConnected) other.list.replaceWith(wanted.list);
    this.followMaterialList();
  };

  // Material hides its list from the accessibility tree while the dialog is closed; ours follows.
  HeaderSearch.prototype.followMaterialList = function () {
    this.ours.list.hidden = this.material.list.hidden;
    this.ours.list.setAttribute("role", this.material.list.getAttribute("role") || "presentation");
  };

  function settingsFrom(data) {
    return {
      endpoint: data.suggest,
      highlight: data.highlight === "True",
      texts: { placeholder: data.placeholder, none: data.none, one: data.one, other: data.other }
    };
  }

  // Material's bundle, loaded before this script, has set up its search by now.
  function mount() {
    var dialog = document.querySelector(".md-search[data-md-component=search]");
    if (!dialog || dialog.hasAttribute("data-deflect-search")) return;
    dialog.setAttribute("data-deflect-search", "");
    // Material's search dialog has no accessible name (axe-core: aria-dialog-name).
    if (!dialog.hasAttribute("aria-label")) dialog.setAttribute("aria-label", script.dataset.dialogName);
    var parts = {
      input: dialog.querySelector("[data-md-component=search-query]"),
      toggle: document.querySelector("[data-md-toggle=search]"),
      meta: dialog.querySelector("[data-md-component=search-result] > .md-search-result__meta"),
      list: dialog.querySelector("[data-md-component=search-result] > .md-search-result__list")
    };
    var complete = parts.input && parts.input.form && parts.toggle && parts.meta && parts.list;
    if (complete && window.fetch && window.AbortController) new HeaderSearch(parts, settingsFrom(script.dataset)).start();
  }

  mount();
})();
