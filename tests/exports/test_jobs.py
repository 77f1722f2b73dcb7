"""Large exports in the background, the visitor's exports page, limits, bad input, cancellation."""
from __future__ import annotations

import pytest
from django.core.signals import request_finished
from django_tasks_db.models import DBTaskResult

from pop.exports import jobs, run
from pop.exports import source as export_source
from pop.exports.models import ExportJob

from .conftest import read_csv, read_ods

HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml"}


def files_left(data_dir):
    root = data_dir / "exports"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_large_export_runs_in_the_background_with_progress_and_a_download_link(client, corpus, settings, data_dir):
    settings.POP_EXPORT_STREAM_LIMIT = 5
    response = client.get("/api/search/export-simple", {"text": "église", "format": "ods"})
    assert response.status_code == 202
    job = response.json()["job"]
    assert job["status"] == "queued" and job["total"] == 19 and "download_url" not in job
    assert DBTaskResult.objects.filter(queue_name="exports").count() == 1    # handed to the task worker
    jobs.run_job(job["id"])                                                 # what the worker runs
    status = client.get(job["status_url"]).json()["job"]
    assert status["status"] == "done" and status["progress"] == 19 and status["percent"] == 100
    download = client.get(status["download_url"])
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    path = data_dir / "ods.ods"
    path.write_bytes(b"".join(download.streaming_content))
    _, rows, info = read_ods(path)
    assert len(rows) == 19 and info["Nombre de notices"] == "19"
    assert not [n for n in files_left(data_dir) if n.endswith(".part")]


def test_browsers_are_sent_to_their_exports_page_which_lists_only_their_exports(client, corpus, settings):
    settings.POP_EXPORT_STREAM_LIMIT = 5
    response = client.get("/api/search/export-simple", {"text": "église", "format": "xlsx"}, **HTML)
    assert response.status_code == 303 and response["Location"].startswith("/exports/?job=")
    page = client.get(response["Location"], **HTML)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Mes exports" in html and "église" in html and "en attente" in html and 'http-equiv="refresh"' in html
    job = ExportJob.objects.get()
    jobs.run_job(str(job.pk))
    html = client.get("/exports/", **HTML).content.decode()
    assert "prêt" in html and f"/exports/{job.pk}/telecharger" in html
    # another visitor does not see it
    from django.test import Client
    other = Client()
    assert f"/exports/{job.pk}/telecharger" not in other.get("/exports/", **HTML).content.decode()


def test_concurrent_exports_per_visitor_are_limited(client, corpus, settings):
    settings.POP_EXPORT_MAX_CONCURRENT = 1
    first = client.get("/api/search/export-simple", {"text": "église", "format": "csv"})
    assert first.status_code == 200   # streaming, not consumed yet: still running
    second = client.get("/api/search/export-simple", {"text": "église", "format": "csv"})
    assert second.status_code == 429 and second["Retry-After"]
    error = second.json()["error"]
    assert error["code"] == "too_many_exports" and "déjà 1 export" in error["message"]
    b"".join(first.streaming_content)   # the first one ends…
    assert ExportJob.objects.get(pk=ExportJob.objects.order_by("created_at").first().pk).status == "done"
    third = client.get("/api/search/export-simple", {"text": "église", "format": "csv"})
    assert third.status_code == 200   # …and the visitor may start another
    b"".join(third.streaming_content)


def test_anonymous_visitors_have_a_hard_limit(client, corpus, settings):
    settings.POP_EXPORT_ANON_MAX_ROWS = 10
    response = client.get("/api/search/export-simple", {"text": "église", "format": "csv"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "export_too_large" and "Données ouvertes" in error["message"]
    assert "19 notices ; au-delà de 10 notices, affinez" in error["message"]
    assert client.get("/api/search/export-simple", {"text": "chapelle", "format": "csv"}).status_code == 200


@pytest.mark.parametrize("params, code, words", [
    ({"text": "église", "format": "pdf"}, "unknown_format", "Format inconnu"),
    ({"text": "église", "format": "csv", "fields": "TICO,NIMPORTEQUOI"}, "unknown_field", "Champ inconnu"),
    ({"text": "église", "format": "csv", "fields": "NOMOFF", "bases[0]": "merimee"}, "unknown_field", "n'existe pas"),
    ({"text": "zzzzqqqq", "format": "csv"}, "empty_export", "aucune notice"),
    ({"text": "église", "format": "csv", "sort": "nimporte"}, None, None),
    ({"text": "église", "format": "csv", "bases[0]": "inconnue"}, "unknown_base", "Base inconnue"),
])
def test_bad_input_gets_a_clear_french_json_error(client, corpus, params, code, words, data_dir):
    response = client.get("/api/search/export-simple", params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code and words in error["message"]
    assert not ExportJob.objects.exists() and files_left(data_dir) == []


def test_bad_advanced_and_basket_bodies(client, corpus):
    r = client.post("/api/search/export-advanced", "{pas du json", content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
    r = client.post("/api/search/export-advanced", {"crits": [{"fields": "TICO", "operator": "??", "value": "x"}],
                                                    "format": "csv"}, content_type="application/json")
    assert r.status_code == 400 and "Opérateur inconnu" in r.json()["error"]["message"]
    r = client.post("/api/search/export-basket", {"items": ["pas-une-notice"], "format": "csv"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_basket"
    r = client.post("/api/search/export-basket", {"items": ["merimee/PA99999999"], "format": "csv"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "empty_export"
    r = client.post("/exports/panier", {"n": ["merimee/PA00000001"], "format": "docx"}, **HTML)
    assert r.status_code == 400 and "Format inconnu" in r.content.decode() and "<html" in r.content.decode()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods", "jsonl"])
def test_a_cancelled_download_leaves_no_file(client, corpus, fmt, data_dir, monkeypatch):
    monkeypatch.setattr(export_source, "BATCH", 3)
    response = client.get("/api/search/export-simple", {"text": "église", "format": fmt})
    chunks = iter(response.streaming_content)
    next(chunks)                # the download has started…
    # …and the visitor goes away: the server closes the response (without "request finished", which
    # would close the test's database connection)
    monkeypatch.setattr(request_finished, "send", lambda *a, **kw: [])
    response.close()
    assert files_left(data_dir) == []
    assert ExportJob.objects.get().status == "cancelled"


def test_a_download_closed_before_its_first_byte_closes_its_job(client, corpus, monkeypatch, data_dir):
    response = client.get("/api/search/export-simple", {"text": "église", "format": "ods"})
    monkeypatch.setattr(request_finished, "send", lambda *a, **kw: [])
    response.close()
    assert ExportJob.objects.get().status == "cancelled" and files_left(data_dir) == []
    head = client.head("/api/search/export-simple", {"text": "église", "format": "ods"})
    assert head.status_code == 200 and head["X-Export-Count"] == "19" and ExportJob.objects.count() == 1


def test_a_cancelled_background_job_leaves_no_file(client, corpus, settings, data_dir, monkeypatch):
    settings.POP_EXPORT_STREAM_LIMIT = 5
    monkeypatch.setattr(export_source, "BATCH", 3)
    monkeypatch.setattr(jobs, "HEARTBEAT", 0)
    job_id = client.get("/api/search/export-simple", {"text": "église", "format": "xlsx"}).json()["job"]["id"]
    seen = []
    original = run.rows

    def rows_then_cancel(source, progress=None, *args):
        for i, row in enumerate(original(source, progress, *args)):
            if i == 7:   # the visitor presses « Annuler » half-way
                seen.append(client.post(f"/exports/{job_id}/annuler").json()["cancelled"])
            yield row
    monkeypatch.setattr(run, "rows", rows_then_cancel)
    jobs.run_job(job_id)
    assert seen == [True]
    assert ExportJob.objects.get(pk=job_id).status == "cancelled"
    assert files_left(data_dir) == []
    assert client.get(f"/exports/{job_id}/telecharger").status_code == 409


def test_a_failing_file_export_leaves_nothing(corpus, data_dir, monkeypatch):
    from pop.exports.columns import Layout
    from pop.exports.info import ExportInfo
    from pop.exports.writers import get_format
    src = export_source.BaseSource("merimee")
    original = export_source.BaseSource.raw_batches

    def broken(self, codes=None):
        yield from list(original(self, codes))[:1]
        raise RuntimeError("disque plein")
    monkeypatch.setattr(export_source.BaseSource, "raw_batches", broken)
    monkeypatch.setattr(export_source, "BATCH", 4)
    dest = data_dir / "out.csv"
    with pytest.raises(RuntimeError):
        run.write_file(get_format("csv"), src, Layout.build(src.bases), ExportInfo("x", {}, src.total, "CSV"), dest)
    assert not dest.exists() and [p.name for p in data_dir.iterdir() if p.name.endswith(".part")] == []


def test_expired_exports_are_removed(client, corpus, settings, data_dir):
    settings.POP_EXPORT_STREAM_LIMIT = 5
    job_id = client.get("/api/search/export-simple", {"text": "église", "format": "csv"}).json()["job"]["id"]
    jobs.run_job(job_id)
    job = ExportJob.objects.get(pk=job_id)
    assert (data_dir / "exports" / job.file_name).is_file()
    from datetime import timedelta
    from django.utils import timezone
    ExportJob.objects.filter(pk=job_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert jobs.purge_expired() == 1
    assert not (data_dir / "exports" / job.file_name).exists()
    assert client.get(f"/exports/{job_id}/telecharger").status_code == 410


def test_csv_for_excel_neutralises_formulas(client, db, data_dir):
    from pop.catalog import service
    from pop.search import store
    service.save("merimee", {"REF": "PA00099999", "TICO": "=HYPERLINK(\"http://x\")", "DENO": ["église"]}, actor="test")
    store.sync()
    r = client.get("/api/search/export-simple", {"text": "église", "format": "csv-excel", "fields": "REF,TICO"})
    _, rows, _ = read_csv(b"".join(r.streaming_content), excel=True)
    assert rows[0]["TICO"] == "'=HYPERLINK(\"http://x\")"
    r = client.get("/api/search/export-simple", {"text": "église", "format": "csv", "fields": "REF,TICO"})
    _, rows, _ = read_csv(b"".join(r.streaming_content))
    assert rows[0]["TICO"] == "=HYPERLINK(\"http://x\")"   # the plain CSV keeps the exact value
