/* POP maps (Leaflet, served by the platform): record mini-maps, the results map with server-side
   clusters and a side list of the records in view, and the museums map. The tile server comes from
   the page (settings.POP_MAP_TILE_URL). Every marker is a focusable element (keyboard: Tab, Enter). */
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }
  var FRANCE = [[41.2, -5.3], [51.2, 9.7]];
  var ATTRIBUTION = "© les contributeurs d’OpenStreetMap";

  function tiles(map, el) {
    L.tileLayer(el.getAttribute("data-tiles"), { maxZoom: 19, attribution: ATTRIBUTION }).addTo(map);
  }
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

  /* ------------------------------------------------------------ record / museum mini-map */
  document.querySelectorAll("[data-minimap]").forEach(function (el) {
    var lat = parseFloat(el.getAttribute("data-lat")), lon = parseFloat(el.getAttribute("data-lon"));
    if (isNaN(lat) || isNaN(lon)) { return; }
    var map = L.map(el, { scrollWheelZoom: false }).setView([lat, lon], 13);
    tiles(map, el);
    L.marker([lat, lon], { title: el.getAttribute("data-label") || "", alt: el.getAttribute("data-label") || "Position" }).addTo(map);
  });

  /* ------------------------------------------------------------ museums directory */
  document.querySelectorAll("[data-museum-map]").forEach(function (el) {
    var map = L.map(el, { scrollWheelZoom: false }).fitBounds(FRANCE);
    tiles(map, el);
    fetch(el.getAttribute("data-endpoint"), { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      var pts = [];
      (data.museums || []).forEach(function (m) {
        var mk = L.marker([m.lat, m.lon], { title: m.name + " (" + m.city + ")", alt: m.name });
        mk.bindPopup('<a href="' + esc(m.url) + '">' + esc(m.name) + "</a><br>" + esc(m.city));
        mk.addTo(map);
        pts.push([m.lat, m.lon]);
      });
      if (pts.length === 1) { map.setView(pts[0], 12); } else if (pts.length) { map.fitBounds(pts, { padding: [20, 20] }); }
    });
  });

  /* ------------------------------------------------------------ results map */
  var el = document.querySelector("[data-map]");
  if (!el) { return; }
  var params = new URLSearchParams(window.location.search);
  var map = L.map(el, { scrollWheelZoom: true });
  tiles(map, el);
  var zone = (params.get("zone") || "").split(",").map(parseFloat);
  if (zone.length === 4 && zone.every(function (x) { return !isNaN(x); })) {
    map.fitBounds([[zone[0], zone[1]], [zone[2], zone[3]]]);
  } else {
    map.fitBounds(FRANCE);
  }
  var layer = L.layerGroup().addTo(map);
  var list = document.querySelector("[data-map-list]");
  var status = document.querySelector("[data-map-status]");
  var endpoint = el.getAttribute("data-endpoint");
  var query = el.getAttribute("data-query") || "";
  var mode = el.getAttribute("data-mode") || "simple";
  var pending = null;

  function bboxParam() {
    var b = map.getBounds();
    var clamp = function (v, lo, hi) { return Math.max(lo, Math.min(hi, v)); };
    return [clamp(b.getSouth(), -90, 90), clamp(b.getWest(), -180, 180), clamp(b.getNorth(), -90, 90), clamp(b.getEast(), -180, 180)]
      .map(function (x) { return x.toFixed(5); }).join(",");
  }
  function clusterIcon(n) {
    var size = n < 10 ? 30 : n < 100 ? 36 : n < 1000 ? 44 : 52;
    return L.divIcon({ className: "", html: '<span class="pop-cluster" style="width:' + size + "px;height:" + size + 'px">' + n + "</span>",
      iconSize: [size, size] });
  }
  function draw(data) {
    layer.clearLayers();
    (data.clusters || []).forEach(function (c) {
      if (c.count === 0) { return; }
      var mk = L.marker([c.lat, c.lon], { icon: clusterIcon(c.count), title: c.count + " notices : agrandir cette zone", keyboard: true });
      mk.on("click", function () {
        if (c.bbox && c.bbox.length === 4 && (c.bbox[0] !== c.bbox[2] || c.bbox[1] !== c.bbox[3])) {
          map.fitBounds([[c.bbox[0], c.bbox[1]], [c.bbox[2], c.bbox[3]]], { padding: [20, 20] });
        } else { map.setView([c.lat, c.lon], Math.min(map.getZoom() + 3, 18)); }
      });
      mk.addTo(layer);
    });
    (data.records || []).forEach(function (r) {
      var mk = L.marker([r.lat, r.lon], { title: r.title, alt: r.title, keyboard: true });
      mk.bindPopup('<a href="' + esc(r.url) + '">' + esc(r.title) + "</a>");
      mk.addTo(layer);
    });
    var items = (data.list && data.list.items) || [];
    if (list) {
      list.innerHTML = items.map(function (i) {
        return '<li><a href="' + esc(i.url) + '">' + esc(i.title) + '</a> <span class="fr-text--xs">(' + esc(i.base) + ')</span><span hidden data-basket-item="' + esc(i.item || "") + '"></span></li>';
      }).join("");
    }
    if (status) {
      var n = data.total || 0;
      status.textContent = n + " notice" + (n > 1 ? "s" : "") + " géolocalisée" + (n > 1 ? "s" : "") + " dans la zone affichée" +
        (items.length < n ? " ; les " + items.length + " premières sont listées." : ".");
    }
  }
  function update() {
    var z = map.getZoom();
    var zoneValue = bboxParam();
    var url = endpoint + "?" + query + (query ? "&" : "") + "mode=" + mode + "&zone=" + encodeURIComponent(zoneValue) + "&z=" + z;
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch(url, { credentials: "same-origin", signal: pending.signal }).then(function (r) { return r.json(); }).then(function (data) {
      if (data.error) { if (status) { status.textContent = data.error.message; } return; }
      draw(data);
    }).catch(function (e) { if (e.name !== "AbortError" && status) { status.textContent = "La carte n’a pas pu être mise à jour."; } });
    params.set("zone", zoneValue);
    params.set("z", String(z));
    window.history.replaceState(null, "", window.location.pathname + "?" + params.toString());
  }
  map.on("moveend", update);
  update();
})();
