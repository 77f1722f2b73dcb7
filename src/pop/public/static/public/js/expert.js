/* Expert builder enhancements (the builder works without them, as a plain form):
   - the operator list follows the chosen field's type;
   - no value box for "existe" / "n'existe pas";
   - values autocomplete from the index (a <datalist> filled as you type);
   - the query is restated in words as you edit it. */
(function () {
  "use strict";
  var form = document.querySelector("[data-builder]");
  if (!form) { return; }
  var OPS = JSON.parse(form.getAttribute("data-ops") || "{}");
  var NO_VALUE = JSON.parse(form.getAttribute("data-no-value") || "[]");
  var suggestUrl = form.getAttribute("data-suggest-url");
  var WORDS = { "*": "contient", "==": "=", "^": "commence par", "!*": "ne contient pas", "!=": "≠",
    "===*": "contient strictement", "===": "= (strict)", "===^": "commence strictement par",
    "!==*": "ne contient pas strictement", "!==": "≠ (strict)", ">=": "≥", "<=": "≤", ">": ">", "<": "<",
    "∃": "existe", "!∃": "n’existe pas" };

  function kindOf(select) {
    var opt = select.options[select.selectedIndex];
    return (opt && opt.getAttribute("data-kind")) || "text";
  }
  function syncOperators(rule) {
    var field = rule.querySelector("[data-field]");
    var op = rule.querySelector("[data-operator]");
    var current = op.value;
    var ops = OPS[kindOf(field)] || OPS.text;
    op.innerHTML = "";
    ops.forEach(function (pair) {
      var o = document.createElement("option");
      o.value = pair[0]; o.textContent = pair[1];
      if (pair[0] === current) { o.selected = true; }
      op.appendChild(o);
    });
    syncValue(rule);
  }
  function syncValue(rule) {
    var op = rule.querySelector("[data-operator]");
    var box = rule.querySelector(".pop-rule__value");
    var hide = NO_VALUE.indexOf(op.value) !== -1;
    box.hidden = hide;
    box.querySelector("input").disabled = hide;
  }

  function ruleWords(rule) {
    var field = rule.querySelector("[data-field]");
    var op = rule.querySelector("[data-operator]").value;
    var value = rule.querySelector("[data-value]").value.trim();
    if (!field.value || (NO_VALUE.indexOf(op) === -1 && !value)) { return ""; }
    var label = field.options[field.selectedIndex].textContent.replace(/\s*\([A-Z0-9_]+\)$/, "");
    var group = field.options[field.selectedIndex].parentNode;
    if (group && group.label && group.label.indexOf("Champs de la base ") === 0) { label += " (" + group.label.slice(18) + ")"; }
    if (NO_VALUE.indexOf(op) !== -1) { return label + " " + WORDS[op]; }
    var numeric = /^[0-9.]+$/.test(value) && ["==", "!=", ">=", "<=", ">", "<"].indexOf(op) !== -1;
    return label + " " + (WORDS[op] || op) + " " + (numeric ? value : "« " + value + " »");
  }
  function groupWords(group) {
    var comb = group.querySelector("[data-combinator]").value === "OR" ? " OU " : " ET ";
    var body = group.querySelector(".pop-group__body");
    var parts = [];
    Array.prototype.forEach.call(body.children, function (child) {
      if (child.hasAttribute("data-rule")) {
        var w = ruleWords(child);
        if (w) { parts.push(w); }
      } else if (child.hasAttribute("data-group")) {
        var inner = groupWords(child);
        if (inner.text) { parts.push(inner.count > 1 ? "(" + inner.text + ")" : inner.text); }
      }
    });
    return { text: parts.join(comb), count: parts.length };
  }
  var wordsEl = form.querySelector("[data-words]");
  function updateWords() {
    var rootGroup = form.querySelector("[data-group]");
    if (!rootGroup || !wordsEl) { return; }
    var w = groupWords(rootGroup).text;
    wordsEl.textContent = w || "Aucune règle complète pour le moment.";
  }

  var timers = new WeakMap();
  function suggest(input) {
    var rule = input.closest("[data-rule]");
    var field = rule.querySelector("[data-field]").value;
    var prefix = input.value.trim();
    var list = document.getElementById(input.getAttribute("list"));
    if (!field || prefix.length < 2 || !list) { return; }
    var bases = Array.prototype.map.call(form.querySelectorAll("input[name=base]:checked"), function (b) { return "&base=" + encodeURIComponent(b.value); }).join("");
    fetch(suggestUrl + "?champ=" + encodeURIComponent(field) + "&prefixe=" + encodeURIComponent(prefix) + bases, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        list.innerHTML = "";
        (data.values || []).forEach(function (v) {
          var o = document.createElement("option");
          o.value = v;
          list.appendChild(o);
        });
      }).catch(function () { /* autocomplete is optional */ });
  }

  form.querySelectorAll("[data-rule]").forEach(function (rule) { syncValue(rule); });
  form.addEventListener("change", function (ev) {
    var rule = ev.target.closest("[data-rule]");
    if (ev.target.matches("[data-field]")) { syncOperators(rule); }
    if (ev.target.matches("[data-operator]")) { syncValue(rule); }
    updateWords();
  });
  form.addEventListener("input", function (ev) {
    if (ev.target.matches("[data-value]")) {
      updateWords();
      clearTimeout(timers.get(ev.target));
      timers.set(ev.target, setTimeout(function () { suggest(ev.target); }, 250));
    }
  });
})();
