"""Routes of the exports app, mounted at /exports/ (see pop.exports.views)."""
from django.urls import path

from pop.exports import views

app_name = "exports"

urlpatterns = [
    path("", views.export_list, name="list"),
    path("panier", views.export_basket, name="basket"),
    path("dumps.json", views.dumps_json, name="dumps"),
    path("dumps/<str:name>", views.dump_file, name="dump_file"),
    path("<uuid:job_id>", views.job_status, name="job"),
    path("<uuid:job_id>/telecharger", views.download, name="download"),
    path("<uuid:job_id>/annuler", views.cancel, name="cancel"),
]
