// skelreport's site script: theme toggle, navigation drawer, contents, search (lunr over the
// build's section index, assets/search-index.js) and hover previews of references. Everything
// runs from the page's own files: no request leaves the site.
(function () {
  "use strict";
  var root = document.documentElement;
  var base = root.getAttribute("data-root") || "";

  // ---- Theme: auto (the system's), light or dark; the choice is kept in localStorage. The
  // head's inline script sets data-theme before the first paint, so there is no flash.
  var themes = ["auto", "light", "dark"];
  function storedTheme() {
    try {
      var t = localStorage.getItem("skel-theme");
      return t === "light" || t === "dark" ? t : "auto";
    } catch (e) {
      return "auto";
    }
  }
  function applyTheme(theme) {
    if (theme === "auto") root.removeAttribute("data-theme");
    else root.setAttribute("data-theme", theme);
    // Figures and thumbnails drawn in the dark theme follow the toggle, not only the system.
    var sources = document.querySelectorAll("picture source");
    for (var i = 0; i < sources.length; i++) {
      var s = sources[i];
      if (!s.hasAttribute("data-media")) s.setAttribute("data-media", s.media);
      var auto = s.getAttribute("data-media");
      if (auto.indexOf("prefers-color-scheme") < 0) continue;
      // "(max-width: …) and (prefers-color-scheme: dark), …" (a phone rendering) keeps its widths
      var rest = auto.replace(/\s*and\s*\(prefers-color-scheme:\s*dark\)/g, "").replace(/^\s*\(prefers-color-scheme:\s*dark\)\s*$/, "");
      s.media = theme === "dark" ? rest.trim() || "all" : theme === "light" ? "not all" : auto;
    }
    var button = document.querySelector(".theme-toggle");
    if (button) {
      var name = theme === "auto" ? "Auto" : theme === "light" ? "Light" : "Dark";
      button.textContent = name;
      button.setAttribute("aria-label", "Theme: " + (theme === "auto" ? "automatic" : theme) + " (click to change)");
    }
  }
  function setTheme(theme) {
    try {
      if (theme === "auto") localStorage.removeItem("skel-theme");
      else localStorage.setItem("skel-theme", theme);
    } catch (e) {}
    applyTheme(theme);
  }

  // ---- Navigation drawer on narrow screens.
  function setupNav() {
    var toggle = document.querySelector(".nav-toggle");
    var nav = document.getElementById("site-nav");
    if (!toggle || !nav) return;
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = !document.body.classList.contains("nav-open");
      document.body.classList.toggle("nav-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // ---- Contents: open beside the text on wide screens, folded above it on narrow ones.
  function setupContents() {
    var details = document.querySelector(".toc details");
    if (details && window.matchMedia("(max-width: 74.99rem)").matches) details.open = false;
  }

  // ---- Search.
  var index = null;
  var documents = [];
  function buildIndex() {
    if (index || typeof lunr === "undefined" || !window.skelSearchDocuments) return index;
    documents = window.skelSearchDocuments;
    index = lunr(function () {
      this.ref("i");
      this.field("title", { boost: 8 });
      this.field("page", { boost: 3 });
      this.field("text");
      // the formulas' TeX: searched (a query "kappa" finds κ), never shown (snippets are text)
      this.field("tex", { boost: 0.5 });
      this.metadataWhitelist = ["position"];
      for (var i = 0; i < documents.length; i++) {
        var d = documents[i];
        this.add({ i: String(i), title: d.title, page: d.page, text: d.text, tex: d.tex || "" });
      }
    });
    return index;
  }
  // Each word of the query matches as a whole (stemmed, as the index is) or as a prefix of a
  // word (unstemmed, so "activ" finds "activation"); sections matching more words rank first.
  function search(text) {
    var idx = buildIndex();
    if (!idx) return [];
    var words = lunr.tokenizer(text).map(function (t) { return t.toString(); }).filter(function (w) { return w.length > 0; });
    if (words.length === 0) return [];
    return idx.query(function (q) {
      words.forEach(function (w) {
        q.term(w, { boost: 10, usePipeline: true });
        q.term(w, { boost: 1, usePipeline: false, wildcard: lunr.Query.wildcard.TRAILING });
      });
    });
  }
  function snippet(d, words) {
    var text = d.text, lower = text.toLowerCase(), at = -1;
    for (var i = 0; i < words.length && at < 0; i++) at = lower.indexOf(words[i].toLowerCase());
    var start = Math.max(0, at - 60);
    var s = text.slice(start, start + 160);
    return (start > 0 ? "… " : "") + s + (start + 160 < text.length ? " …" : "");
  }
  function showResults(box, query) {
    box.textContent = "";
    if (!query.trim()) {
      box.hidden = true;
      return;
    }
    var hits = search(query).slice(0, 12);
    var words = query.split(/\s+/).filter(Boolean);
    var status = document.createElement("p");
    status.className = "search-status";
    status.textContent = hits.length === 0 ? "No section matches “" + query + "”." : hits.length + (hits.length === 1 ? " section" : " sections");
    box.appendChild(status);
    var list = document.createElement("ol");
    hits.forEach(function (hit) {
      var d = documents[Number(hit.ref)];
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = base + d.url;
      var title = document.createElement("span");
      title.className = "search-title";
      title.textContent = d.title === d.page ? d.page : d.page + " › " + d.title;
      var p = document.createElement("span");
      p.className = "search-snippet";
      p.textContent = snippet(d, words);
      a.appendChild(title);
      a.appendChild(p);
      li.appendChild(a);
      list.appendChild(li);
    });
    box.appendChild(list);
    box.hidden = false;
  }
  function setupSearch() {
    var input = document.getElementById("search-input");
    var box = document.getElementById("search-results");
    if (!input || !box) return;
    var form = input.form;
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { showResults(box, input.value); }, 80);
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      showResults(box, input.value);
      var first = box.querySelector("a");
      if (first) first.focus();
    });
    form.addEventListener("keydown", function (e) {
      if (e.key === "Escape") {
        box.hidden = true;
        input.focus();
      } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        var links = Array.prototype.slice.call(box.querySelectorAll("a"));
        if (links.length === 0) return;
        var i = links.indexOf(document.activeElement);
        i = e.key === "ArrowDown" ? Math.min(links.length - 1, i + 1) : i - 1;
        if (i < 0) input.focus();
        else links[i].focus();
        e.preventDefault();
      }
    });
    document.addEventListener("click", function (e) {
      if (!form.contains(e.target)) box.hidden = true;
    });
    var q = new URLSearchParams(window.location.search).get("q");
    if (q) {
      input.value = q;
      showResults(box, q);
    }
  }

  // ---- Hover previews of figure, table, equation, section and citation references.
  function previewContent(target) {
    var box = document.createElement("div");
    var node = target;
    if (node.tagName === "A" && node.parentElement && /^H[2-6]$/.test(node.parentElement.tagName)) node = node.parentElement;
    if (node.tagName === "FIGURE") {
      var img = node.querySelector("img");
      if (img) box.appendChild(img.cloneNode(true));
      var cap = node.querySelector("figcaption");
      if (cap) box.appendChild(cap.cloneNode(true));
    } else if (/^H[2-6]$/.test(node.tagName)) {
      box.appendChild(node.cloneNode(true));
      var next = node.nextElementSibling;
      if (next && next.tagName === "P") box.appendChild(next.cloneNode(true));
    } else {
      box.appendChild(node.cloneNode(true));
    }
    var withIds = box.querySelectorAll("[id]");
    for (var i = 0; i < withIds.length; i++) withIds[i].removeAttribute("id");
    var links = box.querySelectorAll(".figure-files");
    for (var j = 0; j < links.length; j++) links[j].remove();
    return box;
  }
  // ---- A figure wider than its box (a very narrow screen) scrolls in it: its hidden edge fades,
  // so the reader sees there is more (class "more-right" / "more-left").
  function setupFigureCues() {
    var boxes = document.querySelectorAll(".figure-image");
    function update(box) {
      var more = box.scrollWidth > box.clientWidth + 1;
      box.classList.toggle("more-right", more && box.scrollLeft + box.clientWidth < box.scrollWidth - 1);
      box.classList.toggle("more-left", more && box.scrollLeft > 1);
    }
    for (var i = 0; i < boxes.length; i++) {
      (function (box) {
        box.addEventListener("scroll", function () { update(box); }, { passive: true });
        var img = box.querySelector("img");
        if (img) img.addEventListener("load", function () { update(box); });
        update(box);
      })(boxes[i]);
    }
    window.addEventListener("resize", function () { for (var i = 0; i < boxes.length; i++) update(boxes[i]); });
  }

  function setupPreviews() {
    var tip = document.createElement("div");
    tip.className = "ref-preview";
    tip.setAttribute("role", "tooltip");
    tip.hidden = true;
    document.body.appendChild(tip);
    var timer = null;
    function hide() {
      clearTimeout(timer);
      tip.hidden = true;
    }
    function show(link) {
      var id = decodeURIComponent(link.getAttribute("href").slice(1));
      var target = document.getElementById(id);
      if (!target) return;
      tip.textContent = "";
      tip.appendChild(previewContent(target));
      tip.hidden = false;
      var r = link.getBoundingClientRect();
      var width = Math.min(420, window.innerWidth - 16);
      tip.style.width = width + "px";
      var left = Math.max(8, Math.min(window.scrollX + r.left, window.scrollX + window.innerWidth - width - 8));
      tip.style.left = left + "px";
      var below = window.scrollY + r.bottom + 6;
      tip.style.top = below + "px";
      var h = tip.getBoundingClientRect().height;
      if (r.bottom + 6 + h > window.innerHeight && r.top - 6 - h > 0) tip.style.top = window.scrollY + r.top - 6 - h + "px";
    }
    var refs = document.querySelectorAll("article a[href^='#']");
    for (var i = 0; i < refs.length; i++) {
      var a = refs[i];
      if (a.closest(".toc") || a.classList.contains("footnote-backref")) continue;
      a.addEventListener("mouseenter", function (e) {
        var link = e.currentTarget;
        clearTimeout(timer);
        timer = setTimeout(function () { show(link); }, 200);
      });
      a.addEventListener("focus", function (e) { show(e.currentTarget); });
      a.addEventListener("mouseleave", hide);
      a.addEventListener("blur", hide);
    }
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape") hide();
    });
  }

  function start() {
    applyTheme(storedTheme());
    var button = document.querySelector(".theme-toggle");
    if (button) {
      button.addEventListener("click", function () {
        setTheme(themes[(themes.indexOf(storedTheme()) + 1) % themes.length]);
      });
    }
    setupNav();
    setupContents();
    setupSearch();
    setupPreviews();
    setupFigureCues();
  }
  // Exposed for the browser tests (Tests/browser/site-check.mjs).
  window.skelSite = { search: function (q) { return search(q).map(function (h) { return documents[Number(h.ref)].url; }); }, setTheme: setTheme };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
