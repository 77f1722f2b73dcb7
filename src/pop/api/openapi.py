"""The OpenAPI 3 description of /api (hand-written, one dict) and its HTML rendering at /api/docs.

The docs page is rendered on the server from the same dict (no JavaScript, no CDN), so it can
never disagree with /api/openapi.json. Limits shown come from settings and the engine interface.
"""
from __future__ import annotations

import json
import re

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe

from pop.api.http import api_view, json_response
from pop.api.params import MAX_DEPTH, MAX_RULES, max_offset, max_size
from pop.schema import registry
from pop.search.interface import MAX_FACET_SIZE, OPERATORS


def _param(name: str, description: str, schema: dict, *, where: str = "query", required: bool = False,
           example=None, style: str | None = None) -> dict:
    out = {"name": name, "in": where, "description": description, "required": required, "schema": schema}
    if example is not None:
        out["example"] = example
    if style:
        out["style"], out["explode"] = style, True
    return out


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _search_params() -> list[dict]:
    return [
        _param("text", "Texte libre. Guillemets pour une expression exacte, `+mot` obligatoire, `-mot` exclu ; "
               "insensible à la casse et aux accents.", {"type": "string", "maxLength": 500}, example="château fort"),
        _param("bases", "Bases à interroger (notation crochets : `bases[0]=memoire&bases[1]=joconde`). "
               "`rose-valland` et `mnr` désignent la même base.",
               {"type": "array", "items": {"type": "string", "enum": list(registry.public_slugs()) + ["mnr"]}},
               style="deepObject", example=["merimee"]),
        _param("facets", "Filtres de facette : `facets[CHAMP][i]=valeur` (`CHAMP` ou `CHAMP.keyword`, clé d'une "
               "agrégation). Valeurs combinées en OU dans un champ, en ET entre champs. `facets[base][0]=memoire` "
               "équivaut à `bases[0]=memoire`.",
               {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
               style="deepObject", example={"DOMN": ["peinture"]}),
        _param("filters", "`filters[hasImage]=true` : notices avec image ; `filters[hasCoordinates]=true` : "
               "notices géolocalisées.",
               {"type": "object", "properties": {"hasImage": {"type": "boolean"}, "hasCoordinates": {"type": "boolean"}},
                "additionalProperties": False}, style="deepObject"),
        _param("sort", "Tri : `sort[0][CHAMP.keyword]=asc|desc` ; `_score` (pertinence), `REF.keyword`, un champ "
               "titre (`TICO.keyword`, `TITR.keyword`…), un champ de période (`SCLE.keyword`…), `DMAJ.keyword` "
               "(dernière modification). Un second critère `REF.keyword` est admis.",
               {"type": "array", "items": {"type": "object", "additionalProperties": {"type": "string", "enum": ["asc", "desc"]}}},
               style="deepObject", example=[{"TICO.keyword": "asc"}]),
        _param("search_after", "Pagination profonde : les valeurs `sort` du dernier résultat de la page précédente "
               "(`search_after[0]=…&search_after[1]=…`), avec le même tri.",
               {"type": "array", "items": {"type": ["string", "number"]}}, style="deepObject"),
        _param("geo", "Accepté pour compatibilité : les coordonnées (`POP_COORDONNEES`) sont toujours incluses.",
               {"type": "boolean"}),
        _param("from", f"Rang du premier résultat (0 à {max_offset()} ; au-delà, utiliser `search_after`).",
               {"type": "integer", "minimum": 0, "maximum": max_offset(), "default": 0}),
        _param("size", f"Nombre de résultats par page (0 à {max_size()}).",
               {"type": "integer", "minimum": 0, "maximum": max_size(), "default": 20}),
        _param("facet_size", f"Nombre de valeurs par agrégation (1 à {MAX_FACET_SIZE}).",
               {"type": "integer", "minimum": 1, "maximum": MAX_FACET_SIZE, "default": 10}),
        _param("facet_search", "Filtre les valeurs d'une agrégation : `facet_search[AUTR]=corot` (sous-chaîne, "
               "insensible aux accents).", {"type": "object", "additionalProperties": {"type": "string"}},
               style="deepObject"),
    ]


_BBOX = _param("bbox", "Emprise `ouest,sud,est,nord` en degrés WGS84.", {"type": "string"}, example="-5.2,41.3,9.6,51.1")
_ZOOM = _param("zoom", "Niveau de zoom de la carte (0 à 22) : fixe la finesse de la grille de regroupement.",
               {"type": "integer", "minimum": 0, "maximum": 22, "default": 5})
_NOTICE_PARAMS = [
    _param("base", "Base de la notice.", {"type": "string", "enum": list(registry.public_slugs()) + ["mnr"]},
           where="path", required=True, example="merimee"),
    _param("ref", "Référence (REF) de la notice.", {"type": "string"}, where="path", required=True, example="PA00078014"),
]


def spec() -> dict:
    """The OpenAPI 3.1 document."""
    search_ok = {"description": "Résultats", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResult"}}}}
    bad = _error("Paramètres invalides (message en français)")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "API publique de POP",
            "version": "1.0",
            "description": "API ouverte (sans clé) de la plateforme ouverte du patrimoine, compatible avec l'API publique "
                           "de POP : mêmes routes, même syntaxe de paramètres (tableaux en notation crochets), même "
                           "enveloppe de réponse. Seuls les champs publics sont diffusés. Toutes les réponses portent "
                           "`Access-Control-Allow-Origin: *` (sans identifiants). Erreurs : HTTP 400/404 avec "
                           "`{\"error\": {\"code\", \"message\"}}`.",
        },
        "servers": [{"url": "/api"}],
        "paths": {
            "/search/simple": {"get": {
                "summary": "Recherche simple", "operationId": "searchSimple",
                "description": "Recherche plein texte dans toutes les bases, avec filtres, facettes, tri et pagination.",
                "parameters": _search_params(), "responses": {"200": search_ok, "400": bad}}},
            "/search/facets": {"get": {
                "summary": "Agrégations (facettes) d'une recherche simple", "operationId": "searchFacets",
                "description": "Mêmes paramètres que `/search/simple` ; renvoie le nombre total et les agrégations.",
                "parameters": _search_params(),
                "responses": {"200": {"description": "Agrégations", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["total", "aggregations"],
                    "properties": {"total": {"type": "integer"},
                                   "aggregations": {"$ref": "#/components/schemas/Aggregations"}}}}}},
                              "400": bad}}},
            "/search/advanced": {"post": {
                "summary": "Recherche experte", "operationId": "searchAdvanced",
                "description": f"Arbre de règles : groupes ET/OU imbriqués ({MAX_DEPTH} niveaux, {MAX_RULES} règles au plus). "
                               "Accepte aussi le corps « à plat » de POP (chaque règle porte son `combinator`, le ET "
                               "étant prioritaire sur le OU).",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/AdvancedQuery"},
                    "example": {"bases": ["memoire"], "crits": [{"crits": [
                        {"base": "memoire", "fields": "TICO, SUJET, TITRE, LEG", "operator": "*", "value": "usine"}],
                        "combinator": "AND"}], "size": 20, "from": 0, "sort": [{"REF.keyword": "asc"}]}}}},
                "responses": {"200": search_ok, "400": bad}},
                "options": {"summary": "Pré-vérification CORS", "operationId": "searchAdvancedPreflight",
                            "responses": {"204": {"description": "Méthodes et en-têtes autorisés"}}}},
            "/search/advanced-fields/diffusion": {"get": {
                "summary": "Champs et groupes de champs de la recherche experte", "operationId": "advancedFields",
                "responses": {"200": {"description": "Liste par base", "content": {"application/json": {"schema": {
                    "type": "array", "items": {"$ref": "#/components/schemas/AdvancedField"}}}}}}}},
            "/search/map": {
                "get": {"summary": "Regroupements cartographiques d'une recherche simple", "operationId": "searchMap",
                        "parameters": [*_search_params(), _BBOX, _ZOOM],
                        "responses": {"200": {"description": "Regroupements", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/MapResult"}}}}, "400": bad}},
                "post": {"summary": "Regroupements cartographiques d'une recherche experte", "operationId": "searchMapAdvanced",
                         "description": "Corps de `/search/advanced`, plus `bbox` (chaîne `ouest,sud,est,nord`) et `zoom`.",
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             "allOf": [{"$ref": "#/components/schemas/AdvancedQuery"},
                                       {"type": "object", "properties": {"bbox": {"type": "string"}, "zoom": {"type": "integer"}}}]}}}},
                         "responses": {"200": {"description": "Regroupements", "content": {"application/json": {
                             "schema": {"$ref": "#/components/schemas/MapResult"}}}}, "400": bad}}},
            "/notices/{base}/{ref}": {"get": {
                "summary": "Une notice (champs publics), sans enveloppe", "operationId": "notice",
                "parameters": _NOTICE_PARAMS,
                "responses": {"200": {"description": "La notice", "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/Notice"}}}},
                              "404": _error("Base ou notice inconnue, ou notice supprimée")}}},
            "/notices/{base}/{ref}/public": {"get": {
                "summary": "Une notice avec ses sections et libellés d'affichage", "operationId": "noticePublic",
                "parameters": _NOTICE_PARAMS,
                "responses": {"200": {"description": "Notice, sections et champs", "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/NoticePage"}}}},
                              "404": _error("Base ou notice inconnue, ou notice supprimée")}}},
            "/notices/{base}/{ref}/iiif/manifest": {"get": {
                "summary": "Manifeste IIIF Presentation 3.0 des images de la notice", "operationId": "iiifManifest",
                "parameters": _NOTICE_PARAMS,
                "responses": {"200": {"description": "Manifeste IIIF (JSON-LD)", "content": {"application/ld+json": {}}},
                              "404": _error("Base ou notice inconnue, ou notice supprimée")}}},
            **_export_paths(search_ok, bad),
            "/openapi.json": {"get": {"summary": "Cette description OpenAPI", "operationId": "openapi",
                                      "responses": {"200": {"description": "Document OpenAPI 3.1"}}}},
            "/docs": {"get": {"summary": "Documentation lisible de l'API", "operationId": "docs",
                              "responses": {"200": {"description": "Page HTML", "content": {"text/html": {}}}}}},
        },
        "components": {"schemas": _schemas()},
    }


def _export_paths(search_ok: dict, bad: dict) -> dict:
    """Spreadsheet / CSV exports of a search or a basket (routes of ``pop.exports.urls_api``)."""
    from pop.exports.writers import FORMATS
    fmt = _param("format", "Format du fichier.", {"type": "string", "enum": list(FORMATS), "default": "csv"})
    fields = _param("fields", "Colonnes : codes de champs séparés par des virgules, ou `all` (par défaut : les champs "
                    "affichés de chaque base).", {"type": "string"}, example="REF,TICO,DENO")
    body_extra = {"type": "object", "properties": {"format": fmt["schema"], "fields": {"type": "string"}}}
    done = {"200": {"description": "Le fichier (téléchargement direct pour les petits exports)",
                    "content": {FORMATS[f].content_type: {} for f in FORMATS}},
            "202": {"description": "Export préparé en arrière-plan : `{\"job\": {…}, \"message\"}`",
                    "content": {"application/json": {}}},
            "400": bad}
    paging = {"from", "size", "search_after"}
    return {
        "/search/export-simple": {"get": {
            "summary": "Export de la recherche simple (CSV, XLSX, ODS, JSON Lines)", "operationId": "exportSimple",
            "description": "Mêmes paramètres que `/search/simple` (sans pagination) ; toutes les notices correspondantes.",
            "parameters": [p for p in _search_params() if p["name"] not in paging] + [fmt, fields],
            "responses": done}},
        "/search/export-advanced": {"post": {
            "summary": "Export de la recherche experte", "operationId": "exportAdvanced",
            "description": "Corps de `/search/advanced` (sans pagination), plus `format` et `fields`.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "allOf": [{"$ref": "#/components/schemas/AdvancedQuery"}, body_extra]}}}},
            "responses": done}},
        "/search/export-basket": {"post": {
            "summary": "Export d'une sélection de notices", "operationId": "exportBasket",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["items"],
                "properties": {"items": {"type": "array", "items": {"type": "string"}, "description": "`base/REF`"},
                               "format": fmt["schema"], "fields": {"type": "string"}}},
                "example": {"items": ["merimee/PA00078014"], "format": "csv"}}}},
            "responses": done}},
    }


def _schemas() -> dict:
    string_list = {"type": "array", "items": {"type": "string"}}
    return {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string", "description": "Message en français"}}}}},
        "Notice": {"type": "object", "description": "Champs publics de la notice, dans leur forme native "
                   "(chaînes ou listes de chaînes ; `POP_COORDONNEES` = `{lat, lon}`).",
                   "required": ["REF"], "properties": {"REF": {"type": "string"}, "BASE": {"type": "string"}},
                   "additionalProperties": True},
        "NoticePage": {"type": "object", "required": ["notice", "sections", "fields"], "properties": {
            "notice": {"$ref": "#/components/schemas/Notice"},
            "sections": {"type": "array", "items": {"type": "object", "required": ["key", "label", "fields"], "properties": {
                "key": {"type": "string"}, "label": {"type": "string"}, "fields": string_list}}},
            "fields": {"type": "array", "items": {"type": "object", "required": ["code", "label", "section", "type", "multi"],
                                                  "properties": {"code": {"type": "string"}, "label": {"type": "string"},
                                                                 "section": {"type": "string"}, "type": {"type": "string"},
                                                                 "multi": {"type": "boolean"}}}}}},
        "Hit": {"type": "object", "required": ["_index", "_id", "_score", "_source", "sort"], "properties": {
            "_index": {"type": "string", "description": "Base"}, "_id": {"type": "string", "description": "REF"},
            "_score": {"type": ["number", "null"]},
            "_source": {"allOf": [{"$ref": "#/components/schemas/Notice"}, {"type": "object", "properties": {
                "authors": string_list,
                "POP_COORDONNEES": {"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}}}}]},
            "sort": {"type": "array", "description": "À renvoyer dans `search_after` pour la page suivante"}}},
        "Aggregations": {"type": "object", "description": "Clés `CHAMP.keyword`.", "additionalProperties": {
            "type": "object", "required": ["buckets"], "properties": {"buckets": {"type": "array", "items": {
                "type": "object", "required": ["key", "doc_count"],
                "properties": {"key": {"type": "string"}, "doc_count": {"type": "integer"}}}}}}},
        "SearchResult": {"type": "object", "required": ["took", "timed_out", "total", "hits", "aggregations"], "properties": {
            "took": {"type": "integer", "description": "Durée en millisecondes"},
            "timed_out": {"type": "boolean", "const": False},
            "total": {"type": "integer", "description": "Nombre exact de notices correspondantes"},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "aggregations": {"$ref": "#/components/schemas/Aggregations"}}},
        "Rule": {"type": "object", "required": ["fields", "operator"], "properties": {
            "base": {"type": "string", "description": "Base de la règle (facultatif : toutes les bases)"},
            "fields": {"type": "string", "description": "Codes de champs séparés par des virgules (un groupe de "
                                                        "`/search/advanced-fields/diffusion`)"},
            "operator": {"type": "string", "enum": list(OPERATORS)},
            "value": {"type": ["string", "number"]},
            "combinator": {"type": "string", "enum": ["AND", "OR"], "description": "Corps « à plat » : liaison avec la règle précédente"}}},
        "Group": {"type": "object", "required": ["crits"], "properties": {
            "combinator": {"type": "string", "enum": ["AND", "OR"], "default": "AND"},
            "crits": {"type": "array", "items": {"oneOf": [{"$ref": "#/components/schemas/Rule"},
                                                            {"$ref": "#/components/schemas/Group"}]}}}},
        "AdvancedQuery": {"type": "object", "required": ["crits"], "properties": {
            "bases": string_list,
            "crits": {"type": "array", "items": {"oneOf": [{"$ref": "#/components/schemas/Rule"},
                                                            {"$ref": "#/components/schemas/Group"}]}},
            "combinator": {"type": "string", "enum": ["AND", "OR"], "default": "AND"},
            "facets": {"type": "object", "additionalProperties": string_list},
            "filters": {"type": "object", "properties": {"hasImage": {"type": "boolean"}, "hasCoordinates": {"type": "boolean"}}},
            "sort": {"type": "array", "items": {"type": "object", "additionalProperties": {"type": "string", "enum": ["asc", "desc"]}}},
            "search_after": {"type": "array"},
            "from": {"type": "integer", "minimum": 0, "maximum": max_offset()},
            "size": {"type": "integer", "minimum": 0, "maximum": max_size()},
            "aggregations": {"type": "boolean", "default": True, "description": "false : ne pas calculer les agrégations"}}},
        "AdvancedField": {"type": "object", "required": ["base", "fields", "label", "isDefault", "fieldType"], "properties": {
            "base": {"type": "string"}, "fields": {"type": "string"}, "label": {"type": "string"},
            "isDefault": {"type": "boolean", "description": "Groupe de champs commun à plusieurs bases"},
            "fieldType": {"type": "string", "enum": ["text", "date", "number", "geopoint", "ref", "url", "object"]}}},
        "MapResult": {"type": "object", "required": ["total", "clusters", "records"], "properties": {
            "total": {"type": "integer"},
            "clusters": {"type": "array", "items": {"type": "object", "properties": {
                "lat": {"type": "number"}, "lon": {"type": "number"}, "count": {"type": "integer"},
                "bbox": {"type": "array", "items": {"type": "number"}, "description": "ouest, sud, est, nord"}}}},
            "records": {"type": "array", "description": "Notices de l'emprise, quand elles sont peu nombreuses",
                        "items": {"type": "object", "properties": {"base": {"type": "string"}, "ref": {"type": "string"},
                                                                   "title": {"type": "string"}, "lat": {"type": "number"},
                                                                   "lon": {"type": "number"}}}}}},
    }


@api_view("GET")
def spec_view(request):
    return json_response(spec())


def _md(text: str) -> str:
    """Escaped text with `code` spans (the only markup the descriptions use)."""
    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text or "")))


_TYPES = {"string": "texte", "integer": "entier", "number": "nombre", "boolean": "booléen", "object": "objet"}


def _type_label(schema: dict) -> str:
    kind = schema.get("type", "")
    if kind == "array":
        inner = schema.get("items", {}).get("type", "valeur")
        return f"liste ({_TYPES.get(inner, inner) if isinstance(inner, str) else 'texte ou nombre'})"
    return _TYPES.get(kind, kind) if isinstance(kind, str) else " ou ".join(_TYPES.get(k, k) for k in kind)


def _operations(doc: dict) -> list[dict]:
    out = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            params = [{**p, "type": _type_label(p["schema"]), "html": _md(p["description"])}
                      for p in op.get("parameters", [])]
            examples = [c.get("example") for c in op.get("requestBody", {}).get("content", {}).values() if c.get("example")]
            out.append({"method": method.upper(), "path": path, "op": op, "params": params,
                        "example": json.dumps(examples[0], ensure_ascii=False, indent=2) if examples else "",
                        "description": _md(op.get("description", "")),
                        "responses": [(code, _md(r["description"])) for code, r in sorted(op.get("responses", {}).items())]})
    return out


@api_view("GET")
def docs_view(request):
    doc = spec()
    # No request context: the page needs no site context processor (and so no database).
    html = render_to_string("api/docs.html", {"doc": doc, "operations": _operations(doc), "operators": OPERATORS,
                                              "intro": _md(doc["info"]["description"])})
    return HttpResponse(html, content_type="text/html; charset=utf-8")
