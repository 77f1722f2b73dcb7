"""Export routes.

API (JSON errors, CORS, like the rest of /api):
    GET  /api/search/export-simple?text=…&bases[0]=…&format=xlsx&fields=TICO,DENO   same parameters as /api/search/simple
    POST /api/search/export-advanced   {"crits": [...], "format": "ods", "fields": "all", ...}  the /api/search/advanced body
    POST /api/search/export-basket     {"items": ["merimee/PA00078014", ...], "format": "csv"}
Site:
    GET  /exports/                     the visitor's exports (status, progress, download links)
    GET  /exports/<id>                 one export's status (JSON)
    GET  /exports/<id>/telecharger     the finished file
    POST /exports/<id>/annuler         cancel a queued or running export
    POST /exports/panier               basket export from the basket page's form (n=base/REF …)
    GET  /exports/dumps.json           the open-data dumps (manifest)
    GET  /exports/dumps/<file>         one dump file

Up to ``POP_EXPORT_STREAM_LIMIT`` records the answer is the file itself, streamed; above, the
answer is 202 with the job (JSON) or a redirect to /exports/ (browsers), and a background task
writes the file.
"""
from __future__ import annotations

import functools
import uuid

from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pop.api import params as P
from pop.api.http import ApiError, api_view, error_response, json_response
from pop.exports import dumps as dumps_mod
from pop.exports import jobs
from pop.exports.errors import ExportError
from pop.exports.models import ExportJob
from pop.exports.source import BasketSource, SearchSource
from pop.search.interface import QueryError

EXPORT_KEYS = ("format", "fields")
PAGING_KEYS = ("size", "from", "search_after")


def _wants_html(request) -> bool:
    accept = request.headers.get("Accept", "")
    return "text/html" in accept and "application/json" not in accept


def _error(request, exc, html: bool):
    if html:
        response = render(request, "public/message.html", {"page_title": "Export impossible", "message": exc.message},
                          status=exc.status)
    else:
        response = error_response(exc.code, exc.message, exc.status)
    if exc.status == 429:
        response["Retry-After"] = "60"
    return response


def export_view(view):
    """API view whose ExportError / 429 become JSON errors (HTML for a browser's form on the site)."""
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ExportError as exc:
            return _error(request, exc, html=not request.path.startswith("/api/") and _wants_html(request))
        except (ApiError, QueryError) as exc:
            if not request.path.startswith("/api/") and _wants_html(request):
                return _error(request, ExportError(exc.message, exc.code, getattr(exc, "status", 400)), html=True)
            raise
    return wrapper


def _answer(request, outcome):
    """A streamed download, or the queued job: 202 JSON, or a redirect to the exports page for browsers."""
    if not isinstance(outcome, ExportJob):
        return outcome
    if _wants_html(request):
        return HttpResponseRedirect(reverse("exports:list") + f"?job={outcome.pk}", status=303)
    return json_response({"job": jobs.job_dict(outcome),
                          "message": "L'export est en préparation : suivez son avancement à l'adresse indiquée."}, 202)


def _pop(raw: dict, keys) -> dict:
    return {k: raw.pop(k) for k in list(keys) if k in raw}


def search_export(request, query, fmt_name, fields):
    """The answer to ``request`` exporting a search (``SimpleQuery`` / ``ExpertQuery``): the file,
    the queued job, or for HEAD what the export would be (count and type) without starting it.
    The API routes and the site's plain forms (``pop.public.views.search``) all come here."""
    jobs.get_format(fmt_name)   # an unknown format is refused before any search runs
    source = SearchSource(query)
    fmt, layout = jobs.prepare(source, fmt_name, fields)
    if request.method == "HEAD":
        response = HttpResponse(content_type=fmt.content_type)
        response["X-Export-Count"] = str(source.total)
        return response
    return _answer(request, jobs.start(request, source, fmt, layout))


@api_view("GET")
@export_view
def export_simple(request):
    from pop.api.views_search import _simple_query
    raw = P.decode_query(request.META.get("QUERY_STRING", ""))
    opts = _pop(raw, EXPORT_KEYS)
    _pop(raw, PAGING_KEYS)
    jobs.get_format(opts.get("format"))
    query = _simple_query(P.simple_params(raw), raw, with_facets=False)
    return search_export(request, query, opts.get("format"), opts.get("fields"))


@api_view("POST")
@export_view
def export_advanced(request):
    from pop.api.views_search import _expert_query
    body = P.json_body(request.body)
    opts = _pop(body, EXPORT_KEYS)
    _pop(body, PAGING_KEYS)
    jobs.get_format(opts.get("format"))
    query = _expert_query(P.advanced_params(body), body)
    return search_export(request, query, opts.get("format"), opts.get("fields"))


def _basket(request, items, fmt_name, fields):
    jobs.get_format(fmt_name)
    source = BasketSource(items)
    fmt, layout = jobs.prepare(source, fmt_name, fields)
    return _answer(request, jobs.start(request, source, fmt, layout))


@api_view("POST")
@export_view
def export_basket_api(request):
    body = P.json_body(request.body)
    return _basket(request, body.get("items", []), body.get("format"), body.get("fields"))


@require_POST
@export_view
def export_basket(request):
    """The basket page's form: n=base/REF (repeated), format=…, fields=…"""
    fields = request.POST.getlist("fields")
    return _basket(request, request.POST.getlist("n"), request.POST.get("format"), fields or None)


# --- the visitor's exports ------------------------------------------------------------------------

@require_GET
def export_list(request):
    jobs.purge_expired()
    visitor = jobs.visitor_key(request, create=False)
    items = list(ExportJob.objects.filter(visitor=visitor, mode=ExportJob.BACKGROUND)[:50])
    highlighted = request.GET.get("job", "")
    if highlighted and not any(str(j.pk) == highlighted for j in items):
        extra = ExportJob.objects.filter(pk=highlighted).first() if _is_uuid(highlighted) else None
        if extra is not None:
            items.insert(0, extra)
    rows = [dict(jobs.job_dict(j), job=j, highlighted=str(j.pk) == highlighted) for j in items]
    return render(request, "exports/list.html", {
        "page_title": "Mes exports", "breadcrumb": [{"title": "Mes exports"}], "rows": rows,
        "refresh": any(j.is_active for j in items), "keep_hours": jobs.keep_for().total_seconds() / 3600,
        "stream_limit": jobs.stream_limit()})


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@require_GET
def job_status(request, job_id):
    job = ExportJob.objects.filter(pk=job_id).first()
    if job is None:
        return JsonResponse({"error": {"code": "not_found", "message": "Cet export n'existe pas (ou plus)."}}, status=404)
    return json_response({"job": jobs.job_dict(job)})


@require_GET
def download(request, job_id):
    job = get_object_or_404(ExportJob, pk=job_id)
    if job.status == ExportJob.EXPIRED or (job.status == ExportJob.DONE and not job.file_name):
        return render(request, "public/message.html", {"page_title": "Export expiré", "message":
                      "Ce fichier n'est plus disponible : relancez l'export depuis votre recherche."}, status=410)
    if job.status != ExportJob.DONE:
        return render(request, "public/message.html", {"page_title": "Export pas encore prêt", "message":
                      f"Cet export est « {job.get_status_display()} » : le fichier n'est pas disponible."}, status=409)
    path = jobs.export_dir() / job.file_name
    if not path.is_file():
        raise Http404("Fichier introuvable.")
    fmt = jobs.get_format(job.format)
    response = FileResponse(open(path, "rb"), as_attachment=True, filename=jobs.file_name(job, fmt),
                            content_type=fmt.content_type)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def cancel(request, job_id):
    job = get_object_or_404(ExportJob, pk=job_id)
    done = jobs.cancel(job)
    if _wants_html(request):
        return HttpResponseRedirect(reverse("exports:list"), status=303)
    return json_response({"cancelled": done, "job": jobs.job_dict(ExportJob.objects.get(pk=job.pk))})


# --- open-data dumps ----------------------------------------------------------------------------------

@require_http_methods(["GET", "HEAD"])
def dumps_json(request):
    return json_response(dumps_mod.read_manifest())


@require_http_methods(["GET", "HEAD"])
def dump_file(request, name: str):
    path = dumps_mod.file_path(name)
    if path is None:
        raise Http404("Fichier open data inconnu.")
    response = FileResponse(open(path, "rb"), as_attachment=True, filename=path.name,
                            content_type=dumps_mod.content_type(path.name))
    response["Cache-Control"] = "public, max-age=3600"
    return response
