/* IIIF deep-zoom viewer for record pages (see templates/iiif/viewer.html).
 * Reads the record's IIIF Presentation 3.0 manifest, opens every canvas in OpenSeadragon
 * (tiles through the Image API; images capped by rights open as a single reduced image),
 * and wires an accessible toolbar, a thumbnail strip and the credits of the current image. */
(function () {
  "use strict";

  function text(value) {
    if (!value) return "";
    var langs = Object.keys(value);
    return langs.length ? (value.fr || value.none || value[langs[0]]).join(" ; ") : "";
  }

  function sourceOf(canvas) {
    var anno = canvas.items[0].items[0];
    var body = anno.body;
    var service = (body.service || [])[0];
    var reduced = body.width < canvas.width || body.height < canvas.height;
    var tileSource = (!service || reduced)
      ? { type: "image", url: body.id, buildPyramid: false }
      : service.id + "/info.json";
    return {
      tileSource: tileSource,
      reduced: reduced,
      label: text(canvas.label),
      credit: canvas.requiredStatement ? text(canvas.requiredStatement.value) : "",
      thumb: canvas.thumbnail && canvas.thumbnail[0] ? canvas.thumbnail[0].id : body.id
    };
  }

  function setup(root) {
    var canvasEl = root.querySelector(".pop-iiif__canvas");
    var toolbar = root.querySelector(".pop-iiif__toolbar");
    var status = root.querySelector(".pop-iiif__status");
    var creditEl = root.querySelector(".pop-iiif__credit");
    var strip = root.querySelector(".pop-iiif__strip");
    var pager = root.querySelector(".pop-iiif__pager");
    var count = root.querySelector(".pop-iiif__count");

    function say(message) { status.textContent = message; status.hidden = !message; }

    fetch(root.dataset.manifest, { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (manifest) {
        var items = (manifest.items || []).map(sourceOf);
        if (!items.length) {
          root.classList.add("is-empty");
          say("Aucune image diffusable pour cette notice.");
          return;
        }
        if (typeof OpenSeadragon === "undefined") { say("La visionneuse n'a pas pu être chargée."); return; }
        var viewer = OpenSeadragon({
          element: canvasEl,
          prefixUrl: root.dataset.osdImages,
          tileSources: items.map(function (i) { return i.tileSource; }),
          sequenceMode: items.length > 1,
          showNavigationControl: false,
          showSequenceControl: false,
          showNavigator: true,
          autoHideControls: false,
          navigatorAutoFade: true,
          degrees: 0,
          crossOriginPolicy: "Anonymous",
          gestureSettingsMouse: { clickToZoom: false },
          maxZoomPixelRatio: 2
        });
        root.popViewer = viewer;  // for tests and page scripts
        var page = 0;
        var thumbs = [];

        function show(n) {
          page = n;
          var item = items[n];
          creditEl.textContent = item.credit ? "Crédits : " + item.credit : "";
          var notes = [];
          if (item.reduced) notes.push("Reproduction soumise à autorisation : image diffusée en taille réduite.");
          say(notes.join(" "));
          count.textContent = (n + 1) + " / " + items.length;
          thumbs.forEach(function (b, i) { b.setAttribute("aria-current", i === n ? "true" : "false"); });
          viewer.canvas.setAttribute("aria-label", (item.label || "Image") +
            ". Touches : + et − pour zoomer, flèches pour se déplacer, R pour pivoter, F pour le plein écran, 0 pour la vue d'ensemble.");
        }

        if (items.length > 1) {
          pager.hidden = false;
          strip.hidden = false;
          items.forEach(function (item, i) {
            var li = document.createElement("li");
            var b = document.createElement("button");
            b.type = "button";
            b.title = item.label || ("Image " + (i + 1));
            var img = document.createElement("img");
            img.src = item.thumb;
            img.alt = "Image " + (i + 1) + (item.label ? " : " + item.label : "");
            img.loading = "lazy";
            b.appendChild(img);
            b.addEventListener("click", function () { viewer.goToPage(i); });
            li.appendChild(b);
            strip.appendChild(li);
            thumbs.push(b);
          });
        }
        viewer.addHandler("page", function (e) { show(e.page); });

        function rotate(delta) { viewer.viewport.setRotation((viewer.viewport.getRotation() + delta + 360) % 360); }
        function fullScreen() {
          var on = !viewer.isFullPage();
          viewer.setFullScreen(on);
        }
        viewer.addHandler("full-page", function (e) {
          var b = toolbar.querySelector('[data-action="full-screen"]');
          b.setAttribute("aria-pressed", e.fullPage ? "true" : "false");
        });
        var actions = {
          "zoom-in": function () { viewer.viewport.zoomBy(1.5); viewer.viewport.applyConstraints(); },
          "zoom-out": function () { viewer.viewport.zoomBy(1 / 1.5); viewer.viewport.applyConstraints(); },
          "home": function () { viewer.viewport.goHome(); },
          "rotate-left": function () { rotate(-90); },
          "rotate-right": function () { rotate(90); },
          "full-screen": fullScreen,
          "previous": function () { if (page > 0) viewer.goToPage(page - 1); },
          "next": function () { if (page < items.length - 1) viewer.goToPage(page + 1); }
        };
        toolbar.hidden = false;
        // The toolbar lives inside the viewer so that it stays usable in full screen.
        viewer.addControl(toolbar, { anchor: OpenSeadragon.ControlAnchor.TOP_LEFT, autoFade: false });
        toolbar.addEventListener("click", function (e) {
          var b = e.target.closest("button[data-action]");
          if (b && actions[b.dataset.action]) actions[b.dataset.action]();
        });
        // OpenSeadragon's own keys work on its focusable canvas (+ − 0, arrows, r/R rotate);
        // F is full screen here (instead of OpenSeadragon's flip), Page Up/Down change image.
        viewer.canvas.setAttribute("role", "application");
        viewer.canvas.setAttribute("aria-roledescription", "visionneuse d'images");
        viewer.addHandler("canvas-key", function (e) {
          var key = e.originalEvent.key;
          if (key === "f" || key === "F") { e.preventDefaultAction = true; if (e.originalEvent.type === "keydown") fullScreen(); }
          if (key === "PageDown" && e.originalEvent.type === "keydown") { e.preventDefaultAction = true; actions.next(); }
          if (key === "PageUp" && e.originalEvent.type === "keydown") { e.preventDefaultAction = true; actions.previous(); }
        });
        show(0);
      })
      .catch(function () { say("Les images de cette notice n'ont pas pu être chargées."); });
  }

  function start() { Array.prototype.forEach.call(document.querySelectorAll(".pop-iiif[data-manifest]"), setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
