/* POP public site: progressive enhancements (everything works without this file).
   - basket (panier) kept in localStorage, without size limit: items are "base/REF" strings;
   - copy-to-clipboard buttons (permalinks);
   - live facets (a checkbox submits the facet form; focus comes back to it after the reload),
     filtering of facet values as you type, facet panel shown as a dialog on small screens. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("pop-js");
  var KEY = "pop.panier";
  var FOCUS_KEY = "pop.focus";

  /* ---------------------------------------------------------------- live region */
  var live = document.createElement("div");
  live.className = "fr-sr-only";
  live.setAttribute("role", "status");
  live.setAttribute("aria-live", "polite");
  document.body.appendChild(live);
  function announce(text) {
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  /* ---------------------------------------------------------------- basket */
  function load() {
    try {
      var v = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      return Array.isArray(v) ? v.filter(function (x) { return typeof x === "string" && x.indexOf("/") > 0; }) : [];
    } catch (e) { return []; }
  }
  function save(items) {
    try { window.localStorage.setItem(KEY, JSON.stringify(items)); } catch (e) { announce("Le panier n’a pas pu être enregistré."); }
    refresh();
  }
  function has(item) { return load().indexOf(item) !== -1; }
  function add(list) {
    var items = load();
    var added = 0;
    list.forEach(function (i) { if (i && items.indexOf(i) === -1) { items.push(i); added += 1; } });
    save(items);
    return added;
  }
  function remove(item) { save(load().filter(function (x) { return x !== item; })); }
  function plural(n, word) { return n + " " + word + (n > 1 ? "s" : ""); }

  function setLabel(btn, text) {
    for (var i = 0; i < btn.childNodes.length; i++) {
      if (btn.childNodes[i].nodeType === 3 && btn.childNodes[i].textContent.trim()) { btn.childNodes[i].textContent = text; return; }
    }
  }
  function refresh() {
    var n = load().length;
    document.querySelectorAll("[data-basket-count]").forEach(function (el) { el.textContent = n ? String(n) : ""; });
    document.querySelectorAll("[data-basket-toggle]").forEach(function (btn) {
      var inside = has(btn.getAttribute("data-basket-item"));
      setLabel(btn, inside ? "Retirer du panier" : "Ajouter au panier");
      btn.classList.toggle("fr-icon-delete-line", inside);
      btn.classList.toggle("fr-icon-shopping-cart-2-line", !inside);
    });
  }

  document.addEventListener("click", function (ev) {
    var t = ev.target.closest ? ev.target.closest("button, a") : null;
    if (!t) { return; }
    if (t.hasAttribute("data-basket-toggle")) {
      var item = t.getAttribute("data-basket-item");
      if (has(item)) { remove(item); announce("Notice retirée du panier (" + plural(load().length, "notice") + ")."); }
      else { add([item]); announce("Notice ajoutée au panier (" + plural(load().length, "notice") + ")."); }
    } else if (t.hasAttribute("data-basket-add-all")) {
      var scope = t.closest("[data-results]") || document;
      var items = Array.prototype.map.call(scope.querySelectorAll("[data-basket-scope] [data-basket-item]"),
        function (el) { return el.getAttribute("data-basket-item"); });
      var added = add(items);
      announce(plural(added, "notice") + " ajoutée" + (added > 1 ? "s" : "") + " au panier (" + plural(load().length, "notice") + " en tout).");
    } else if (t.hasAttribute("data-copy")) {
      copy(t.getAttribute("data-copy"), "Lien copié dans le presse-papiers.");
    } else if (t.hasAttribute("data-basket-remove")) {
      var it = t.getAttribute("data-basket-remove");
      remove(it);
      var row = t.closest("[data-basket-row]");
      if (row) { row.parentNode.removeChild(row); }
      basketStatus();
      announce("Notice retirée du panier.");
    } else if (t.hasAttribute("data-basket-clear")) {
      save([]);
      var list = document.querySelector("[data-basket-list]");
      if (list) { list.innerHTML = ""; }
      basketStatus();
      announce("Le panier a été vidé.");
    } else if (t.hasAttribute("data-basket-share")) {
      var url = window.location.origin + window.location.pathname + "?" +
        load().map(function (i) { return "n=" + encodeURIComponent(i); }).join("&");
      copy(url, "Lien de partage du panier copié dans le presse-papiers.");
      var st = document.querySelector("[data-basket-share-status]");
      if (st) { st.textContent = "Lien de partage : " + url; }
    } else if (t.hasAttribute("data-basket-import")) {
      var rows = Array.prototype.map.call(document.querySelectorAll("[data-basket-shared] [data-basket-row]"),
        function (el) { return el.getAttribute("data-basket-row"); });
      var n = add(rows);
      announce(plural(n, "notice") + " ajoutée" + (n > 1 ? "s" : "") + " à votre panier.");
      t.textContent = "Notices ajoutées à votre panier";
    }
  });

  function copy(text, done) {
    function fallback() {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "fr-sr-only";
      document.body.appendChild(area);
      area.select();
      try { document.execCommand("copy"); announce(done); } catch (e) { announce("Copie impossible : " + text); }
      document.body.removeChild(area);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { announce(done); }, fallback);
    } else { fallback(); }
  }

  /* basket page: render the stored items in chunks */
  function basketStatus() {
    var st = document.querySelector("[data-basket-status]");
    if (!st) { return; }
    var n = load().length;
    st.textContent = n ? "Le panier contient " + plural(n, "notice") + "." : "Le panier est vide.";
    var tools = document.querySelector("[data-basket-tools]");
    if (tools) { tools.hidden = !n; }
  }
  var page = document.querySelector("[data-basket-page]");
  var list = document.querySelector("[data-basket-list]");
  if (page && list) {
    basketStatus();
    var items = load();
    var size = parseInt(page.getAttribute("data-chunk"), 10) || 100;
    var base = page.getAttribute("data-chunk-url");
    var chunks = [];
    for (var i = 0; i < items.length; i += size) { chunks.push(items.slice(i, i + size)); }
    (function next(k) {
      if (k >= chunks.length) { list.setAttribute("aria-busy", "false"); return; }
      list.setAttribute("aria-busy", "true");
      var qs = chunks[k].map(function (x) { return "n=" + encodeURIComponent(x); }).join("&");
      fetch(base + "?" + qs, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
        list.insertAdjacentHTML("beforeend", html);
        next(k + 1);
      }).catch(function () { announce("Une partie du panier n’a pas pu être affichée."); });
    })(0);
    var exportForm = document.querySelector("[data-basket-export]");
    if (exportForm) {
      exportForm.addEventListener("submit", function () {
        exportForm.querySelectorAll("input[name=n]").forEach(function (el) { el.parentNode.removeChild(el); });
        load().forEach(function (item) {
          var input = document.createElement("input");
          input.type = "hidden"; input.name = "n"; input.value = item;
          exportForm.appendChild(input);
        });
      });
    }
  }

  /* ---------------------------------------------------------------- facets */
  function fold(s) { return (s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); }
  var facetForm = document.querySelector("[data-facets-form]");
  if (facetForm) {
    facetForm.addEventListener("change", function (ev) {
      if (ev.target.matches("[data-facet-auto]")) {
        try { window.sessionStorage.setItem(FOCUS_KEY, ev.target.name + "=" + ev.target.value); } catch (e) { /* ignore */ }
        facetForm.submit();
      }
    });
    facetForm.querySelectorAll("[data-facet-search]").forEach(function (input) {
      input.addEventListener("input", function () {
        var box = document.getElementById(input.getAttribute("data-facet-search"));
        var q = fold(input.value.trim());
        box.querySelectorAll("[data-facet-value]").forEach(function (el) {
          el.hidden = q !== "" && fold(el.getAttribute("data-facet-value")).indexOf(q) === -1;
        });
      });
    });
    var wanted = null;
    try { wanted = window.sessionStorage.getItem(FOCUS_KEY); window.sessionStorage.removeItem(FOCUS_KEY); } catch (e) { /* ignore */ }
    if (wanted) {
      var eq = wanted.indexOf("=");
      var name = wanted.slice(0, eq), value = wanted.slice(eq + 1);
      facetForm.querySelectorAll("input[type=checkbox]").forEach(function (cb) {
        if (cb.name === name && cb.value === value) {
          var panel = document.querySelector("[data-facets-panel]");
          if (window.matchMedia("(max-width: 47.99em)").matches && panel) { openPanel(); }
          cb.focus();
        }
      });
    }
  }
  var openBtn = document.querySelector("[data-facets-open]");
  var panel = document.querySelector("[data-facets-panel]");
  function openPanel() {
    if (!panel) { return; }
    panel.classList.add("pop-facets-panel--open");
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-modal", "true");
    if (openBtn) { openBtn.setAttribute("aria-expanded", "true"); }
    var close = panel.querySelector("[data-facets-close]");
    if (close) { close.focus(); }
  }
  function closePanel() {
    if (!panel) { return; }
    panel.classList.remove("pop-facets-panel--open");
    panel.setAttribute("role", "region");
    panel.removeAttribute("aria-modal");
    if (openBtn) { openBtn.setAttribute("aria-expanded", "false"); openBtn.focus(); }
  }
  if (openBtn && panel) {
    openBtn.addEventListener("click", openPanel);
    panel.querySelector("[data-facets-close]").addEventListener("click", closePanel);
    panel.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && panel.classList.contains("pop-facets-panel--open")) { closePanel(); }
    });
  }

  refresh();
  window.addEventListener("storage", function (ev) { if (ev.key === KEY) { refresh(); } });
})();
