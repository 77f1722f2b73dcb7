"""Results page (simple search), expert builder, map clusters and value suggestions."""
from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from pop.exports.views import export_view, search_export
from pop.public import expert as expert_mod
from pop.public import results as results_mod
from pop.public.expert import ExpertState
from pop.public.searchparams import DISPLAY_KEYS, SearchState
from pop.schema import registry
from pop.search.interface import QueryError, map_clusters, suggest

log = logging.getLogger("pop.public")


def _path(request) -> str:
    return request.path + ("?" + request.GET.urlencode() if request.GET else "")


def results(request):
    state = SearchState.from_query(request.GET)
    page = results_mod.run(state, _path(request))
    if page.get("page_beyond"):
        state.messages.append(f"La page {state.page} n’existe pas : cette recherche compte {page['last_page']} page"
                              f"{'s' if page['last_page'] > 1 else ''}.")
    title = f"Résultats pour « {state.text} »" if state.text else "Rechercher dans POP"
    return render(request, "public/results.html", {
        "page_title": title, "heading": title, "state": state, "page": page, "messages_fr": state.messages,
        "nav_section": "map" if state.view == "map" else "search", "mode": "simple",
        "hidden": state.hidden_inputs("q"), "facet_hidden": _facet_hidden(state),
        "export_params": _search_params(state), "export_url": reverse("public:results_export"),
        "export_formats": results_mod.EXPORT_FORMATS,
        "permalink": settings.POP_SITE_URL.rstrip("/") + _path(request),
        "tile_url": settings.POP_MAP_TILE_URL, "map_data_url": reverse("public:map_data"),
        "breadcrumb": [{"title": "Recherche"}],
    })


def _search_params(state) -> list[tuple[str, str]]:
    """The search itself (text, bases, facets or rule tree), without view, sort or page: what an
    export form repeats."""
    return [(k, v) for k, v in state.params() if k not in DISPLAY_KEYS and k != "plus" and not k.startswith("filtre-")]


def _facet_hidden(state) -> list[tuple[str, str]]:
    """State repeated in the facet form, minus what the form itself carries (facet checkboxes,
    base checkboxes and facet value searches)."""
    from pop.public.searchparams import FILTER_FACETS
    skip = {"base", *FILTER_FACETS}
    return [(k, v) for k, v in state.params() if k not in skip and not k.startswith("filtre-") and k != "page"]


def expert(request):
    state = ExpertState.from_query(request.GET)
    action = request.GET.get("action", "")
    if action:
        if not state.apply(action):
            state.messages.append("Cette action sur le formulaire n’est pas reconnue.")
        else:
            params = state.params()
            anchor = ""
            return redirect(reverse("public:expert") + ("?" + urlencode(params) if params else "") + anchor)
    if not state.tree["rules"]:
        state.tree["rules"].append({"field": "group:titre", "operator": "*", "value": ""})
    page = None
    if not state.is_empty:
        page = results_mod.run(state, _path(request), facets=False)
        if page.get("page_beyond"):
            state.messages.append(f"La page {state.page} n’existe pas : cette recherche compte {page['last_page']} pages.")
    words = state.words()
    groups = expert_mod.field_options(state.bases)
    html = expert_mod.options_html(groups)
    rows = state.rows()
    for row in rows:
        if row["kind"] == "rule":
            row["options"] = mark_safe(_rule_options(html, row["field"]))
            row["ops"] = [(o, expert_mod.OP_LABELS[o]) for o in expert_mod.OPS_BY_KIND[row["kind_of_field"]]]
    return render(request, "public/expert.html", {
        "page_title": "Recherche experte" + (f" : {words}" if words else ""), "state": state, "page": page,
        "words": words, "rows": rows,
        "ops_json": {k: [[o, expert_mod.OP_LABELS[o]] for o in ops] for k, ops in expert_mod.OPS_BY_KIND.items()},
        "no_value_ops": list(expert_mod.NO_VALUE),
        "op_labels": expert_mod.OP_LABELS, "all_bases": registry.bases(), "messages_fr": state.messages,
        "nav_section": "expert", "mode": "expert", "hidden": state.hidden_inputs(),
        "export_params": _search_params(state), "export_url": reverse("public:expert_export"),
        "export_formats": results_mod.EXPORT_FORMATS,
        "permalink": settings.POP_SITE_URL.rstrip("/") + _path(request),
        "tile_url": settings.POP_MAP_TILE_URL, "map_data_url": reverse("public:map_data"),
        "breadcrumb": [{"title": "Recherche experte"}],
    })


def _export_refused(request, message: str, status: int):
    return render(request, "public/message.html", {"page_title": "Export impossible", "message": message},
                  status=status)


def _export_options(request) -> tuple[str, str | None]:
    return request.GET.get("format", "csv"), request.GET.get("fields") or None


@require_http_methods(["GET", "HEAD"])
@export_view
def results_export(request):
    """Export of a simple search from the results page's plain form (no JavaScript needed): the
    results URL's parameters (its criteria and sort) plus ``format`` and optional ``fields``."""
    params = request.GET.copy()
    for key in ("format", "fields"):
        params.pop(key, None)
    state = SearchState.from_query(params)
    return search_export(request, state.query(offset=0, with_facets=False), *_export_options(request))


@require_http_methods(["GET", "HEAD"])
@export_view
def expert_export(request):
    """Export of an expert search from a plain form: the builder's URL parameters (the permalink's
    rule tree and sort) plus ``format`` and optional ``fields``."""
    state = ExpertState.from_query(request.GET)
    if state.is_empty:
        return _export_refused(request, "Cette recherche experte ne contient aucune règle complète : choisissez un "
                                        "champ et une valeur avant d’exporter les résultats.", 400)
    return search_export(request, state.query(offset=0), *_export_options(request))


def _rule_options(html: str, field: str) -> str:
    if not field:
        return '<option value="" selected>— Choisir un champ —</option>' + html
    if f'value="{escape(field)}"' in html:
        return expert_mod.select_option(html, field)
    info = expert_mod.resolve_field(field)
    label = info["label"] if info else field
    return f'<option value="{escape(field)}" selected>{escape(label)}</option>' + html


def _error(message: str, status: int = 400, code: str = "invalid_query") -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def map_data(request):
    """Clusters (zoomed out) or records (zoomed in) of the current search inside the map view,
    plus the first records in view for the side list."""
    mode = request.GET.get("mode", "simple")
    state = ExpertState.from_query(request.GET) if mode == "expert" else SearchState.from_query(request.GET)
    if state.zone is None:
        return _error("Paramètre « zone » manquant ou invalide (sud,ouest,nord,est).")
    zoom = state.zoom if state.zoom is not None else 5
    try:
        query = state.query(size=20, offset=0, with_facets=False, bbox=state.zone, geolocated=True)
        clusters = results_mod.cached("map", query, lambda: map_clusters(query, bbox=state.zone, zoom=zoom), zoom)
        listing = results_mod._search(query)
    except QueryError as exc:
        return _error(exc.message)
    except Exception:  # noqa: BLE001
        log.exception("carte indisponible")
        return _error("La carte est momentanément indisponible.", status=503, code="unavailable")
    search_path = (reverse("public:expert") if mode == "expert" else reverse("public:results")) + "?" + urlencode(
        [(k, v) for k, v in state.params() if k not in ("zone", "z")])
    cards = [results_mod._card(h, search_path, i) for i, h in enumerate(listing.hits)]
    records = []
    for r in clusters.get("records", []):
        b = registry.find(r.get("base", ""))
        records.append({**r, "url": reverse("public:notice", args=[b.public_slug, r["ref"]]) if b else ""})
    return JsonResponse({
        "total": clusters.get("total", 0),
        "clusters": [{"lat": c["lat"], "lon": c["lon"], "count": c["count"], "bbox": list(c.get("bbox") or ())}
                     for c in clusters.get("clusters", [])],
        "records": records,
        "list": {"total": listing.total,
                 "items": [{"title": c["title"], "url": c["url"], "base": c["base"].short_label if c["base"] else "",
                            "ref": c["ref"], "item": c["item"]} for c in cards]},
    })


def suggestions(request):
    """Values for the expert builder's autocomplete: ?champ=group:titre|merimee:DENO&prefixe=egl"""
    field = request.GET.get("champ", "")
    prefix = request.GET.get("prefixe", "").strip()[:100]
    info = expert_mod.resolve_field(field)
    if info is None:
        return _error(f"Le champ « {field[:60]} » n’existe pas.")
    if len(prefix) < 1:
        return JsonResponse({"values": []})
    bases = [info["base"]] if info.get("base") else [b for b in request.GET.getlist("base") if registry.find(b)]
    codes = [info["field"]]
    if info["field"].startswith("group:"):  # a cross-base group: the values of its fields
        from pop.schema.groups import GROUPS_BY_KEY
        codes = list(GROUPS_BY_KEY[info["field"][6:]].codes)
    values: list[str] = []
    for code in codes:
        try:
            values += [v for v in suggest(code, prefix, bases=bases, size=10) if v not in values]
        except QueryError as exc:
            if len(codes) == 1:
                return _error(exc.message)
        except Exception:  # noqa: BLE001 - autocomplete is optional
            log.exception("suggestions indisponibles")
        if len(values) >= 10:
            break
    return JsonResponse({"values": values[:10]})
